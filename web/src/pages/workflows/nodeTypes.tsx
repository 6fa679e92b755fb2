/**
 * What the editor knows of each node type: its icon and colour, the settings a new one starts with (Dify's field
 * names), the variables it outputs (for the pickers downstream) and the handles its edges leave from.
 */
import {
  ApiOutlined,
  BookOutlined,
  BranchesOutlined,
  CodeOutlined,
  EditOutlined,
  FileTextOutlined,
  FilterOutlined,
  FlagOutlined,
  FormOutlined,
  MergeOutlined,
  MessageOutlined,
  PlayCircleOutlined,
  RedoOutlined,
  RetweetOutlined,
  RobotOutlined,
  StopOutlined,
  TagsOutlined,
  TeamOutlined,
  ToolOutlined,
} from "@ant-design/icons";
import type { TFunction } from "i18next";
import type { ReactNode } from "react";
import { CONTAINERS, newId, type Graph, type NodeType, type WfNode, type WorkflowMode } from "./model";

export interface TypeMeta {
  icon: ReactNode;
  color: string;
  group: "basic" | "logic" | "transform" | "tools";
}

export const META: Record<NodeType, TypeMeta> = {
  start: { icon: <PlayCircleOutlined />, color: "#2970ff", group: "basic" },
  end: { icon: <FlagOutlined />, color: "#f79009", group: "basic" },
  answer: { icon: <MessageOutlined />, color: "#f79009", group: "basic" },
  llm: { icon: <RobotOutlined />, color: "#6172f3", group: "basic" },
  "knowledge-retrieval": { icon: <BookOutlined />, color: "#16b364", group: "basic" },
  "question-classifier": { icon: <TagsOutlined />, color: "#16b364", group: "logic" },
  "if-else": { icon: <BranchesOutlined />, color: "#06aed4", group: "logic" },
  iteration: { icon: <RetweetOutlined />, color: "#06aed4", group: "logic" },
  loop: { icon: <RedoOutlined />, color: "#06aed4", group: "logic" },
  "human-input": { icon: <FormOutlined />, color: "#06aed4", group: "logic" },
  code: { icon: <CodeOutlined />, color: "#2e90fa", group: "transform" },
  "template-transform": { icon: <FileTextOutlined />, color: "#2e90fa", group: "transform" },
  "variable-aggregator": { icon: <MergeOutlined />, color: "#2e90fa", group: "transform" },
  "variable-assigner": { icon: <EditOutlined />, color: "#2e90fa", group: "transform" },
  "parameter-extractor": { icon: <FilterOutlined />, color: "#2e90fa", group: "transform" },
  "http-request": { icon: <ApiOutlined />, color: "#875bf7", group: "tools" },
  tool: { icon: <ToolOutlined />, color: "#875bf7", group: "tools" },
  agent: { icon: <TeamOutlined />, color: "#875bf7", group: "tools" },
};

/** Dify's structural markers inside containers (imported files carry them): drawn, never offered but loop-end. */
const MARKERS: Record<string, TypeMeta> = {
  "iteration-start": { icon: <PlayCircleOutlined />, color: "#06aed4", group: "logic" },
  "loop-start": { icon: <PlayCircleOutlined />, color: "#06aed4", group: "logic" },
  "loop-end": { icon: <StopOutlined />, color: "#06aed4", group: "logic" },
};

export const GROUPS = ["basic", "logic", "transform", "tools"] as const;

export const metaOf = (type: string): TypeMeta => META[type as NodeType] ?? MARKERS[type] ?? { icon: <CodeOutlined />, color: "#98a2b3", group: "tools" };

export const DEFAULT_MODEL = { provider: "", name: "smollm2-135m-instruct", mode: "chat", completion_params: { temperature: 0.7, max_tokens: 512 } };

/** The settings a new node of `type` starts with. */
export function defaultData(type: string, t: TFunction, mode: WorkflowMode): Record<string, unknown> {
  switch (type) {
    case "start":
      return { variables: [] };
    case "end":
      return { outputs: [] };
    case "answer":
      return { answer: "" };
    case "llm":
      return {
        model: { ...DEFAULT_MODEL },
        prompt_template: [
          { role: "system", text: "" },
          { role: "user", text: mode === "chatflow" ? "{{#sys.query#}}" : "" },
        ],
        context: { enabled: false, variable_selector: [] },
        vision: { enabled: false },
      };
    case "knowledge-retrieval":
      return {
        query_variable_selector: mode === "chatflow" ? ["sys", "query"] : [],
        dataset_ids: [],
        retrieval_mode: "multiple",
        multiple_retrieval_config: { top_k: 4, score_threshold: null },
      };
    case "question-classifier":
      return {
        query_variable_selector: mode === "chatflow" ? ["sys", "query"] : [],
        model: { ...DEFAULT_MODEL },
        classes: [
          { id: "1", name: t("workflow.defaults.class", { n: 1 }) },
          { id: "2", name: t("workflow.defaults.class", { n: 2 }) },
        ],
        instruction: "",
      };
    case "if-else":
      return { cases: [{ case_id: "true", logical_operator: "and", conditions: [] }] };
    case "code":
      return {
        code_language: "python3",
        code: "def main(arg1: str) -> dict:\n    return {\"result\": arg1}\n",
        variables: [{ variable: "arg1", value_selector: [] }],
        outputs: { result: { type: "string", children: null } },
      };
    case "template-transform":
      return { variables: [{ variable: "arg1", value_selector: [] }], template: "{{ arg1 }}" };
    case "http-request":
      return {
        method: "get",
        url: "",
        authorization: { type: "no-auth", config: null },
        headers: "",
        params: "",
        body: { type: "none", data: [] },
        timeout: { connect: 10, read: 60, write: 20 },
      };
    case "variable-assigner":
      return { version: "2", items: [] };
    case "variable-aggregator":
      return { output_type: "string", variables: [] };
    case "parameter-extractor":
      return {
        query: mode === "chatflow" ? ["sys", "query"] : [],
        model: { ...DEFAULT_MODEL },
        parameters: [],
        instruction: "",
        reasoning_mode: "prompt",
      };
    case "iteration":
      return { iterator_selector: [], output_selector: [], output_type: "array[string]", is_parallel: false, parallel_nums: 10, error_handle_mode: "terminated", start_node_id: "" };
    case "loop":
      return { loop_count: 10, break_conditions: [], logical_operator: "and", loop_variables: [], start_node_id: "" };
    case "tool":
      return { provider_id: "builtin", provider_type: "builtin", tool_name: "", tool_parameters: {} };
    case "agent":
      return { agent_id: "", query: mode === "chatflow" ? "{{#sys.query#}}" : "" };
    case "human-input":
      return { form_content: "", inputs: [], user_actions: [], timeout: 36, timeout_unit: "hour" };
    default:
      return {};
  }
}

export interface VarInfo {
  variable: string;
  type: string;
}

const asArray = <T,>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

const START_KIND_TYPES: Record<string, string> = {
  "text-input": "string",
  paragraph: "string",
  select: "string",
  number: "number",
  checkbox: "boolean",
  file: "file",
  "file-list": "array[file]",
  json_object: "object",
};

/** The variables a node outputs, readable downstream as `[node.id, variable]`. */
export function outputsOf(node: WfNode): VarInfo[] {
  const d = node.data;
  switch (node.type) {
    case "start":
      return asArray<{ variable?: string; type?: string }>(d.variables)
        .filter((v) => v.variable)
        .map((v) => ({ variable: v.variable!, type: START_KIND_TYPES[v.type ?? ""] ?? "string" }));
    case "llm": {
      const out = [
        { variable: "text", type: "string" },
        { variable: "usage", type: "object" },
      ];
      if (d.structured_output_enabled) out.push({ variable: "structured_output", type: "object" });
      return out;
    }
    case "answer":
      return [{ variable: "answer", type: "string" }];
    case "knowledge-retrieval":
      return [{ variable: "result", type: "array[object]" }];
    case "question-classifier":
      return [
        { variable: "class_name", type: "string" },
        { variable: "class_id", type: "string" },
      ];
    case "if-else":
      return [
        { variable: "result", type: "boolean" },
        { variable: "selected_case_id", type: "string" },
      ];
    case "code":
      return Object.entries((d.outputs as Record<string, { type?: string }>) ?? {}).map(([k, v]) => ({ variable: k, type: v?.type ?? "string" }));
    case "template-transform":
      return [{ variable: "output", type: "string" }];
    case "http-request":
      return [
        { variable: "body", type: "string" },
        { variable: "status_code", type: "number" },
        { variable: "headers", type: "object" },
        { variable: "files", type: "array[file]" },
      ];
    case "variable-aggregator":
      return [{ variable: "output", type: String(d.output_type ?? "string") }];
    case "parameter-extractor":
      return [
        ...asArray<{ name?: string; type?: string }>(d.parameters)
          .filter((p) => p.name)
          .map((p) => ({ variable: p.name!, type: p.type ?? "string" })),
        { variable: "__is_success", type: "number" },
        { variable: "__reason", type: "string" },
      ];
    case "iteration":
      return [{ variable: "output", type: "array[any]" }];
    case "loop":
      return [
        ...asArray<{ label?: string; var_type?: string }>(d.loop_variables)
          .filter((v) => v.label)
          .map((v) => ({ variable: v.label!, type: v.var_type ?? "string" })),
        { variable: "loop_round", type: "number" },
      ];
    case "tool":
      return [
        { variable: "text", type: "string" },
        { variable: "json", type: "array[object]" },
        { variable: "files", type: "array[file]" },
      ];
    case "agent":
      return [
        { variable: "text", type: "string" },
        { variable: "usage", type: "object" },
        { variable: "citations", type: "array[object]" },
      ];
    case "human-input":
      return [
        ...asArray<{ output_variable_name?: string }>(d.inputs)
          .filter((v) => v.output_variable_name)
          .map((v) => ({ variable: v.output_variable_name!, type: "string" })),
        { variable: "__action_id", type: "string" },
      ];
    default:
      return [];
  }
}

/** A loop's own variables (`[loop_id, label]`), which the nodes inside it read and a Variable assigner writes. */
export function loopVariablesOf(loop: WfNode): VarInfo[] {
  return asArray<{ label?: string; var_type?: string }>(loop.data.loop_variables)
    .filter((v) => v.label)
    .map((v) => ({ variable: v.label!, type: v.var_type ?? "string" }));
}

/** What a node inside a container reads from the container itself (the item of an iteration, a loop's index). */
export function innerOutputsOf(container: WfNode): VarInfo[] {
  if (container.type === "iteration") return [{ variable: "item", type: "any" }, { variable: "index", type: "number" }];
  if (container.type === "loop")
    return [{ variable: "index", type: "number" }, { variable: "loop_round", type: "number" }, ...loopVariablesOf(container)];
  return [];
}

/** The system's variables (`["sys", name]`) a workflow of `mode` offers. */
export function systemVariables(mode: WorkflowMode): VarInfo[] {
  const common = [
    { variable: "user_id", type: "string" },
    { variable: "files", type: "array[file]" },
    { variable: "workflow_run_id", type: "string" },
  ];
  return mode === "chatflow"
    ? [{ variable: "query", type: "string" }, { variable: "conversation_id", type: "string" }, ...common]
    : common;
}

export interface HandleInfo {
  id: string;
  /** Shown next to the handle; undefined: an unlabelled single output. */
  label?: string;
  kind: "case" | "else" | "class" | "fail" | "source";
}

/** The handles a node's outgoing edges leave from (graph.py: cases and `false`, classes, `fail-branch`). */
export function sourceHandles(node: WfNode): HandleInfo[] {
  let out: HandleInfo[];
  switch (node.type) {
    case "end":
    case "loop-end":
      out = [];
      break;
    case "human-input": {
      const actions = asArray<{ id: string; title?: string }>(node.data.user_actions);
      out = actions.length ? actions.map((a) => ({ id: a.id, label: a.title || a.id, kind: "class" as const })) : [{ id: "source", kind: "source" }];
      break;
    }
    case "if-else":
      out = [
        ...asArray<{ case_id: string }>(node.data.cases).map((c, i) => ({ id: c.case_id, label: i === 0 ? "IF" : "ELIF", kind: "case" as const })),
        { id: "false", label: "ELSE", kind: "else" },
      ];
      break;
    case "question-classifier":
      out = asArray<{ id: string; name?: string }>(node.data.classes).map((c) => ({ id: c.id, label: c.name ?? c.id, kind: "class" as const }));
      break;
    default:
      out = [{ id: "source", kind: "source" }];
  }
  if (node.error_strategy === "fail_branch" && node.type !== "end") out.push({ id: "fail-branch", label: "FAIL", kind: "fail" });
  return out;
}

export const hasTarget = (type: string) => type !== "start";

/** A fresh node of `type` at `position`, titled in the console's language. */
export function makeNode(type: string, position: { x: number; y: number }, graph: Graph, t: TFunction, parentId: string | null = null): WfNode {
  const base = t(`workflow.types.${type as NodeType}.name`);
  const taken = new Set(graph.nodes.map((n) => n.title));
  let title = base;
  for (let i = 2; taken.has(title); i++) title = `${base} ${i}`;
  const id = type === "start" && !graph.nodes.some((n) => n.id === "start") ? "start" : newId();
  return { id, type, title, data: defaultData(type, t, graph.mode), position, parent_id: parentId };
}

export const isContainer = (type: string) => CONTAINERS.includes(type);

/** The node types the palette offers, the ones a workflow of `mode` ends with first (Answer for chat, End else). */
export function paletteTypes(mode: WorkflowMode): NodeType[] {
  const all: NodeType[] = [
    "start",
    "llm",
    "knowledge-retrieval",
    "answer",
    "end",
    "question-classifier",
    "if-else",
    "iteration",
    "loop",
    "human-input",
    "code",
    "template-transform",
    "variable-aggregator",
    "variable-assigner",
    "parameter-extractor",
    "http-request",
    "tool",
    "agent",
  ];
  return mode === "chatflow" ? all : all.map((t) => (t === "answer" ? "end" : t === "end" ? "answer" : t));
}
