import { CheckCircleFilled, CloseCircleFilled, ExclamationCircleFilled, LoadingOutlined, PauseCircleFilled } from "@ant-design/icons";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { Tooltip, theme } from "antd";
import { memo, type CSSProperties } from "react";
import { useTranslation } from "react-i18next";
import type { Problem, WfNode } from "./model";
import { hasTarget, metaOf, type HandleInfo } from "./nodeTypes";

/** One node's part of a run, as the run's events tell it (Dify's node_started / node_finished). */
export interface NodeRun {
  status: "running" | "succeeded" | "failed" | "exception" | "stopped" | "paused" | "skipped";
  elapsed_time?: number | null;
  inputs?: unknown;
  outputs?: unknown;
  process_data?: unknown;
  error?: string | null;
}

export interface NodeData extends Record<string, unknown> {
  node: WfNode;
  handles: HandleInfo[];
  problems: Problem[];
  run?: NodeRun;
  summary?: string;
}

export type FlowNode = Node<NodeData, "wf" | "container">;

const HANDLE: CSSProperties = { width: 10, height: 10, border: "2px solid #fff", background: "#2970ff" };

export function formatElapsed(s: number | null | undefined): string {
  if (s === null || s === undefined) return "";
  return s < 1 ? `${Math.max(1, Math.round(s * 1000))} ms` : `${s.toFixed(2)} s`;
}

function RunBadge({ run }: { run: NodeRun }) {
  const { t } = useTranslation();
  const icon = {
    running: <LoadingOutlined style={{ color: "#2970ff" }} />,
    succeeded: <CheckCircleFilled style={{ color: "#17b26a" }} />,
    failed: <CloseCircleFilled style={{ color: "#f04438" }} />,
    exception: <ExclamationCircleFilled style={{ color: "#f79009" }} />,
    stopped: <PauseCircleFilled style={{ color: "#98a2b3" }} />,
    paused: <PauseCircleFilled style={{ color: "#f79009" }} />,
    skipped: <PauseCircleFilled style={{ color: "#d0d5dd" }} />,
  }[run.status];
  return (
    <div className="wf-node-run" data-testid="wf-node-run" data-status={run.status}>
      {icon}
      <span>{t(`workflow.run.status.${run.status}`)}</span>
      <span className="wf-node-time" data-testid="wf-node-time">
        {formatElapsed(run.elapsed_time)}
      </span>
      {run.error && (
        <Tooltip title={run.error}>
          <span className="wf-node-run-error">{run.error}</span>
        </Tooltip>
      )}
    </div>
  );
}

function Header({ data }: { data: NodeData }) {
  const { t } = useTranslation();
  const meta = metaOf(data.node.type);
  const problems = data.problems;
  return (
    <div className="wf-node-header">
      <span className="wf-node-icon" style={{ background: meta.color }}>
        {meta.icon}
      </span>
      <span className="wf-node-title" data-testid="wf-node-title">
        {data.node.title || t(`workflow.types.${data.node.type as "llm"}.name`, { defaultValue: data.node.type })}
      </span>
      {problems.length > 0 && (
        <Tooltip
          title={
            <ul style={{ margin: 0, paddingInlineStart: 16 }}>
              {problems.map((p, i) => (
                <li key={i}>{p.message}</li>
              ))}
            </ul>
          }
        >
          <span className="wf-node-problems" data-testid="wf-node-problems">
            {problems.length}
          </span>
        </Tooltip>
      )}
    </div>
  );
}

function SourceHandles({ handles }: { handles: HandleInfo[] }) {
  if (handles.length === 1 && handles[0]!.kind === "source")
    return <Handle type="source" position={Position.Right} id="source" style={HANDLE} data-testid="wf-handle-source" />;
  return (
    <div className="wf-node-branches">
      {handles.map((h) => (
        <div key={h.id} className={`wf-node-branch wf-node-branch-${h.kind}`}>
          <span className="wf-node-branch-label" title={h.label}>
            {h.label}
          </span>
          <Handle
            type="source"
            position={Position.Right}
            id={h.id}
            style={{ ...HANDLE, background: h.kind === "fail" ? "#f04438" : h.kind === "else" ? "#98a2b3" : "#2970ff" }}
            data-testid={`wf-handle-${h.id}`}
          />
        </div>
      ))}
    </div>
  );
}

/** A node on the canvas: its type's icon and colour, title, a line of what it does, its problems and its run. */
export const WorkflowNodeView = memo(function WorkflowNodeView({ data, selected }: NodeProps<FlowNode>) {
  const { token } = theme.useToken();
  const meta = metaOf(data.node.type);
  const single = data.handles.length === 1 && data.handles[0]!.kind === "source";
  return (
    <div
      className={`wf-node${selected ? " wf-selected" : ""}${data.problems.length ? " wf-has-problems" : ""}`}
      data-testid={`wf-node-${data.node.id}`}
      data-type={data.node.type}
      data-title={data.node.title}
      data-run={data.run?.status ?? ""}
      style={{ borderColor: selected ? token.colorPrimary : undefined, ["--wf-accent" as string]: meta.color }}
    >
      {hasTarget(data.node.type) && <Handle type="target" position={Position.Left} id="target" style={HANDLE} data-testid="wf-handle-target" />}
      <Header data={data} />
      {data.summary && <div className="wf-node-summary">{data.summary}</div>}
      {!single && <SourceHandles handles={data.handles} />}
      {data.run && <RunBadge run={data.run} />}
      {single && <SourceHandles handles={data.handles} />}
    </div>
  );
});

/** An iteration or loop: a group whose children are drawn inside it (their positions are relative to it). */
export const ContainerNodeView = memo(function ContainerNodeView({ data, selected, width, height }: NodeProps<FlowNode>) {
  const { token } = theme.useToken();
  const meta = metaOf(data.node.type);
  const { t } = useTranslation();
  return (
    <div
      className={`wf-node wf-container${selected ? " wf-selected" : ""}${data.problems.length ? " wf-has-problems" : ""}`}
      data-testid={`wf-node-${data.node.id}`}
      data-type={data.node.type}
      data-title={data.node.title}
      data-run={data.run?.status ?? ""}
      style={{ width, height, borderColor: selected ? token.colorPrimary : undefined, ["--wf-accent" as string]: meta.color }}
    >
      <Handle type="target" position={Position.Left} id="target" style={{ ...HANDLE, top: 24 }} data-testid="wf-handle-target" />
      <Header data={data} />
      {data.summary && <div className="wf-node-summary">{data.summary}</div>}
      {data.run && <RunBadge run={data.run} />}
      <div className="wf-container-hint">{t("workflow.canvas.containerHint")}</div>
      <Handle type="source" position={Position.Right} id="source" style={{ ...HANDLE, top: 24 }} data-testid="wf-handle-source" />
    </div>
  );
});

export const NODE_COMPONENTS = { wf: WorkflowNodeView, container: ContainerNodeView };
