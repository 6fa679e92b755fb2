/**
 * The workflow graph as the server stores it in an agent's `config.workflow` (src/hezi/workflows/graph.py): nodes with
 * Dify's type names and `data` settings, edges between handles, selectors `[node_id, variable]` and `{{#node.var#}}`
 * references in text. Plain functions, no React: what the canvas, the panels and the tests reason about.
 */

export const NODE_TYPES = [
  "start",
  "end",
  "answer",
  "llm",
  "knowledge-retrieval",
  "question-classifier",
  "if-else",
  "code",
  "template-transform",
  "http-request",
  "variable-assigner",
  "variable-aggregator",
  "parameter-extractor",
  "iteration",
  "loop",
  "tool",
  "agent",
  "human-input",
] as const;
export type NodeType = (typeof NODE_TYPES)[number];
export const CONTAINERS: readonly string[] = ["iteration", "loop"];

export type WorkflowMode = "workflow" | "chatflow";
export type Selector = string[];

export interface WfNode {
  id: string;
  type: string;
  version?: string;
  title: string;
  data: Record<string, unknown>;
  position: { x: number; y: number };
  parent_id?: string | null;
  timeout_s?: number | null;
  retry?: { max_attempts: number; interval_s: number };
  error_strategy?: "fail" | "default_value" | "fail_branch";
  default_outputs?: Record<string, unknown>;
}

export interface WfEdge {
  id: string;
  source: string;
  source_handle: string;
  target: string;
  target_handle: string;
}

export interface EnvVar {
  name: string;
  type: string;
  value: unknown;
}

/** A chatflow's conversation variable (graph.ConversationVar): read as `["conversation", name]`, written by a Variable
 * assigner; each new conversation starts at `value` and keeps what its turns wrote. */
export interface ConversationVar {
  name: string;
  type: string;
  value: unknown;
  description: string;
}

export interface Graph {
  mode: WorkflowMode;
  nodes: WfNode[];
  edges: WfEdge[];
  environment: EnvVar[];
  conversation_variables: ConversationVar[];
}

/** One thing wrong with the graph, on the node (or edge) it is about (graph.Problem). */
export interface Problem {
  node_id?: string | null;
  edge_id?: string | null;
  field?: string | null;
  code: string;
  message: string;
}

/** `{{#node_id.variable#}}` (or `.variable.key`) as Dify's editor writes it into text. */
export const REFERENCE = /\{\{#([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_]{1,64}(?:\.[A-Za-z0-9_]{1,64})*)#\}\}/g;

export const reference = (selector: Selector) => `{{#${selector.join(".")}#}}`;

export function references(text: string): Selector[] {
  return [...text.matchAll(REFERENCE)].map((m) => [m[1]!, ...m[2]!.split(".")]);
}

export function emptyGraph(mode: WorkflowMode): Graph {
  return { mode, nodes: [], edges: [], environment: [], conversation_variables: [] };
}

/** A graph from whatever the server sent (an older or partial one reads as far as it goes). */
export function readGraph(raw: unknown, mode: WorkflowMode): Graph {
  const g = (raw && typeof raw === "object" ? raw : {}) as Partial<Graph>;
  return {
    mode: g.mode === "chatflow" || g.mode === "workflow" ? g.mode : mode,
    nodes: Array.isArray(g.nodes) ? g.nodes.map((n) => ({ ...n, title: n.title ?? "", data: n.data ?? {}, position: n.position ?? { x: 0, y: 0 } })) : [],
    edges: Array.isArray(g.edges)
      ? g.edges.map((e) => ({ ...e, source_handle: e.source_handle ?? "source", target_handle: e.target_handle ?? "target" }))
      : [],
    environment: Array.isArray(g.environment) ? g.environment : [],
    conversation_variables: Array.isArray(g.conversation_variables)
      ? g.conversation_variables.map((v) => ({ ...v, type: v.type ?? "string", description: v.description ?? "" }))
      : [],
  };
}

/** The types a conversation variable may have (Dify's). */
export const CONVERSATION_VAR_TYPES = [
  "string",
  "number",
  "boolean",
  "object",
  "array[string]",
  "array[number]",
  "array[boolean]",
  "array[object]",
] as const;

/** A variable's name: what a selector and a `{{#conversation.name#}}` reference can hold. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The value a variable of `type` has when nothing is set. */
export function emptyValue(type: string): unknown {
  if (type === "number") return 0;
  if (type === "boolean") return false;
  if (type === "object") return {};
  if (type.startsWith("array")) return [];
  return "";
}

/** Whether `value` is a JSON value of `type` ("array[number]": an array of numbers). */
export function valueFits(type: string, value: unknown): boolean {
  const item = /^array\[(\w+)\]$/.exec(type)?.[1];
  if (item) return Array.isArray(value) && value.every((v) => valueFits(item, v));
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "object":
      return !!value && typeof value === "object" && !Array.isArray(value);
    default:
      return true;
  }
}

/** Renames the conversation variable `from` to `to`, in the declarations and in every node that reads or writes it. */
export function renameConversationVar(graph: Graph, from: string, to: string): Graph {
  if (from === to) return graph;
  const swap = (value: unknown): unknown => {
    if (typeof value === "string")
      return value.replace(REFERENCE, (all, id: string, rest: string) => {
        if (id !== "conversation") return all;
        const [name, ...keys] = rest.split(".");
        return name === from ? reference(["conversation", to, ...keys]) : all;
      });
    if (Array.isArray(value)) {
      if (value.length >= 2 && value[0] === "conversation" && value[1] === from && value.every((v) => typeof v === "string"))
        return ["conversation", to, ...value.slice(2)];
      return value.map(swap);
    }
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]));
    return value;
  };
  return {
    ...graph,
    conversation_variables: graph.conversation_variables.map((v) => (v.name === from ? { ...v, name: to } : v)),
    nodes: graph.nodes.map((n) => ({ ...n, data: swap(n.data) as Record<string, unknown> })),
  };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
/** A short random id: node ids go into selectors and text references, so they stay readable. */
export function newId(prefix = ""): string {
  let s = "";
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return prefix + s;
}

export function edgeId(source: string, handle: string, target: string): string {
  return `${source}-${handle}-${target}`;
}

/** The nodes whose outputs `nodeId` may read: every node upstream of it, and of the containers it sits in. */
export function upstreamOf(graph: Graph, nodeId: string): WfNode[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const incoming = new Map<string, string[]>();
  for (const e of graph.edges) incoming.set(e.target, [...(incoming.get(e.target) ?? []), e.source]);
  const seen = new Set<string>();
  const out: WfNode[] = [];
  const visit = (id: string) => {
    for (const src of incoming.get(id) ?? []) {
      if (seen.has(src)) continue;
      seen.add(src);
      const n = byId.get(src);
      if (n) out.push(n);
      visit(src);
    }
  };
  let at: WfNode | undefined = byId.get(nodeId);
  while (at) {
    visit(at.id);
    const parent: WfNode | undefined = at.parent_id ? byId.get(at.parent_id) : undefined;
    // A node inside a container reads the container's own item/index (the container is not "upstream" by edges).
    if (parent && !seen.has(parent.id)) {
      seen.add(parent.id);
      out.push(parent);
    }
    at = parent;
  }
  return out.filter((n) => n.id !== nodeId);
}

/** The nodes of a container, and of the containers inside it. */
export function descendants(graph: Graph, ids: Iterable<string>): Set<string> {
  const out = new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of graph.nodes) {
      if (n.parent_id && out.has(n.parent_id) && !out.has(n.id)) {
        out.add(n.id);
        grew = true;
      }
    }
  }
  return out;
}

/** Removes nodes (and what they contain) with their edges. */
export function removeNodes(graph: Graph, ids: Iterable<string>): Graph {
  const gone = descendants(graph, ids);
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => !gone.has(n.id)),
    edges: graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
  };
}

/** Copies of `ids` (and their contents and the edges among them) under fresh ids, shifted by `offset`. */
export function cloneNodes(graph: Graph, ids: Iterable<string>, offset = 40): { nodes: WfNode[]; edges: WfEdge[] } {
  const picked = descendants(graph, ids);
  const rename = new Map<string, string>();
  for (const id of picked) rename.set(id, newId());
  const swap = (value: unknown): unknown => {
    // Selectors and text references among the copied nodes point at the copies.
    if (typeof value === "string") return value.replace(REFERENCE, (all, id: string, rest: string) => (rename.has(id) ? `{{#${rename.get(id)}.${rest}#}}` : all));
    if (Array.isArray(value)) {
      if (value.length >= 2 && typeof value[0] === "string" && rename.has(value[0]) && value.every((v) => typeof v === "string"))
        return [rename.get(value[0]), ...value.slice(1)];
      return value.map(swap);
    }
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === "start_node_id" && typeof v === "string" && rename.has(v) ? rename.get(v) : swap(v)]));
    return value;
  };
  const nodes = graph.nodes
    .filter((n) => picked.has(n.id))
    .map((n) => {
      const top = !n.parent_id || !picked.has(n.parent_id);
      return {
        ...structuredClone(n),
        id: rename.get(n.id)!,
        data: swap(structuredClone(n.data)) as Record<string, unknown>,
        parent_id: n.parent_id ? (rename.get(n.parent_id) ?? n.parent_id) : null,
        position: top ? { x: n.position.x + offset, y: n.position.y + offset } : { ...n.position },
      };
    });
  const edges = graph.edges
    .filter((e) => picked.has(e.source) && picked.has(e.target))
    .map((e) => {
      const source = rename.get(e.source)!;
      const target = rename.get(e.target)!;
      return { ...e, id: edgeId(source, e.source_handle, target), source, target };
    });
  return { nodes, edges };
}

/** Each container starts at its child that no sibling leads to (graph.py: the container's `start_node_id`). */
export function withContainerStarts(graph: Graph): Graph {
  const containers = graph.nodes.filter((n) => CONTAINERS.includes(n.type));
  if (containers.length === 0) return graph;
  const nodes = graph.nodes.map((n) => {
    if (!CONTAINERS.includes(n.type)) return n;
    const children = graph.nodes.filter((c) => c.parent_id === n.id);
    const ids = new Set(children.map((c) => c.id));
    const led = new Set(graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => e.target));
    const starts = children.filter((c) => !led.has(c.id)).sort((a, b) => a.position.x - b.position.x);
    const start = starts[0]?.id ?? "";
    return n.data.start_node_id === start ? n : { ...n, data: { ...n.data, start_node_id: start } };
  });
  return { ...graph, nodes };
}
