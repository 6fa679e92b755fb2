import type { AgentConfig, AgentPublic, AgentUpdate, FieldKind, FormFieldSpec, RetrievalSettings, UserInputForm } from "../../../api/agents";

/** One row of the input-form editor: Dify's `{kind: {variable, label, …}}` flattened. */
export interface FieldRow {
  kind: FieldKind;
  variable: string;
  label?: string;
  required?: boolean;
  options?: string[];
  max_length?: number | null;
  default?: string | number | null;
}

/** What the builder's form holds: the agent's fields and its draft config, flat where that reads better. */
export interface BuilderValues {
  name: string;
  icon: string;
  description: string;
  model: string;
  temperature: number;
  top_p: number;
  max_tokens: number;
  system_prompt: string;
  fields: FieldRow[];
  opening_statement: string;
  suggested_questions: string[];
  knowledge_base_ids: string[];
  retrieval: RetrievalSettings;
  tools: string[];
  max_steps: number;
  memory_window: number;
  citations: boolean;
  suggested_follow_ups: boolean;
}

export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  mode: "hybrid",
  top_k: 4,
  score_threshold: null,
  fusion: "weighted",
  vector_weight: 0.5,
  rerank_model: null,
};

const TOOL_SEP = "::";
export const toolKey = (provider: string, name: string) => `${provider}${TOOL_SEP}${name}`;
export function parseToolKey(key: string): { provider: string; name: string } {
  const at = key.indexOf(TOOL_SEP);
  return at < 0 ? { provider: "builtin", name: key } : { provider: key.slice(0, at), name: key.slice(at + TOOL_SEP.length) };
}

/** `{{name}}` variables a prompt uses. */
export function promptVariables(prompt: string): string[] {
  return [...new Set([...prompt.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g)].map((m) => m[1]!))];
}

export function fieldRows(form: UserInputForm | undefined): FieldRow[] {
  return (form ?? []).flatMap((entry) => {
    const [kind, spec] = Object.entries(entry)[0] ?? [];
    if (!kind || !spec) return [];
    return [
      {
        kind: kind as FieldKind,
        variable: spec.variable,
        label: spec.label ?? "",
        required: spec.required ?? false,
        options: spec.options ?? [],
        max_length: spec.max_length ?? null,
        default: spec.default ?? null,
      },
    ];
  });
}

function formOf(rows: FieldRow[]): UserInputForm {
  return rows
    .filter((r) => r && r.variable)
    .map((r) => {
      const spec: FormFieldSpec = { variable: r.variable.trim(), label: r.label ?? "", required: !!r.required };
      if (r.default !== null && r.default !== undefined && r.default !== "") spec.default = r.default;
      if ((r.kind === "text-input" || r.kind === "paragraph") && r.max_length) spec.max_length = r.max_length;
      if (r.kind === "select") spec.options = (r.options ?? []).map((o) => o.trim()).filter(Boolean);
      return { [r.kind]: spec };
    });
}

export function toValues(agent: Pick<AgentPublic, "name" | "icon" | "description" | "config">): BuilderValues {
  const c = agent.config;
  return {
    name: agent.name,
    icon: agent.icon ?? "",
    description: agent.description ?? "",
    model: c.model,
    temperature: c.model_params?.temperature ?? 0.7,
    top_p: c.model_params?.top_p ?? 1,
    max_tokens: c.model_params?.max_tokens ?? 512,
    system_prompt: c.system_prompt ?? "",
    fields: fieldRows(c.user_input_form),
    opening_statement: c.opening_statement ?? "",
    suggested_questions: c.suggested_questions ?? [],
    knowledge_base_ids: c.knowledge?.knowledge_base_ids ?? [],
    retrieval: { ...DEFAULT_RETRIEVAL, ...(c.knowledge?.retrieval ?? {}) },
    tools: (c.tools ?? []).map((tool) => toolKey(tool.provider, tool.name)),
    max_steps: c.max_steps ?? 5,
    memory_window: c.memory_window ?? 10,
    citations: c.citations ?? true,
    suggested_follow_ups: c.suggested_follow_ups ?? false,
  };
}

/** The whole draft config (PATCH replaces it), keeping what the server sent that this form does not edit. */
export function toConfig(v: BuilderValues, base: Partial<AgentConfig> = {}): AgentConfig {
  const retrieval = { ...DEFAULT_RETRIEVAL, ...v.retrieval };
  return {
    ...(base as AgentConfig),
    model: v.model,
    model_params: { ...(base.model_params ?? {}), temperature: v.temperature, top_p: v.top_p, max_tokens: v.max_tokens },
    system_prompt: v.system_prompt ?? "",
    user_input_form: formOf(v.fields ?? []),
    opening_statement: v.opening_statement ?? "",
    suggested_questions: (v.suggested_questions ?? []).map((q) => (q ?? "").trim()).filter(Boolean),
    knowledge: {
      ...(base.knowledge ?? {}),
      knowledge_base_ids: v.knowledge_base_ids ?? [],
      retrieval: { ...retrieval, score_threshold: retrieval.score_threshold ?? null, rerank_model: retrieval.rerank_model || null },
    },
    tools: (v.tools ?? []).map(parseToolKey),
    max_steps: v.max_steps,
    memory_window: v.memory_window,
    citations: v.citations,
    suggested_follow_ups: v.suggested_follow_ups,
  };
}

export function toUpdate(v: BuilderValues, base: Partial<AgentConfig>): AgentUpdate {
  const update: AgentUpdate = { name: (v.name ?? "").trim(), description: v.description ?? "", config: toConfig(v, base) };
  // An icon is one or more characters; an emptied one keeps the stored icon.
  if (v.icon?.trim()) update.icon = v.icon.trim();
  return update;
}
