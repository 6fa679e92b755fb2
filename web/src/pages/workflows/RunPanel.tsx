import { CaretRightOutlined, CloseOutlined, StopOutlined } from "@ant-design/icons";
import { Alert, Button, Empty, Flex, Form, Input, InputNumber, Select, Switch, Tabs, Tag, Typography } from "antd";
import { useCallback, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { request } from "../../api/agents";
import { runWorkflow, workflowPaths, type RunEvent } from "./api";
import type { Graph, Problem, WfNode } from "./model";
import { metaOf } from "./nodeTypes";
import { formatElapsed, type NodeRun } from "./WorkflowNode";

export interface RunState {
  status: "idle" | "running" | "succeeded" | "failed" | "stopped" | "paused";
  runId?: string;
  nodes: Record<string, NodeRun>;
  /** Node ids in the order they started. */
  order: string[];
  text: string;
  outputs?: unknown;
  error?: string;
  elapsed?: number | null;
  tokens?: number | null;
}

export const IDLE: RunState = { status: "idle", nodes: {}, order: [], text: "" };

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/** The run state after one event (Dify's workflow_started, node_started, node_finished, text_chunk, …). */
export function reduceRun(s: RunState, e: RunEvent): RunState {
  const d = e.data ?? {};
  switch (e.event) {
    case "workflow_started":
      return { ...s, status: "running", runId: str(d.id) ?? e.workflow_run_id };
    case "node_started":
    case "iteration_started":
    case "loop_started": {
      const id = str(d.node_id);
      if (!id) return s;
      return {
        ...s,
        nodes: { ...s.nodes, [id]: { ...s.nodes[id], status: "running", inputs: d.inputs ?? s.nodes[id]?.inputs } },
        order: s.order.includes(id) ? s.order : [...s.order, id],
      };
    }
    case "node_finished":
    case "iteration_completed":
    case "loop_completed": {
      const id = str(d.node_id);
      if (!id) return s;
      const status = (str(d.status) ?? (d.error ? "failed" : "succeeded")) as NodeRun["status"];
      return {
        ...s,
        nodes: {
          ...s.nodes,
          [id]: {
            status,
            inputs: d.inputs ?? s.nodes[id]?.inputs,
            outputs: d.outputs,
            process_data: d.process_data,
            error: str(d.error) ?? null,
            elapsed_time: num(d.elapsed_time),
          },
        },
        order: s.order.includes(id) ? s.order : [...s.order, id],
      };
    }
    case "text_chunk":
      return { ...s, text: s.text + (str(d.text) ?? "") };
    case "message":
    case "agent_message":
      return { ...s, text: s.text + (e.answer ?? "") };
    case "workflow_finished": {
      const status = str(d.status);
      return {
        ...s,
        status: status === "succeeded" ? "succeeded" : status === "stopped" ? "stopped" : "failed",
        outputs: d.outputs,
        error: str(d.error) ?? s.error,
        elapsed: num(d.elapsed_time),
        tokens: num(d.total_tokens),
      };
    }
    case "human_input_required":
    case "workflow_paused":
      return { ...s, status: "paused" };
    case "error":
      return { ...s, status: "failed", error: e.message ?? (typeof d.message === "string" ? d.message : undefined) ?? e.code ?? "error" };
    default:
      return s;
  }
}

/**
 * Runs the draft and keeps its state; `beforeRun` saves pending edits first. A graph the server will not run (422
 * `workflow_invalid`) hands its problems to `onProblems`, for the canvas to show on the nodes.
 */
export function useWorkflowRun(ws: string, agentId: string, beforeRun: () => Promise<boolean>, onProblems: (p: Problem[]) => void) {
  const { t } = useTranslation();
  const [state, setState] = useState<RunState>(IDLE);
  const runId = useRef<string | undefined>(undefined);
  runId.current = state.runId;
  const abort = useRef<AbortController | null>(null);
  const start = useCallback(
    async (body: { inputs: Record<string, unknown>; query?: string }) => {
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      setState({ ...IDLE, status: "running" });
      if (!(await beforeRun())) {
        setState({ ...IDLE, status: "failed", error: t("workflow.run.saveFirst") });
        return;
      }
      try {
        await runWorkflow(ws, agentId, body, (e) => setState((s) => reduceRun(s, e)), controller.signal);
        setState((s) => (s.status === "running" ? { ...s, status: "failed", error: s.error ?? t("workflow.run.interrupted") } : s));
      } catch (err) {
        if (controller.signal.aborted) {
          setState((s) => ({
            ...s,
            status: "stopped",
            nodes: Object.fromEntries(Object.entries(s.nodes).map(([k, v]) => [k, v.status === "running" ? { ...v, status: "stopped" } : v])),
          }));
          return;
        }
        const details = err instanceof ApiError && err.details && typeof err.details === "object" ? (err.details as { problems?: Problem[] }) : null;
        if (err instanceof ApiError && err.code === "workflow_invalid" && details?.problems) onProblems(details.problems);
        const message = err instanceof ApiError && err.status === 404 && err.code !== "agent_not_found" ? t("workflow.run.unavailable") : errorMessage(err, t);
        setState((s) => ({ ...s, status: "failed", error: message }));
      } finally {
        if (abort.current === controller) abort.current = null;
      }
    },
    [agentId, beforeRun, onProblems, t, ws],
  );
  // Stopping tells the server (the run ends "stopped" there too), then closes the stream.
  const stop = useCallback(() => {
    const id = runId.current;
    if (id) void request("POST", workflowPaths(ws, agentId).stop(id)).catch(() => undefined);
    abort.current?.abort();
  }, [agentId, ws]);
  const clear = useCallback(() => setState(IDLE), []);
  return { state, start, stop, clear };
}

interface StartVar {
  variable: string;
  label?: string;
  type?: string;
  required?: boolean;
  options?: string[];
  default?: unknown;
}

function InputField({ v }: { v: StartVar }) {
  const type = v.type ?? "text-input";
  if (type === "paragraph") return <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} data-testid={`wf-run-input-${v.variable}`} />;
  if (type === "number") return <InputNumber style={{ width: "100%" }} data-testid={`wf-run-input-${v.variable}`} />;
  if (type === "select") return <Select options={(v.options ?? []).map((o) => ({ value: o, label: o }))} data-testid={`wf-run-input-${v.variable}`} />;
  if (type === "checkbox") return <Switch data-testid={`wf-run-input-${v.variable}`} />;
  return <Input data-testid={`wf-run-input-${v.variable}`} />;
}

function Json({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="wf-json" data-testid={testId}>
      {typeof value === "string" ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** The run side panel: a form of the start node's inputs (and the question of a chatflow), the result, the trace. */
export function RunPanel({
  graph,
  run,
  onStart,
  onStop,
  onClose,
  onPickNode,
}: {
  graph: Graph;
  run: RunState;
  onStart: (body: { inputs: Record<string, unknown>; query?: string }) => void;
  onStop: () => void;
  onClose: () => void;
  onPickNode: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Record<string, unknown>>();
  const [tab, setTab] = useState("input");
  const start: WfNode | undefined = graph.nodes.find((n) => n.type === "start");
  const vars = (Array.isArray(start?.data.variables) ? start.data.variables : []) as StartVar[];
  const running = run.status === "running";
  const submit = (values: Record<string, unknown>) => {
    const { __query, ...inputs } = values;
    setTab("result");
    onStart({ inputs: Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined && v !== "")), ...(graph.mode === "chatflow" ? { query: String(__query ?? "") } : {}) });
  };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const statusColor = { idle: "default", running: "processing", succeeded: "success", failed: "error", stopped: "warning", paused: "warning" }[run.status];
  return (
    <div className="wf-panel" data-testid="wf-run-panel" data-status={run.status}>
      <Flex align="center" gap={8} className="wf-panel-head">
        <Typography.Text strong style={{ fontSize: 15, flex: 1 }}>
          {t("workflow.run.title")}
        </Typography.Text>
        {run.status !== "idle" && (
          <Tag color={statusColor} bordered={false} data-testid="wf-run-status" data-status={run.status}>
            {t(`workflow.run.status.${run.status}`)}
            {run.elapsed !== undefined && run.elapsed !== null ? ` · ${formatElapsed(run.elapsed)}` : ""}
          </Tag>
        )}
        <Button type="text" size="small" icon={<CloseOutlined />} onClick={onClose} aria-label={t("workflow.close")} data-testid="wf-run-close" />
      </Flex>
      <Tabs
        size="small"
        activeKey={tab}
        onChange={setTab}
        items={[
          {
            key: "input",
            label: t("workflow.run.inputsTab"),
            children: (
              <Form form={form} layout="vertical" onFinish={submit} data-testid="wf-run-form">
                {graph.mode === "chatflow" && (
                  <Form.Item name="__query" label={t("workflow.run.query")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
                    <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} data-testid="wf-run-query" />
                  </Form.Item>
                )}
                {vars
                  .filter((v) => v.variable && v.type !== "file" && v.type !== "file-list")
                  .map((v) => (
                    <Form.Item
                      key={v.variable}
                      name={v.variable}
                      label={v.label || v.variable}
                      initialValue={v.default ?? undefined}
                      valuePropName={v.type === "checkbox" ? "checked" : "value"}
                      rules={v.required ? [{ required: true, message: t("common.required") }] : []}
                    >
                      <InputField v={v} />
                    </Form.Item>
                  ))}
                {!start && <Alert type="warning" showIcon title={t("workflow.run.noStart")} style={{ marginBottom: 12 }} />}
                <Flex gap={8}>
                  <Button type="primary" htmlType="submit" icon={<CaretRightOutlined />} loading={running} disabled={!start} data-testid="wf-run-submit">
                    {t("workflow.run.start")}
                  </Button>
                  {running && (
                    <Button icon={<StopOutlined />} onClick={onStop} data-testid="wf-run-stop">
                      {t("workflow.run.stop")}
                    </Button>
                  )}
                </Flex>
              </Form>
            ),
          },
          {
            key: "result",
            label: t("workflow.run.resultTab"),
            children: (
              <div data-testid="wf-run-result">
                {run.error && <Alert type="error" showIcon title={run.error} style={{ marginBottom: 8 }} data-testid="wf-run-error" />}
                {run.text ? (
                  <div className="wf-run-text" data-testid="wf-run-text">
                    {run.text}
                  </div>
                ) : run.outputs !== undefined ? (
                  <Json value={run.outputs} testId="wf-run-final" />
                ) : run.status === "idle" ? (
                  <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("workflow.run.notYet")} />
                ) : null}
                {run.status === "running" && (
                  <Button icon={<StopOutlined />} onClick={onStop} style={{ marginTop: 8 }}>
                    {t("workflow.run.stop")}
                  </Button>
                )}
              </div>
            ),
          },
          {
            key: "trace",
            label: <span data-testid="wf-run-tab-trace">{t("workflow.run.traceTab")}</span>,
            children: (
              <Flex vertical gap={6} data-testid="wf-run-trace">
                {run.order.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("workflow.run.notYet")} />}
                {run.order.map((id) => {
                  const n = byId.get(id);
                  const r = run.nodes[id]!;
                  return (
                    <div key={id} className="wf-trace-row" onClick={() => onPickNode(id)} data-testid={`wf-trace-${id}`} data-status={r.status}>
                      <Flex align="center" gap={8}>
                        <span className="wf-node-icon" style={{ background: metaOf(n?.type ?? "").color }}>
                          {metaOf(n?.type ?? "").icon}
                        </span>
                        <Typography.Text strong style={{ flex: 1 }} ellipsis>
                          {n?.title ?? id}
                        </Typography.Text>
                        <Tag bordered={false} color={r.status === "succeeded" ? "success" : r.status === "running" ? "processing" : r.status === "failed" ? "error" : "default"}>
                          {t(`workflow.run.status.${r.status}`)}
                        </Tag>
                        <Typography.Text type="secondary" style={{ fontSize: 12, minWidth: 56, textAlign: "end" }}>
                          {formatElapsed(r.elapsed_time)}
                        </Typography.Text>
                      </Flex>
                      {r.error && (
                        <Typography.Text type="danger" style={{ fontSize: 12 }}>
                          {r.error}
                        </Typography.Text>
                      )}
                    </div>
                  );
                })}
                {run.tokens ? (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t("workflow.run.tokens", { count: run.tokens })}
                  </Typography.Text>
                ) : null}
              </Flex>
            ),
          },
        ]}
      />
    </div>
  );
}
