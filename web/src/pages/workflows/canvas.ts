/** The graph as @xyflow/react draws it: containers before their children, sizes kept across re-renders. */
import type { Edge } from "@xyflow/react";
import type { TFunction } from "i18next";
import { containerSize } from "./layout";
import { reference, references, type Graph, type Problem, type WfNode } from "./model";
import { isContainer, sourceHandles } from "./nodeTypes";
import { operationLabel, takesValue } from "./panels/assigner";
import type { FlowNode, NodeRun } from "./WorkflowNode";

type Size = { width: number; height: number };

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const clip = (s: string, n = 48) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One line under a node's title saying what it is set to do. */
export function summaryOf(node: WfNode, t: TFunction, graph: Graph): string {
  const d = node.data;
  const firstLine = (s: unknown) => clip(String(s ?? "").split("\n").find((l) => l.trim()) ?? "");
  const titled = (s: string) =>
    s.replace(/\{\{#([A-Za-z0-9_-]+)\.([A-Za-z0-9_.]+)#\}\}/g, (_, id: string, v: string) => `{${id === "sys" ? "sys" : (graph.nodes.find((n) => n.id === id)?.title ?? id)}.${v}}`);
  switch (node.type) {
    case "start":
      return arr<{ variable?: string }>(d.variables)
        .map((v) => v.variable)
        .filter(Boolean)
        .join(", ");
    case "end":
      return arr<{ variable?: string }>(d.outputs)
        .map((v) => v.variable)
        .filter(Boolean)
        .join(", ");
    case "answer":
      return firstLine(titled(String(d.answer ?? "")));
    case "llm":
    case "question-classifier":
    case "parameter-extractor": {
      const m = d.model as { name?: string } | undefined;
      return m?.name ?? "";
    }
    case "knowledge-retrieval": {
      const n = arr(d.dataset_ids).length;
      return n ? t("workflow.summary.datasets", { count: n }) : "";
    }
    case "template-transform":
      return firstLine(d.template);
    case "if-else": {
      const n = arr<{ conditions?: unknown[] }>(d.cases).reduce((a, c) => a + arr(c.conditions).length, 0);
      return t("workflow.summary.conditions", { count: n });
    }
    case "code":
      return String(d.code_language ?? "python3");
    case "http-request":
      return clip(`${String(d.method ?? "get").toUpperCase()} ${String(d.url ?? "")}`);
    case "tool":
      return String(d.tool_name ?? "");
    case "variable-assigner":
      return clip(
        arr<{ variable_selector?: string[]; operation?: string; input_type?: string; value?: unknown }>(d.items)
          .filter((i) => Array.isArray(i.variable_selector) && i.variable_selector.length >= 2)
          .map((i) => {
            const op = i.operation ?? "over-write";
            const what = !takesValue(op)
              ? ""
              : i.input_type === "constant"
                ? ` ${JSON.stringify(i.value ?? null)}`
                : Array.isArray(i.value) && i.value.length >= 2
                  ? ` ${titled(reference(i.value as string[]))}`
                  : "";
            return `${i.variable_selector!.slice(1).join(".")} ${operationLabel(op, t)}${what}`;
          })
          .join(", "),
      );
    case "iteration":
    case "loop":
      return t("workflow.summary.children", { count: graph.nodes.filter((n) => n.parent_id === node.id).length });
    default:
      return "";
  }
}

/** Containers first (xyflow wants a parent before its children), the deepest last. */
function ordered(graph: Graph): WfNode[] {
  const depth = new Map<string, number>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const depthOf = (n: WfNode, guard = 0): number => {
    if (depth.has(n.id)) return depth.get(n.id)!;
    const p = n.parent_id ? byId.get(n.parent_id) : undefined;
    const d = p && guard < 16 ? depthOf(p, guard + 1) + 1 : 0;
    depth.set(n.id, d);
    return d;
  };
  return [...graph.nodes].sort((a, b) => depthOf(a) - depthOf(b));
}

export function toFlowNodes(
  graph: Graph,
  selected: Set<string>,
  problems: Map<string, Problem[]>,
  runs: Record<string, NodeRun>,
  sizes: Map<string, Size>,
  t: TFunction,
): FlowNode[] {
  const byId = new Set(graph.nodes.map((n) => n.id));
  return ordered(graph).map((n) => {
    const container = isContainer(n.type);
    const base = {
      id: n.id,
      position: n.position,
      parentId: n.parent_id && byId.has(n.parent_id) ? n.parent_id : undefined,
      selected: selected.has(n.id),
      data: { node: n, handles: sourceHandles(n), problems: problems.get(n.id) ?? [], run: runs[n.id], summary: summaryOf(n, t, graph) },
    };
    if (container) {
      const size = containerSize(graph, n.id, (id) => sizes.get(id));
      return { ...base, type: "container" as const, width: size.width, height: size.height, measured: size, zIndex: 0 };
    }
    return { ...base, type: "wf" as const, measured: sizes.get(n.id), zIndex: n.parent_id ? 1002 : 1 };
  });
}

export function toFlowEdges(graph: Graph, selected: Set<string>, runs: Record<string, NodeRun>): Edge[] {
  const parent = new Map(graph.nodes.map((n) => [n.id, n.parent_id ?? null]));
  return graph.edges.map((e) => {
    const from = runs[e.source]?.status;
    const to = runs[e.target]?.status;
    const taken = from === "succeeded" && to !== undefined;
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: e.source_handle,
      targetHandle: e.target_handle,
      selected: selected.has(e.id),
      animated: taken && to === "running",
      className: taken ? "wf-edge-taken" : undefined,
      zIndex: parent.get(e.source) ? 1001 : 0,
      data: {},
    };
  });
}

/** References in a node's text fields to nodes that are gone (shown before the server says so). */
export function danglingReferences(graph: Graph, node: WfNode): string[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  return references(JSON.stringify(node.data))
    .map((r) => r[0]!)
    .filter((id) => id !== "sys" && id !== "env" && !ids.has(id));
}
