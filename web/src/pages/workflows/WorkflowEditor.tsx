import "@xyflow/react/dist/style.css";
import "./workflow.css";
import {
  ApartmentOutlined,
  CaretRightOutlined,
  CheckCircleOutlined,
  CloudUploadOutlined,
  CommentOutlined,
  ExclamationCircleOutlined,
  HistoryOutlined,
  LoadingOutlined,
  RedoOutlined,
  SafetyCertificateOutlined,
  UndoOutlined,
  WarningFilled,
} from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnNodeDrag,
} from "@xyflow/react";
import { Alert, App, Badge, Button, Divider, Flex, Input, List, Modal, Popover, Space, Tag, Tooltip, Typography, type ButtonProps } from "antd";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { request, wsPaths, type AgentVersionPublic } from "../../api/agents";
import { ApiError, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { AgentAvatar } from "../../components/agents/AgentAvatar";
import { currentLanguage } from "../../i18n";
import { VersionsDrawer } from "../agents/builder/VersionsDrawer";
import { saveDraft, validate, type WorkflowAgent, type WorkflowConfig } from "./api";
import { toFlowEdges, toFlowNodes } from "./canvas";
import { ConversationVarsPanel } from "./ConversationVars";
import { useGraphHistory } from "./history";
import { autoLayout, CONTAINER_PAD, NODE_WIDTH } from "./layout";
import {
  cloneNodes,
  descendants,
  edgeId,
  readGraph,
  removeNodes,
  withContainerStarts,
  type Graph,
  type NodeType,
  type Problem,
  type WfEdge,
  type WfNode,
  type WorkflowMode,
} from "./model";
import { isContainer, makeNode, metaOf, sourceHandles } from "./nodeTypes";
import { DRAG_TYPE, Palette } from "./Palette";
import { EditorContext } from "./panels/common";
import { NodePanel } from "./panels/NodePanel";
import { RunPanel, useWorkflowRun } from "./RunPanel";
import { NODE_COMPONENTS, type FlowNode } from "./WorkflowNode";

/** Edits stop for this long before the draft is saved. */
const AUTOSAVE_MS = 800;
const CLIPBOARD = "hezi.workflow.clipboard";

type SaveState = { state: "saved" | "dirty" | "saving" | "error"; message?: string; at?: Date };

export function WorkflowEditor(props: { workspace: WorkspaceRef; initial: WorkflowAgent; back: ReactNode; editable: boolean }) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function SaveIndicator({ save }: { save: SaveState }) {
  const { t } = useTranslation();
  const icon = {
    saved: <CheckCircleOutlined style={{ color: "#52c41a" }} />,
    dirty: <LoadingOutlined />,
    saving: <LoadingOutlined />,
    error: <ExclamationCircleOutlined style={{ color: "#ff4d4f" }} />,
  }[save.state];
  const text = {
    saved: save.at ? t("builder.save.savedAt", { time: save.at.toLocaleTimeString(currentLanguage(), { hour12: false }) }) : t("builder.save.saved"),
    dirty: t("builder.save.saving"),
    saving: t("builder.save.saving"),
    error: t("builder.save.failed"),
  }[save.state];
  return (
    <Tooltip title={save.message}>
      <Typography.Text type="secondary" data-testid="builder-save-status" data-state={save.state} style={{ whiteSpace: "nowrap", fontSize: 12 }}>
        <Space size={4}>
          {icon}
          {text}
        </Space>
      </Typography.Text>
    </Tooltip>
  );
}

const isTyping = (el: EventTarget | null) =>
  el instanceof HTMLElement && !!el.closest("input, textarea, [contenteditable='true'], .ant-select, .ant-modal, .ant-drawer, .ant-dropdown, .ant-cascader-dropdown");

function Editor({ workspace, initial, back, editable }: { workspace: WorkspaceRef; initial: WorkflowAgent; back: ReactNode; editable: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const flow = useReactFlow<FlowNode>();
  const mode: WorkflowMode = initial.config.mode === "chatflow" ? "chatflow" : "workflow";
  const history = useGraphHistory(readGraph(initial.config.workflow, mode));
  const graph = history.graph;
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const [agent, setAgent] = useState(initial);
  const [selected, setSelected] = useState<{ nodes: string[]; edges: string[] }>({ nodes: [], edges: [] });
  const [problems, setProblems] = useState<Problem[]>(initial.problems ?? []);
  const [side, setSide] = useState<"node" | "run" | "vars">("node");
  const [save, setSave] = useState<SaveState>({ state: "saved" });
  const [publishOpen, setPublishOpen] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const [note, setNote] = useState("");
  const [versionsOpen, setVersionsOpen] = useState(false);
  const sizes = useRef(new Map<string, { width: number; height: number }>());
  const [sizeTick, setSizeTick] = useState(0);
  const wrapper = useRef<HTMLDivElement>(null);

  // --- autosave: one PATCH at a time; edits made while one is in flight go out right after it -----------------
  const timer = useRef<number | null>(null);
  const inFlight = useRef<Promise<boolean> | null>(null);
  const dirty = useRef(false);
  const base = useRef<WorkflowConfig>(initial.config);
  const paths = useMemo(() => wsPaths(workspace.id), [workspace.id]);

  const checkProblems = useCallback(
    async (g: Graph) => {
      try {
        setProblems(await validate(workspace.id, initial.id, g));
      } catch (err) {
        // A server without the validate route yet: the canvas simply shows no problems.
        if (!(err instanceof ApiError && (err.status === 404 || err.status === 405))) throw err;
      }
    },
    [initial.id, workspace.id],
  );

  const saveNow = useCallback(async (): Promise<boolean> => {
    if (timer.current !== null) {
      window.clearTimeout(timer.current);
      timer.current = null;
    }
    if (inFlight.current) await inFlight.current;
    if (!dirty.current) return true;
    if (!editable) return false;
    const job = (async () => {
      dirty.current = false;
      setSave({ state: "saving" });
      const g = withContainerStarts(graphRef.current);
      try {
        const saved = await saveDraft(workspace.id, initial.id, { ...base.current, mode, workflow: g });
        base.current = saved.config;
        setAgent(saved);
        if (saved.problems) setProblems(saved.problems);
        else void checkProblems(g).catch(() => undefined);
        queryClient.setQueryData(queryKeys.agent(workspace.id, saved.id), saved);
        void queryClient.invalidateQueries({ queryKey: queryKeys.agents(workspace.id) });
        setSave(dirty.current ? { state: "dirty" } : { state: "saved", at: new Date() });
        return true;
      } catch (err) {
        dirty.current = true;
        setSave({ state: "error", message: errorMessage(err, t) });
        return false;
      }
    })();
    inFlight.current = job;
    const ok = await job;
    if (inFlight.current === job) inFlight.current = null;
    if (ok && dirty.current) timer.current = window.setTimeout(() => void saveNow(), AUTOSAVE_MS);
    return ok;
  }, [checkProblems, editable, initial.id, mode, queryClient, t, workspace.id]);
  const latestSave = useRef(saveNow);
  latestSave.current = saveNow;

  useEffect(() => {
    if (history.revision === 0 || !editable) return;
    dirty.current = true;
    setSave({ state: "dirty" });
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void latestSave.current(), AUTOSAVE_MS);
  }, [history.revision, editable]);

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (dirty.current || inFlight.current) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => {
      window.removeEventListener("beforeunload", warn);
      if (dirty.current) void latestSave.current();
    };
  }, []);

  // The problems of what was loaded, before the first edit.
  useEffect(() => {
    if (initial.problems === undefined && graphRef.current.nodes.length > 0) void checkProblems(graphRef.current).catch(() => undefined);
  }, [checkProblems, initial.problems]);

  // --- run ---------------------------------------------------------------------------------------------------
  const run = useWorkflowRun(workspace.id, initial.id, saveNow, setProblems);

  // --- what the canvas draws ---------------------------------------------------------------------------------
  const problemsByNode = useMemo(() => {
    const m = new Map<string, Problem[]>();
    for (const p of problems) {
      const id = p.node_id ?? (p.edge_id ? graph.edges.find((e) => e.id === p.edge_id)?.target : undefined);
      if (id) m.set(id, [...(m.get(id) ?? []), p]);
    }
    return m;
  }, [graph.edges, problems]);
  const selNodes = useMemo(() => new Set(selected.nodes), [selected.nodes]);
  const selEdges = useMemo(() => new Set(selected.edges), [selected.edges]);
  const nodes = useMemo(
    () => toFlowNodes(graph, selNodes, problemsByNode, run.state.nodes, sizes.current, t),
    // sizeTick: a node was measured (a container's size follows its children's)
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [graph, selNodes, problemsByNode, run.state.nodes, sizeTick, t],
  );
  const edges = useMemo(() => toFlowEdges(graph, selEdges, run.state.nodes), [graph, selEdges, run.state.nodes]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const moved = new Map<string, { x: number; y: number }>();
      let measured = false;
      let sel: Map<string, boolean> | null = null;
      for (const c of changes) {
        if (c.type === "dimensions" && c.dimensions) {
          const prev = sizes.current.get(c.id);
          if (!prev || prev.width !== c.dimensions.width || prev.height !== c.dimensions.height) {
            sizes.current.set(c.id, c.dimensions);
            measured = true;
          }
        } else if (c.type === "position" && c.position && editable) {
          moved.set(c.id, { x: Math.round(c.position.x), y: Math.round(c.position.y) });
        } else if (c.type === "select") {
          (sel ??= new Map()).set(c.id, c.selected);
        }
      }
      if (measured) setSizeTick((x) => x + 1);
      if (moved.size > 0) {
        history.commit(
          (g) => ({
            ...g,
            nodes: g.nodes.map((n) => {
              const p = moved.get(n.id);
              if (!p) return n;
              // Inside a container, below its title bar and not past its left edge.
              return { ...n, position: n.parent_id ? { x: Math.max(CONTAINER_PAD.side / 2, p.x), y: Math.max(CONTAINER_PAD.top - 8, p.y) } : p };
            }),
          }),
          `drag:${[...moved.keys()].sort().join(",")}`,
        );
      }
      if (sel) {
        const s = sel;
        setSelected((prev) => {
          const next = new Set(prev.nodes);
          for (const [id, on] of s) if (on) next.add(id);
          else next.delete(id);
          return { ...prev, nodes: [...next] };
        });
      }
    },
    [editable, history],
  );

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const sel = changes.filter((c) => c.type === "select");
    if (sel.length === 0) return;
    setSelected((prev) => {
      const next = new Set(prev.edges);
      for (const c of sel) if (c.type === "select") (c.selected ? next.add(c.id) : next.delete(c.id));
      return { ...prev, edges: [...next] };
    });
  }, []);

  const validConnection: IsValidConnection = useCallback(
    (c) => {
      const g = graphRef.current;
      if (!c.source || !c.target || c.source === c.target) return false;
      const a = g.nodes.find((n) => n.id === c.source);
      const b = g.nodes.find((n) => n.id === c.target);
      if (!a || !b || b.type === "start") return false;
      if ((a.parent_id ?? null) !== (b.parent_id ?? null)) return false;
      const handle = c.sourceHandle ?? "source";
      return !g.edges.some((e) => e.source === c.source && e.target === c.target && e.source_handle === handle);
    },
    [],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!editable || !validConnection(c)) return;
      const handle = c.sourceHandle ?? "source";
      const edge: WfEdge = { id: edgeId(c.source, handle, c.target), source: c.source, source_handle: handle, target: c.target, target_handle: c.targetHandle ?? "target" };
      history.commit((g) => ({ ...g, edges: [...g.edges, edge] }));
    },
    [editable, history, validConnection],
  );

  /** The innermost container whose box holds the flow point `p`, other than `except` and what it contains. */
  const containerAt = useCallback(
    (p: { x: number; y: number }, except: Set<string> = new Set()): { id: string; origin: { x: number; y: number } } | null => {
      let best: { id: string; origin: { x: number; y: number }; area: number } | null = null;
      for (const n of graphRef.current.nodes) {
        if (!isContainer(n.type) || except.has(n.id)) continue;
        const internal = flow.getInternalNode(n.id);
        if (!internal) continue;
        const origin = internal.internals.positionAbsolute;
        const w = internal.measured.width ?? internal.width ?? 0;
        const h = internal.measured.height ?? internal.height ?? 0;
        if (p.x >= origin.x && p.x <= origin.x + w && p.y >= origin.y && p.y <= origin.y + h && (!best || w * h < best.area))
          best = { id: n.id, origin, area: w * h };
      }
      return best && { id: best.id, origin: best.origin };
    },
    [flow],
  );

  /** Pans to a node the canvas does not show whole (a node added off the edge of the view). */
  const ensureVisible = useCallback(
    (id: string) => {
      const internal = flow.getInternalNode(id);
      const rect = wrapper.current?.getBoundingClientRect();
      if (!internal || !rect) return;
      const p = internal.internals.positionAbsolute;
      const w = internal.measured.width ?? NODE_WIDTH;
      const h = internal.measured.height ?? 80;
      const a = flow.flowToScreenPosition(p);
      const b = flow.flowToScreenPosition({ x: p.x + w, y: p.y + h });
      // The least move that shows it with a margin, so what it was added after stays in view too.
      const m = 24;
      const dx = b.x > rect.right - m ? b.x - (rect.right - m) : a.x < rect.left + m ? a.x - (rect.left + m) : 0;
      const dy = b.y > rect.bottom - m ? b.y - (rect.bottom - m) : a.y < rect.top + m ? a.y - (rect.top + m) : 0;
      if (dx === 0 && dy === 0) return;
      const vp = flow.getViewport();
      void flow.setViewport({ x: vp.x - dx, y: vp.y - dy, zoom: vp.zoom }, { duration: 200 });
    },
    [flow],
  );

  const addNode = useCallback(
    (type: NodeType, at?: { x: number; y: number }) => {
      if (!editable) return;
      const g = graphRef.current;
      if (type === "start" && g.nodes.some((n) => n.type === "start")) {
        void message.info(t("workflow.canvas.oneStart"));
        return;
      }
      let parent: string | null = null;
      let position: { x: number; y: number };
      let from: { id: string; handle: string } | null = null;
      const anchor = selected.nodes.length === 1 ? g.nodes.find((n) => n.id === selected.nodes[0]) : undefined;
      if (at) {
        const box = isContainer(type) ? null : containerAt(at);
        parent = box?.id ?? null;
        position = box ? { x: at.x - box.origin.x, y: at.y - box.origin.y } : at;
      } else if (anchor && isContainer(anchor.type) && !isContainer(type) && type !== "start") {
        // Into the selected container, after its last node.
        parent = anchor.id;
        const kids = g.nodes.filter((n) => n.parent_id === anchor.id);
        const tail = kids.filter((k) => !g.edges.some((e) => e.source === k.id));
        const last = kids.reduce<WfNode | undefined>((a, k) => (!a || k.position.x > a.position.x ? k : a), undefined);
        position = last ? { x: last.position.x + NODE_WIDTH + 60, y: last.position.y } : { x: CONTAINER_PAD.side, y: CONTAINER_PAD.top + 8 };
        if (tail.length === 1) from = { id: tail[0]!.id, handle: sourceHandles(tail[0]!)[0]?.id ?? "source" };
      } else if (anchor) {
        // After the selected node, joined to its first free handle.
        parent = anchor.parent_id ?? null;
        const handles = sourceHandles(anchor);
        const free = handles.find((h) => !g.edges.some((e) => e.source === anchor.id && e.source_handle === h.id)) ?? handles[0];
        const fanOut = g.edges.filter((e) => e.source === anchor.id).length;
        const w = sizes.current.get(anchor.id)?.width ?? NODE_WIDTH;
        position = { x: anchor.position.x + w + 80, y: anchor.position.y + fanOut * 120 };
        if (free && type !== "start") from = { id: anchor.id, handle: free.id };
      } else {
        const rect = wrapper.current?.getBoundingClientRect();
        const center = rect ? flow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 }) : { x: 0, y: 0 };
        position = { x: Math.round(center.x - NODE_WIDTH / 2), y: Math.round(center.y - 40) };
      }
      // Not on top of another node of the same level: move down until it is clear.
      const level = g.nodes.filter((n) => (n.parent_id ?? null) === parent);
      const overlaps = (p: { x: number; y: number }) =>
        level.some((n) => {
          const s = sizes.current.get(n.id) ?? { width: NODE_WIDTH, height: 80 };
          return p.x < n.position.x + s.width + 20 && p.x + NODE_WIDTH + 20 > n.position.x && p.y < n.position.y + s.height + 20 && p.y + 80 + 20 > n.position.y;
        });
      for (let i = 0; i < 50 && overlaps(position); i++) position = { x: position.x, y: position.y + 60 };
      const node = makeNode(type, { x: Math.round(position.x), y: Math.round(position.y) }, g, t, parent);
      const edge: WfEdge | null = from ? { id: edgeId(from.id, from.handle, node.id), source: from.id, source_handle: from.handle, target: node.id, target_handle: "target" } : null;
      history.commit((cur) => ({ ...cur, nodes: [...cur.nodes, node], edges: edge ? [...cur.edges, edge] : cur.edges }));
      setSelected({ nodes: [node.id], edges: [] });
      setSide("node");
      window.setTimeout(() => ensureVisible(node.id), 60);
    },
    [containerAt, editable, ensureVisible, flow, history, message, selected.nodes, t],
  );

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const type = e.dataTransfer.getData(DRAG_TYPE);
      if (!type) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(type as NodeType, { x: Math.round(p.x - NODE_WIDTH / 2), y: Math.round(p.y - 20) });
    },
    [addNode, flow],
  );

  // Dropping a node on a container puts it inside; dragging it out takes it out (its edges to the other level go).
  const onNodeDragStop: OnNodeDrag<FlowNode> = useCallback(
    (_e, _node, dragged) => {
      if (!editable) return;
      const g = graphRef.current;
      const moves = new Map<string, { parent: string | null; position: { x: number; y: number } }>();
      for (const d of dragged) {
        const n = g.nodes.find((x) => x.id === d.id);
        if (!n || isContainer(n.type) || n.type === "start") continue;
        if (n.parent_id && dragged.some((x) => x.id === n.parent_id)) continue;
        const internal = flow.getInternalNode(n.id);
        if (!internal) continue;
        const abs = internal.internals.positionAbsolute;
        const w = internal.measured.width ?? NODE_WIDTH;
        const h = internal.measured.height ?? 80;
        const box = containerAt({ x: abs.x + w / 2, y: abs.y + h / 2 }, descendants(g, [n.id]));
        const parent = box?.id ?? null;
        if (parent === (n.parent_id ?? null)) continue;
        moves.set(n.id, { parent, position: box ? { x: Math.round(abs.x - box.origin.x), y: Math.round(abs.y - box.origin.y) } : { x: Math.round(abs.x), y: Math.round(abs.y) } });
      }
      if (moves.size === 0) return;
      history.commit((cur) => {
        const nodes = cur.nodes.map((n) => (moves.has(n.id) ? { ...n, parent_id: moves.get(n.id)!.parent, position: moves.get(n.id)!.position } : n));
        const parentOf = new Map(nodes.map((n) => [n.id, n.parent_id ?? null]));
        return { ...cur, nodes, edges: cur.edges.filter((e) => parentOf.get(e.source) === parentOf.get(e.target)) };
      }, `drag:${dragged.map((d) => d.id).sort().join(",")}`);
    },
    [containerAt, editable, flow, history],
  );

  // --- selection commands ------------------------------------------------------------------------------------
  const deleteSelection = useCallback(() => {
    if (!editable || (selected.nodes.length === 0 && selected.edges.length === 0)) return;
    const edgeIds = new Set(selected.edges);
    history.commit((g) => {
      const without = removeNodes(g, selected.nodes);
      return { ...without, edges: without.edges.filter((e) => !edgeIds.has(e.id)) };
    });
    setSelected({ nodes: [], edges: [] });
  }, [editable, history, selected]);

  const clipboardRef = useRef<{ nodes: WfNode[]; edges: WfEdge[] } | null>(null);
  const copySelection = useCallback(() => {
    if (selected.nodes.length === 0) return;
    const g = graphRef.current;
    const ids = descendants(g, selected.nodes);
    const payload = { nodes: g.nodes.filter((n) => ids.has(n.id)), edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
    try {
      window.localStorage.setItem(CLIPBOARD, JSON.stringify(payload));
    } catch {
      /* private mode: copy within this page only */
    }
    clipboardRef.current = payload;
    void message.success(t("workflow.canvas.copied", { count: selected.nodes.length }));
  }, [message, selected.nodes, t]);
  const paste = useCallback(
    (offset = 40) => {
      if (!editable) return;
      let payload = clipboardRef.current;
      try {
        const stored = window.localStorage.getItem(CLIPBOARD);
        if (stored) payload = JSON.parse(stored) as typeof payload;
      } catch {
        /* keep the in-page copy */
      }
      if (!payload || payload.nodes.length === 0) return;
      const hasStart = graphRef.current.nodes.some((n) => n.type === "start");
      const src: Graph = { ...graphRef.current, nodes: payload.nodes.filter((n) => !(hasStart && n.type === "start")), edges: payload.edges };
      const inSrc = new Set(src.nodes.map((n) => n.id));
      const tops = src.nodes.filter((n) => !n.parent_id || !inSrc.has(n.parent_id)).map((n) => n.id);
      const copy = cloneNodes(src, tops, offset);
      const ids = new Set(graphRef.current.nodes.map((n) => n.id));
      const fresh = copy.nodes.map((n) => (n.parent_id && !ids.has(n.parent_id) && !copy.nodes.some((c) => c.id === n.parent_id) ? { ...n, parent_id: null } : n));
      const taken = new Set(graphRef.current.nodes.map((n) => n.title));
      const titled = fresh.map((n) => {
        let title = n.title;
        for (let i = 2; taken.has(title); i++) title = `${n.title} ${i}`;
        taken.add(title);
        return { ...n, title };
      });
      history.commit((g) => ({ ...g, nodes: [...g.nodes, ...titled], edges: [...g.edges, ...copy.edges] }));
      const pasted = new Set(titled.map((n) => n.id));
      setSelected({ nodes: titled.filter((n) => !n.parent_id || !pasted.has(n.parent_id)).map((n) => n.id), edges: [] });
    },
    [editable, history],
  );

  const duplicate = useCallback(
    (id: string) => {
      const copy = cloneNodes(graphRef.current, [id], 40);
      if (copy.nodes.length === 0) return;
      const taken = new Set(graphRef.current.nodes.map((n) => n.title));
      const nodes = copy.nodes.map((n) => {
        let title = n.title;
        for (let i = 2; taken.has(title); i++) title = `${n.title} ${i}`;
        taken.add(title);
        return { ...n, title };
      });
      history.commit((g) => ({ ...g, nodes: [...g.nodes, ...nodes], edges: [...g.edges, ...copy.edges] }));
      setSelected({ nodes: [nodes[0]!.id], edges: [] });
    },
    [history],
  );

  const layout = useCallback(() => {
    history.commit((g) => autoLayout(g, (id) => sizes.current.get(id)));
    // Readable rather than whole: a long chain is panned along, not shrunk to dots.
    window.setTimeout(() => void flow.fitView({ padding: 0.15, minZoom: 0.7, maxZoom: 1, duration: 200 }), 50);
  }, [flow, history]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || publishOpen || versionsOpen) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !e.shiftKey) history.undo();
      else if (mod && (key === "y" || (key === "z" && e.shiftKey))) history.redo();
      else if (mod && key === "c") copySelection();
      else if (mod && key === "v") paste();
      else if (mod && key === "d" && selected.nodes.length === 1) duplicate(selected.nodes[0]!);
      else if (!mod && (e.key === "Delete" || e.key === "Backspace")) deleteSelection();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [copySelection, deleteSelection, duplicate, history, paste, publishOpen, selected.nodes, versionsOpen]);

  // Undo can take away the selected node: forget what no longer exists.
  useEffect(() => {
    const ids = new Set(graph.nodes.map((n) => n.id));
    const eids = new Set(graph.edges.map((e) => e.id));
    if (selected.nodes.some((id) => !ids.has(id)) || selected.edges.some((id) => !eids.has(id)))
      setSelected((s) => ({ nodes: s.nodes.filter((id) => ids.has(id)), edges: s.edges.filter((id) => eids.has(id)) }));
  }, [graph, selected]);

  const focusNode = (id: string) => {
    setSelected({ nodes: [id], edges: [] });
    setSide("node");
    const internal = flow.getInternalNode(id);
    if (internal) {
      const p = internal.internals.positionAbsolute;
      void flow.setCenter(p.x + (internal.measured.width ?? NODE_WIDTH) / 2, p.y + 40, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
    }
  };

  // --- publish and versions ----------------------------------------------------------------------------------
  const publish = async () => {
    setPublishing(true);
    try {
      if (!(await saveNow())) throw new Error(t("builder.save.failed"));
      const v = await request<AgentVersionPublic>("POST", `${paths.agent(initial.id)}/publish`, note.trim() ? { note: note.trim() } : {});
      setAgent((a) => ({ ...a, published_version: v.version }));
      setPublishOpen(false);
      setNote("");
      void message.success(t("builder.publish.done", { version: v.version }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.agents(workspace.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.agentVersions(workspace.id, initial.id) });
    } catch (err) {
      void message.error(errorMessage(err, t));
    } finally {
      setPublishing(false);
    }
  };

  const restore = (v: AgentVersionPublic) => {
    base.current = { ...(v.config as WorkflowConfig) };
    history.commit(readGraph((v.config as WorkflowConfig).workflow, mode));
    setVersionsOpen(false);
    void message.success(t("builder.versions.restored", { version: v.version }));
  };

  const rename = async (name: string) => {
    const trimmed = name.trim();
    if (!trimmed || trimmed === agent.name) return;
    try {
      await saveNow();
      const saved = await request<WorkflowAgent>("PATCH", paths.agent(initial.id), { name: trimmed });
      setAgent((a) => ({ ...a, name: saved.name }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.agents(workspace.id) });
    } catch (err) {
      void message.error(errorMessage(err, t));
    }
  };

  const panelNode = side === "node" && selected.nodes.length === 1 ? graph.nodes.find((n) => n.id === selected.nodes[0]) : undefined;
  const updateNode = (id: string, patch: Partial<WfNode>, key?: string) =>
    history.commit((g) => {
      const nodes = g.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n));
      // Handles that no longer exist (a removed case or class) take their edges with them.
      const node = nodes.find((n) => n.id === id);
      const handles = new Set(node ? sourceHandles(node).map((h) => h.id) : []);
      return { ...g, nodes, edges: g.edges.filter((e) => e.source !== id || handles.has(e.source_handle)) };
    }, key);

  const ctx = useMemo(() => ({ graph, workspace, disabled: !editable }), [editable, graph, workspace]);
  const problemCount = problems.length;

  return (
    <EditorContext.Provider value={ctx}>
      <div className="wf-editor" data-testid="wf-editor" data-mode={mode}>
        <Flex justify="space-between" align="center" gap={12} wrap className="wf-toolbar">
          <Flex align="center" gap={12} style={{ minWidth: 0 }}>
            {back}
            <AgentAvatar icon={agent.icon} size={32} />
            <div style={{ minWidth: 0 }}>
              <Typography.Title
                level={5}
                style={{ margin: 0 }}
                ellipsis
                editable={editable ? { onChange: (v) => void rename(v), triggerType: ["icon"] } : false}
                data-testid="builder-title"
              >
                {agent.name}
              </Typography.Title>
              <Space size={6} wrap>
                <Tag bordered={false} color="purple" data-testid="wf-mode">
                  {t(`workflow.mode.${mode}`)}
                </Tag>
                {agent.published_version !== null ? (
                  <Tag color="blue" bordered={false} data-testid="builder-published">
                    {t("agents.versionTag", { version: agent.published_version })}
                  </Tag>
                ) : (
                  <Tag bordered={false} data-testid="builder-published">
                    {t("agents.unpublished")}
                  </Tag>
                )}
                {editable && <SaveIndicator save={save} />}
              </Space>
            </div>
          </Flex>
          <Space wrap size={6}>
            <Tooltip title={`${t("workflow.canvas.undo")} (Ctrl+Z)`}>
              <Button icon={<UndoOutlined />} onClick={history.undo} disabled={!history.canUndo || !editable} aria-label={t("workflow.canvas.undo")} data-testid="wf-undo" />
            </Tooltip>
            <Tooltip title={`${t("workflow.canvas.redo")} (Ctrl+Y)`}>
              <Button icon={<RedoOutlined />} onClick={history.redo} disabled={!history.canRedo || !editable} aria-label={t("workflow.canvas.redo")} data-testid="wf-redo" />
            </Tooltip>
            <Tooltip title={t("workflow.canvas.layout")}>
              <Button icon={<ApartmentOutlined />} onClick={layout} disabled={!editable || graph.nodes.length === 0} aria-label={t("workflow.canvas.layout")} data-testid="wf-layout" />
            </Tooltip>
            <Popover
              trigger="click"
              placement="bottomRight"
              title={t("workflow.problems.title")}
              content={
                problemCount === 0 ? (
                  <Typography.Text type="secondary">{t("workflow.problems.none")}</Typography.Text>
                ) : (
                  <List
                    size="small"
                    style={{ maxWidth: 420, maxHeight: 360, overflow: "auto" }}
                    dataSource={problems}
                    renderItem={(p) => {
                      const id = p.node_id ?? undefined;
                      const n = id ? graph.nodes.find((x) => x.id === id) : undefined;
                      return (
                        <List.Item style={{ cursor: id ? "pointer" : undefined }} onClick={() => id && focusNode(id)} data-testid="wf-problem-item">
                          <Space align="start">
                            <WarningFilled style={{ color: "#f04438" }} />
                            <span>
                              {n && <Typography.Text strong>{n.title}: </Typography.Text>}
                              {p.message}
                            </span>
                          </Space>
                        </List.Item>
                      );
                    }}
                  />
                )
              }
            >
              <Badge count={problemCount} size="small">
                <Button icon={<SafetyCertificateOutlined />} data-testid="wf-problems" onClick={() => void checkProblems(withContainerStarts(graph)).catch((err: unknown) => void message.error(errorMessage(err, t)))}>
                  {t("workflow.problems.button")}
                </Button>
              </Badge>
            </Popover>
            <Divider orientation="vertical" />
            {mode === "chatflow" && (
              <Tooltip title={t("workflow.convVars.tooltip")}>
                <Badge count={graph.conversation_variables.length} size="small" color="#2970ff" showZero={false}>
                  <Button
                    icon={<CommentOutlined />}
                    type={side === "vars" ? "primary" : "default"}
                    ghost={side === "vars"}
                    onClick={() => setSide((s) => (s === "vars" ? "node" : "vars"))}
                    data-testid="wf-convvars-open"
                  >
                    {t("workflow.convVars.button")}
                  </Button>
                </Badge>
              </Tooltip>
            )}
            <Button icon={<HistoryOutlined />} onClick={() => setVersionsOpen(true)} data-testid="builder-versions-open">
              {t("builder.versions.button")}
            </Button>
            <Button icon={<CaretRightOutlined />} onClick={() => setSide("run")} data-testid="wf-run-open">
              {t("workflow.run.button")}
            </Button>
            {editable && (
              <Button type="primary" icon={<CloudUploadOutlined />} onClick={() => setPublishOpen(true)} data-testid="builder-publish">
                {t("builder.publish.button")}
              </Button>
            )}
          </Space>
        </Flex>
        {!editable && <Alert type="info" showIcon title={t("builder.readOnly", { workspace: workspace.name })} style={{ marginBottom: 8 }} />}
        <div className="wf-body">
          {editable && <Palette mode={mode} onAdd={(type) => addNode(type)} disabled={!editable} />}
          <div className="wf-canvas" ref={wrapper} data-testid="wf-canvas" onDragOver={(e) => {
            if (e.dataTransfer.types.includes(DRAG_TYPE)) {
              e.preventDefault();
              e.dataTransfer.dropEffect = "move";
            }
          }} onDrop={onDrop}>
            <ReactFlow<FlowNode>
              nodes={nodes}
              edges={edges}
              nodeTypes={NODE_COMPONENTS}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              isValidConnection={validConnection}
              onNodeDragStop={onNodeDragStop}
              onPaneClick={() => setSelected({ nodes: [], edges: [] })}
              onNodeClick={() => setSide("node")}
              deleteKeyCode={null}
              selectionKeyCode="Shift"
              multiSelectionKeyCode={["Meta", "Control"]}
              nodesDraggable={editable}
              nodesConnectable={editable}
              fitView
              fitViewOptions={{ padding: 0.2, minZoom: 0.6, maxZoom: 1 }}
              minZoom={0.2}
              maxZoom={2}
              proOptions={{ hideAttribution: true }}
              defaultEdgeOptions={{ type: "default" }}
            >
              <Background gap={16} size={1} />
              <Controls showInteractive={false} />
              <MiniMap pannable zoomable style={{ width: 140, height: 90 }} nodeColor={(n) => metaOf((n.data as FlowNode["data"]).node.type).color} nodeBorderRadius={4} />
            </ReactFlow>
            {graph.nodes.length === 0 && (
              <div className="wf-empty" data-testid="wf-empty">
                {t("workflow.canvas.empty")}
              </div>
            )}
          </div>
          {side === "vars" ? (
            <ConversationVarsPanel graph={graph} editable={editable} onChange={(update) => history.commit(update)} onClose={() => setSide("node")} />
          ) : side === "run" ? (
            <RunPanel
              graph={graph}
              run={run.state}
              onStart={(body) => void run.start(body)}
              onStop={run.stop}
              onClose={() => setSide("node")}
              onPickNode={focusNode}
            />
          ) : (
            panelNode && (
              <NodePanel
                key={panelNode.id}
                node={panelNode}
                problems={problemsByNode.get(panelNode.id) ?? []}
                run={run.state.nodes[panelNode.id]}
                onUpdate={(patch, key) => updateNode(panelNode.id, patch, key)}
                onClose={() => setSelected({ nodes: [], edges: [] })}
                onDelete={() => {
                  history.commit((g) => removeNodes(g, [panelNode.id]));
                  setSelected({ nodes: [], edges: [] });
                }}
                onDuplicate={() => duplicate(panelNode.id)}
              />
            )
          )}
        </div>
      </div>

      <Modal
        open={publishOpen}
        title={t("builder.publish.title", { name: agent.name })}
        okText={t("builder.publish.button")}
        cancelText={t("common.cancel")}
        confirmLoading={publishing}
        onOk={() => void publish()}
        onCancel={() => setPublishOpen(false)}
        okButtonProps={{ "data-testid": "builder-publish-submit" } as ButtonProps}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{t("builder.publish.hint")}</Typography.Paragraph>
        {problemCount > 0 && <Alert type="warning" showIcon title={t("workflow.problems.beforePublish", { count: problemCount })} style={{ marginBottom: 12 }} />}
        <Input.TextArea
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder={t("builder.publish.note")}
          autoSize={{ minRows: 2, maxRows: 6 }}
          maxLength={500}
          data-testid="builder-publish-note"
        />
      </Modal>
      <VersionsDrawer workspaceId={workspace.id} agent={agent} open={versionsOpen} onClose={() => setVersionsOpen(false)} onRestore={restore} canEdit={editable} />
    </EditorContext.Provider>
  );
}
