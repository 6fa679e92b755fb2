import dagre from "@dagrejs/dagre";
import type { Graph } from "./model";

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 84;
export const CONTAINER_PAD = { top: 56, side: 24, bottom: 24 };
export const CONTAINER_MIN = { width: 560, height: 220 };

type Size = { width: number; height: number };

/** The size a container needs to hold its children (positions are relative to it, as in Dify's files). */
export function containerSize(graph: Graph, id: string, sizeOf: (id: string) => Size | undefined): Size {
  let width = CONTAINER_MIN.width;
  let height = CONTAINER_MIN.height;
  for (const n of graph.nodes) {
    if (n.parent_id !== id) continue;
    const s = sizeOf(n.id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
    width = Math.max(width, n.position.x + s.width + CONTAINER_PAD.side);
    height = Math.max(height, n.position.y + s.height + CONTAINER_PAD.bottom);
  }
  return { width, height };
}

/**
 * Left-to-right layers by dagre, each container's inside first (so its size is known), then the level around it.
 * Returns new positions only; the caller commits them as one undoable step.
 */
export function autoLayout(graph: Graph, sizeOf: (id: string) => Size | undefined): Graph {
  const positions = new Map<string, { x: number; y: number }>();
  const sizes = new Map<string, Size>();
  const depth = (id: string | null | undefined): number => {
    let d = 0;
    let at = graph.nodes.find((n) => n.id === id);
    while (at?.parent_id) {
      d++;
      at = graph.nodes.find((n) => n.id === at!.parent_id);
    }
    return at ? d + 1 : 0;
  };
  // Deepest levels first: a container's size depends on its laid-out children.
  const parents = [...new Set(graph.nodes.map((n) => n.parent_id ?? null))].sort((a, b) => depth(b) - depth(a));
  let working = graph;
  for (const parent of parents) {
    const level = working.nodes.filter((n) => (n.parent_id ?? null) === parent);
    const ids = new Set(level.map((n) => n.id));
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 80, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of level) {
      const s = sizes.get(n.id) ?? sizeOf(n.id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
      g.setNode(n.id, { width: s.width, height: s.height });
    }
    for (const e of working.edges) if (ids.has(e.source) && ids.has(e.target)) g.setEdge(e.source, e.target);
    dagre.layout(g);
    const origin = parent === null ? { x: 0, y: 0 } : { x: CONTAINER_PAD.side, y: CONTAINER_PAD.top };
    for (const n of level) {
      const p = g.node(n.id);
      positions.set(n.id, { x: Math.round(origin.x + p.x - p.width / 2), y: Math.round(origin.y + p.y - p.height / 2) });
    }
    working = { ...working, nodes: working.nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id)! } : n)) };
    if (parent !== null) sizes.set(parent, containerSize(working, parent, (id) => sizes.get(id) ?? sizeOf(id)));
  }
  return working;
}
