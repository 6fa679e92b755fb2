import { CloseOutlined, CopyOutlined, DeleteOutlined, WarningFilled } from "@ant-design/icons";
import { Alert, Button, Descriptions, Empty, Flex, Input, InputNumber, Select, Tabs, Tooltip, Typography } from "antd";
import { useEffect, useState, type ComponentType } from "react";
import { useTranslation } from "react-i18next";
import type { Problem, WfNode } from "../model";
import { metaOf, outputsOf } from "../nodeTypes";
import { formatElapsed, type NodeRun } from "../WorkflowNode";
import { AnswerPanel, EndPanel, KnowledgePanel, LlmPanel, StartPanel, TemplatePanel, type PanelProps } from "./basic";
import { AssignerPanel } from "./assigner";
import { Field, useEditor } from "./common";
import {
  AgentPanel,
  AggregatorPanel,
  ClassifierPanel,
  CodePanel,
  ExtractorPanel,
  HttpPanel,
  HumanInputPanel,
  IfElsePanel,
  IterationPanel,
  LoopPanel,
  ToolPanel,
} from "./logic";

const PANELS: Record<string, ComponentType<PanelProps>> = {
  start: StartPanel,
  end: EndPanel,
  answer: AnswerPanel,
  llm: LlmPanel,
  "knowledge-retrieval": KnowledgePanel,
  "template-transform": TemplatePanel,
  "if-else": IfElsePanel,
  "question-classifier": ClassifierPanel,
  code: CodePanel,
  "http-request": HttpPanel,
  iteration: IterationPanel,
  loop: LoopPanel,
  "variable-aggregator": AggregatorPanel,
  "variable-assigner": AssignerPanel,
  "parameter-extractor": ExtractorPanel,
  tool: ToolPanel,
  agent: AgentPanel,
  "human-input": HumanInputPanel,
};

const MONO = { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 12 };

/** The node's settings as JSON: every field of every node type, those without a form of their own included. */
function JsonData({ node, onChange }: { node: WfNode; onChange: (data: Record<string, unknown>) => void }) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const [text, setText] = useState(() => JSON.stringify(node.data, null, 2));
  const [error, setError] = useState<string | null>(null);
  const serialized = JSON.stringify(node.data, null, 2);
  useEffect(() => {
    // An edit elsewhere (undo, the form) shows here unless what is typed is still being fixed.
    if (error === null) setText(serialized);
  }, [serialized, error]);
  return (
    <Field label={t("workflow.panel.json")} hint={t("workflow.panel.jsonHint")}>
      <Input.TextArea
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed: unknown = JSON.parse(e.target.value);
            if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(t("workflow.panel.jsonObject"));
            setError(null);
            onChange(parsed as Record<string, unknown>);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
        autoSize={{ minRows: 6, maxRows: 24 }}
        style={MONO}
        spellCheck={false}
        disabled={disabled}
        status={error ? "error" : undefined}
        data-testid="wf-panel-json"
      />
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
    </Field>
  );
}

function Advanced({ node, update }: { node: WfNode; update: (n: Partial<WfNode>, key?: string) => void }) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const retry = node.retry ?? { max_attempts: 1, interval_s: 1 };
  return (
    <>
      {node.type !== "start" && (
        <>
          <Field label={t("workflow.panel.errorStrategy")} hint={t("workflow.panel.errorStrategyHint")}>
            <Select
              value={node.error_strategy ?? "fail"}
              onChange={(error_strategy) => update({ error_strategy })}
              options={(["fail", "default_value", "fail_branch"] as const).map((v) => ({ value: v, label: t(`workflow.panel.strategy.${v}`) }))}
              disabled={disabled}
              style={{ width: "100%" }}
              data-testid="wf-panel-error-strategy"
            />
          </Field>
          {node.error_strategy === "default_value" && (
            <Field label={t("workflow.panel.defaultOutputs")}>
              <Flex vertical gap={6}>
                {outputsOf(node).map((o) => (
                  <Flex key={o.variable} gap={6} align="center">
                    <Typography.Text code style={{ width: 110, flex: "none" }}>
                      {o.variable}
                    </Typography.Text>
                    <Input
                      value={String((node.default_outputs ?? {})[o.variable] ?? "")}
                      onChange={(e) => update({ default_outputs: { ...(node.default_outputs ?? {}), [o.variable]: e.target.value } }, `default.${o.variable}`)}
                      disabled={disabled}
                    />
                  </Flex>
                ))}
              </Flex>
            </Field>
          )}
          <Flex gap={12}>
            <Field label={t("workflow.panel.retries")}>
              <InputNumber
                min={1}
                max={10}
                value={retry.max_attempts}
                onChange={(v) => update({ retry: { ...retry, max_attempts: v ?? 1 } })}
                disabled={disabled}
              />
            </Field>
            <Field label={t("workflow.panel.retryInterval")}>
              <InputNumber min={0} max={60} step={0.5} value={retry.interval_s} onChange={(v) => update({ retry: { ...retry, interval_s: v ?? 1 } })} disabled={disabled} />
            </Field>
            <Field label={t("workflow.panel.timeout")}>
              <InputNumber
                min={1}
                max={3600}
                value={node.timeout_s ?? null}
                onChange={(v) => update({ timeout_s: v ?? null })}
                placeholder={t("workflow.fields.none")}
                disabled={disabled}
              />
            </Field>
          </Flex>
        </>
      )}
      <JsonData node={node} onChange={(data) => update({ data }, "json")} />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t("workflow.panel.nodeId")}: <Typography.Text code copyable style={{ fontSize: 12 }}>{node.id}</Typography.Text>
      </Typography.Text>
    </>
  );
}

function Json({ value, testId }: { value: unknown; testId: string }) {
  return (
    <pre className="wf-json" data-testid={testId}>
      {value === undefined ? "—" : JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function LastRun({ run }: { run: NodeRun | undefined }) {
  const { t } = useTranslation();
  if (!run) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("workflow.panel.notRun")} />;
  return (
    <div data-testid="wf-panel-run">
      <Descriptions
        size="small"
        column={2}
        items={[
          { key: "s", label: t("workflow.run.statusLabel"), children: t(`workflow.run.status.${run.status}`) },
          { key: "t", label: t("workflow.run.elapsed"), children: formatElapsed(run.elapsed_time) || "—" },
        ]}
      />
      {run.error && <Alert type="error" showIcon title={run.error} style={{ marginBottom: 8 }} />}
      <Typography.Text strong>{t("workflow.run.inputs")}</Typography.Text>
      <Json value={run.inputs} testId="wf-run-inputs" />
      <Typography.Text strong>{t("workflow.run.outputs")}</Typography.Text>
      <Json value={run.outputs} testId="wf-run-outputs" />
    </div>
  );
}

/** The selected node's side panel: its title, its type's settings, error handling and its last run. */
export function NodePanel({
  node,
  problems,
  run,
  onUpdate,
  onClose,
  onDelete,
  onDuplicate,
}: {
  node: WfNode;
  problems: Problem[];
  run: NodeRun | undefined;
  onUpdate: (patch: Partial<WfNode>, key?: string) => void;
  onClose: () => void;
  onDelete: () => void;
  onDuplicate: () => void;
}) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const meta = metaOf(node.type);
  const Panel = PANELS[node.type];
  const [tab, setTab] = useState(run ? "run" : "settings");
  const set = (patch: Record<string, unknown>, key?: string) => onUpdate({ data: { ...node.data, ...patch } }, key ? `${node.id}.${key}` : undefined);
  return (
    <div className="wf-panel" data-testid="wf-panel" data-node={node.id} data-type={node.type}>
      <Flex align="center" gap={8} className="wf-panel-head">
        <span className="wf-node-icon" style={{ background: meta.color }}>
          {meta.icon}
        </span>
        <Input
          variant="borderless"
          value={node.title}
          onChange={(e) => onUpdate({ title: e.target.value }, `${node.id}.title`)}
          maxLength={128}
          disabled={disabled}
          style={{ fontWeight: 600, fontSize: 15, paddingInline: 4 }}
          data-testid="wf-panel-title"
        />
        {!disabled && node.type !== "start" && (
          <Tooltip title={t("workflow.canvas.duplicate")}>
            <Button type="text" size="small" icon={<CopyOutlined />} onClick={onDuplicate} aria-label={t("workflow.canvas.duplicate")} />
          </Tooltip>
        )}
        {!disabled && (
          <Tooltip title={t("common.delete")}>
            <Button type="text" size="small" icon={<DeleteOutlined />} onClick={onDelete} aria-label={t("common.delete")} data-testid="wf-panel-delete" />
          </Tooltip>
        )}
        <Button type="text" size="small" icon={<CloseOutlined />} onClick={onClose} aria-label={t("workflow.close")} data-testid="wf-panel-close" />
      </Flex>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: "0 0 8px" }}>
        {t(`workflow.types.${node.type as "llm"}.description`, { defaultValue: "" })}
      </Typography.Paragraph>
      {problems.length > 0 && (
        <Alert
          type="error"
          showIcon
          icon={<WarningFilled />}
          style={{ marginBottom: 8 }}
          data-testid="wf-panel-problems"
          title={
            <ul style={{ margin: 0, paddingInlineStart: 16 }}>
              {problems.map((p, i) => (
                <li key={i}>{p.field ? `${p.field}: ${p.message}` : p.message}</li>
              ))}
            </ul>
          }
        />
      )}
      <Tabs
        size="small"
        activeKey={tab}
        onChange={setTab}
        items={[
          {
            key: "settings",
            label: t("workflow.panel.settings"),
            children: Panel ? <Panel node={node} set={set} /> : <JsonData node={node} onChange={(data) => onUpdate({ data }, `${node.id}.json`)} />,
          },
          { key: "advanced", label: t("workflow.panel.advanced"), children: <Advanced node={node} update={(p, key) => onUpdate(p, key ? `${node.id}.${key}` : undefined)} /> },
          { key: "run", label: <span data-testid="wf-panel-tab-run">{t("workflow.panel.lastRun")}</span>, children: <LastRun run={run} /> },
        ]}
      />
    </div>
  );
}
