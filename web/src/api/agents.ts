/**
 * Agents, tools and conversations (docs/agents-api.md). The shapes are written out here, after the contract and
 * `src/hezi/agents/spec.py`, until the server's OpenAPI schema declares them (then `npm run gen` can replace them).
 */
import { ApiError, CSRF_HEADER, reportUnauthorized, retryAfterOf, type Schemas } from "./client";

export type RetrievalSettings = Schemas["RetrievalSettings"];

export interface ModelParams {
  temperature: number;
  top_p: number;
  max_tokens: number;
}

export const FIELD_KINDS = ["text-input", "paragraph", "select", "number"] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

/** One input of an agent's form; its kind is the key it sits under in `user_input_form` (Dify's shape). */
export interface FormFieldSpec {
  variable: string;
  label: string;
  required: boolean;
  default?: string | number | null;
  max_length?: number | null;
  options?: string[] | null;
}

/** Each entry has one key, its kind (a FieldKind). */
export type UserInputForm = Record<string, FormFieldSpec>[];

export interface ToolRef {
  provider: string;
  name: string;
}

export interface AgentConfig {
  /** "workflow" and "chatflow" agents run their graph (`config.workflow`, see pages/workflows) instead of the model loop. */
  mode: "agent" | "workflow" | "chatflow";
  model: string;
  model_params: ModelParams;
  system_prompt: string;
  user_input_form: UserInputForm;
  opening_statement: string;
  suggested_questions: string[];
  knowledge: { knowledge_base_ids: string[]; retrieval: RetrievalSettings };
  tools: ToolRef[];
  max_steps: number;
  memory_window: number;
  citations: boolean;
  suggested_follow_ups: boolean;
}

export interface AgentPublic {
  id: string;
  workspace_id: string;
  name: string;
  icon: string | null;
  description: string | null;
  config: AgentConfig;
  published_version: number | null;
  created_at: string;
  updated_at: string;
}

export interface AgentVersionPublic {
  version: number;
  name: string;
  icon: string | null;
  description: string | null;
  config: AgentConfig;
  note: string | null;
  created_at: string;
  created_by: string | null;
}

export interface AgentTemplate {
  id: string;
  name: string;
  icon: string | null;
  description: string | null;
  config: AgentConfig;
}

export interface AgentCreate {
  name: string;
  icon?: string;
  description?: string;
  config?: AgentConfig;
  template?: string;
  /** The template's language (its prompt, opening statement and questions). */
  lang: "en" | "zh-CN";
}

export interface AgentUpdate {
  name?: string;
  icon?: string;
  description?: string;
  config?: AgentConfig;
}

export interface ToolInfo {
  provider: string;
  provider_name: string;
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ToolProviderKind = "openapi" | "mcp";
export type ToolAuthType = "none" | "api_key" | "bearer";

export interface ToolProviderCreate {
  name: string;
  kind: ToolProviderKind;
  spec?: string;
  spec_url?: string;
  /** OpenAPI: the base URL of the calls (default: the document's first server). */
  server_url?: string;
  url?: string;
  headers?: Record<string, string>;
  auth: { type: ToolAuthType; header?: string; value?: string };
}

export interface ToolProviderPublic {
  id: string;
  name: string;
  kind: ToolProviderKind | string;
  config: Record<string, unknown>;
  auth: { type: ToolAuthType | string; header: string | null; has_secret: boolean };
  tools: { name: string; description: string; parameters: Record<string, unknown> }[];
  created_at: string;
  updated_at: string;
}

export interface Step {
  index: number;
  tool: string;
  arguments: unknown;
  result?: string | null;
  error?: string | null;
  elapsed_ms?: number;
  tokens?: number;
}

export interface Citation {
  n: number;
  knowledge_base_id: string;
  knowledge_base_name: string;
  document_id: string;
  document_name: string;
  chunk_id: number;
  text: string;
  score: number;
}

export interface ChatFile {
  id: string;
  name: string;
  size: number;
  chars: number;
}

/** "paused": a chatflow's answer waiting on its human-input form (`MessagePublic.form`). */
export type MessageStatus = "ok" | "error" | "stopped" | "paused";

/**
 * The form a paused chatflow answer shows (the human-input node's, its text already rendered). The server's schema
 * declares it as an object only, so its shape is written out here after `workflows/nodes/human.py`.
 */
export interface HumanInputForm {
  node_id: string;
  title: string;
  form_content: string;
  inputs: { type: "text_input" | "paragraph"; output_variable_name: string; default: string }[];
  user_actions: { id: string; title: string; button_style: string }[];
  timeout?: number;
  timeout_unit?: "hour" | "day";
}

/** The answer to that form, sent with the next question: the button chosen and the fields' values. */
export type HumanInputReply = Schemas["HumanInputReply"];
export type Rating = "like" | "dislike";

export interface MessagePublic {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: "user" | "assistant";
  content: string;
  status: MessageStatus;
  /** Why the answer failed: `{code, message}` as stored (a plain string from older servers). */
  error: { code?: string; message?: string } | string | null;
  steps: Step[];
  citations: Citation[];
  files: ChatFile[];
  suggested: string[];
  model: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  latency_ms: number | null;
  rating: Rating | null;
  feedback: string | null;
  created_at: string;
  siblings: string[];
  /** The run that gave a workflow agent's answer. */
  workflow_run_id?: string | null;
  /** What the answer waits for when its status is "paused"; null otherwise. */
  form?: HumanInputForm | null;
}

export interface ConversationPublic {
  id: string;
  agent_id: string;
  agent_version: number | null;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface ConversationDetail extends ConversationPublic {
  inputs: Record<string, unknown>;
  messages: MessagePublic[];
}

export interface ChatRequest {
  query: string;
  conversation_id?: string | null;
  inputs?: Record<string, unknown>;
  preview: boolean;
  /** Edit and resend: the question being edited; the new one becomes its sibling (a new branch). */
  edit_of?: string;
  parent_id?: string | null;
  files?: string[];
  /** Answers the form of the paused answer this question follows; the workflow goes on from there. */
  human_input?: HumanInputReply;
}

/** The text of a message's error, whichever shape the server stored it in. */
export function errorText(error: MessagePublic["error"]): string | null {
  if (error === null || error === undefined) return null;
  if (typeof error === "string") return error;
  return error.message || error.code || null;
}

export interface List<T> {
  data: T[];
  count: number;
}

async function errorOf(response: Response): Promise<ApiError> {
  if (response.status === 401) reportUnauthorized();
  const body: unknown = await response.json().catch(() => undefined);
  return new ApiError(response.status, body, retryAfterOf(response.headers.get("Retry-After")));
}

/**
 * One JSON call to the console API, with the CSRF header and the session cookie like `api` sends; throws an
 * ApiError with the server's message. `body` is sent as JSON unless it is a string or FormData (sent as is).
 */
export async function request<T>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { ...CSRF_HEADER, Accept: "application/json", ...headers } };
  if (body !== undefined) {
    if (typeof body === "string" || body instanceof FormData) init.body = body;
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["Content-Type"] = "application/json";
    }
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

/** The console API paths of one workspace. */
export function wsPaths(ws: string) {
  const base = `/api/workspaces/${enc(ws)}`;
  return {
    agents: `${base}/agents`,
    agent: (id: string) => `${base}/agents/${enc(id)}`,
    templates: (lang: string) => `${base}/agent-templates?lang=${enc(lang)}`,
    tools: `${base}/tools`,
    providers: `${base}/tool-providers`,
    provider: (id: string) => `${base}/tool-providers/${enc(id)}`,
    conversations: `${base}/conversations`,
    conversation: (id: string) => `${base}/conversations/${enc(id)}`,
    stop: (taskId: string) => `${base}/chat/${enc(taskId)}/stop`,
    chatFiles: `${base}/chat-files`,
  };
}

/** Downloads an agent as its YAML file (what `hezi agents import` reads). */
export async function downloadAgentYaml(ws: string, agent: AgentPublic, format: "hezi" | "dify" = "hezi"): Promise<void> {
  const response = await fetch(`${wsPaths(ws).agent(agent.id)}/export?format=${format}`, {
    credentials: "same-origin",
    headers: { ...CSRF_HEADER, Accept: "text/yaml" },
  });
  if (!response.ok) throw await errorOf(response);
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const named = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  const filename = named ? decodeURIComponent(named[1] ?? named[2] ?? "") : `${agent.name}.yaml`;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename || "agent.yaml";
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Sends an agent's YAML file; a name that exists is a 409 `agent_exists` unless `replace`. */
export function importAgentYaml(ws: string, yaml: string, replace: boolean): Promise<AgentPublic> {
  return request<AgentPublic>("POST", `${wsPaths(ws).agents}/import?replace=${replace}`, yaml, { "Content-Type": "text/yaml" });
}

/** Uploads a file to attach to the next chat message; over the server's limit is a 413 `file_too_large`. */
export function uploadChatFile(ws: string, file: File): Promise<ChatFile> {
  const form = new FormData();
  form.append("file", file, file.name);
  return request<ChatFile>("POST", wsPaths(ws).chatFiles, form);
}
