/** Panels of the nodes most workflows have: start, end, answer, LLM, knowledge retrieval, template. */
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Button, Flex, Input, InputNumber, Select, Slider, Switch, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../../api/client";
import { useModels } from "../../../api/queries";
import { useKnowledgeBases } from "../../knowledge/KnowledgeListPage";
import type { Selector, WfNode } from "../model";
import { DEFAULT_MODEL } from "../nodeTypes";
import { Field, TextWithVars, VariableRows, VarPicker, nextName, useEditor } from "./common";

export interface PanelProps {
  node: WfNode;
  /** Merges `patch` into the node's data; `key` makes a run of the same edit one undo step. */
  set: (patch: Record<string, unknown>, key?: string) => void;
}

const arr = <T,>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export const START_KINDS = ["text-input", "paragraph", "select", "number", "checkbox", "file", "file-list"] as const;

interface StartVar {
  variable: string;
  label: string;
  type: string;
  required: boolean;
  max_length?: number | null;
  options?: string[];
  default?: unknown;
}

export function StartPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled, graph } = useEditor();
  const vars = arr<StartVar>(node.data.variables);
  const put = (next: StartVar[]) => set({ variables: next }, "variables");
  return (
    <>
      <Field label={t("workflow.fields.inputs")} hint={t("workflow.fields.inputsHint")}>
        <Flex vertical gap={8} data-testid="wf-start-vars">
          {vars.map((v, i) => (
            <div key={i} className="wf-row-card">
              <Flex gap={6}>
                <Input
                  value={v.variable}
                  onChange={(e) => put(vars.map((x, j) => (j === i ? { ...x, variable: e.target.value } : x)))}
                  placeholder={t("workflow.fields.variableName")}
                  disabled={disabled}
                  data-testid={`wf-start-var-name-${i}`}
                />
                <Select
                  value={v.type}
                  onChange={(type) => put(vars.map((x, j) => (j === i ? { ...x, type } : x)))}
                  options={START_KINDS.map((k) => ({ value: k, label: t(`workflow.kinds.${k}`) }))}
                  style={{ width: 130, flex: "none" }}
                  disabled={disabled}
                  data-testid={`wf-start-var-type-${i}`}
                />
                {!disabled && <Button type="text" icon={<DeleteOutlined />} onClick={() => put(vars.filter((_, j) => j !== i))} aria-label={t("common.delete")} />}
              </Flex>
              <Flex gap={6} align="center" style={{ marginTop: 6 }}>
                <Input
                  value={v.label}
                  onChange={(e) => put(vars.map((x, j) => (j === i ? { ...x, label: e.target.value } : x)))}
                  placeholder={t("workflow.fields.label")}
                  disabled={disabled}
                  data-testid={`wf-start-var-label-${i}`}
                />
                <Switch
                  size="small"
                  checked={!!v.required}
                  onChange={(required) => put(vars.map((x, j) => (j === i ? { ...x, required } : x)))}
                  disabled={disabled}
                />
                <Typography.Text type="secondary" style={{ whiteSpace: "nowrap", fontSize: 12 }}>
                  {t("workflow.fields.required")}
                </Typography.Text>
              </Flex>
              {v.type === "select" && (
                <Select
                  mode="tags"
                  value={v.options ?? []}
                  onChange={(options) => put(vars.map((x, j) => (j === i ? { ...x, options } : x)))}
                  placeholder={t("workflow.fields.options")}
                  style={{ width: "100%", marginTop: 6 }}
                  disabled={disabled}
                  open={false}
                />
              )}
            </div>
          ))}
          {!disabled && (
            <Button
              type="dashed"
              size="small"
              icon={<PlusOutlined />}
              onClick={() => put([...vars, { variable: nextName(vars.map((v) => v.variable), "input"), label: "", type: "text-input", required: true, max_length: 256 }])}
              data-testid="wf-start-add"
            >
              {t("workflow.fields.addInput")}
            </Button>
          )}
        </Flex>
      </Field>
      {graph.mode === "chatflow" && (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
          {t("workflow.fields.chatflowSys")}
        </Typography.Paragraph>
      )}
    </>
  );
}

export function EndPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  return (
    <Field label={t("workflow.fields.outputs")} hint={t("workflow.fields.outputsHint")}>
      <VariableRows
        nodeId={node.id}
        rows={arr(node.data.outputs)}
        onChange={(outputs) => set({ outputs }, "outputs")}
        testId="wf-end-outputs"
      />
    </Field>
  );
}

export function AnswerPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  return (
    <Field label={t("workflow.fields.answer")} hint={t("workflow.fields.answerHint")}>
      <TextWithVars nodeId={node.id} value={String(node.data.answer ?? "")} onChange={(answer) => set({ answer }, "answer")} testId="wf-answer-text" rows={4} />
    </Field>
  );
}

interface ModelSpec {
  provider: string;
  name: string;
  mode: string;
  completion_params: Record<string, number>;
}

/** A chat model of the box or of a provider the workspace added ("provider/model"). */
export function ModelField({ value, onChange, testId }: { value: ModelSpec | undefined; onChange: (m: ModelSpec) => void; testId: string }) {
  const { t } = useTranslation();
  const { workspace, disabled } = useEditor();
  const models = useModels();
  const providers = useQuery({
    queryKey: ["workspaces", workspace.id, "providers"],
    queryFn: () => unwrap(api.GET("/api/workspaces/{workspace_id}/providers", { params: { path: { workspace_id: workspace.id } } })),
    staleTime: 60_000,
  });
  const m = { ...DEFAULT_MODEL, ...(value ?? {}) } as ModelSpec;
  const local = (models.data?.data ?? []).filter((x) => x.kind === "chat").map((x) => x.name);
  const remote = (providers.data?.data ?? []).flatMap((p) => p.models.map((name) => `${p.name}/${name}`));
  const current = m.provider && m.provider !== "hezi" && !m.name.includes("/") ? `${m.provider}/${m.name}` : m.name;
  const all = new Set([...local, ...remote]);
  const params = m.completion_params ?? {};
  return (
    <>
      <Field label={t("workflow.fields.model")} required>
        <Select
          value={current}
          onChange={(v: string) => {
            const slash = remote.includes(v) ? v.indexOf("/") : -1;
            onChange({ ...m, provider: slash < 0 ? "" : v.slice(0, slash), name: slash < 0 ? v : v.slice(slash + 1) });
          }}
          options={[
            { label: t("workflow.fields.localModels"), options: local.map((v) => ({ value: v, label: v })) },
            { label: t("workflow.fields.remoteModels"), options: remote.map((v) => ({ value: v, label: v })) },
            ...(all.has(current) ? [] : [{ label: "—", options: [{ value: current, label: current }] }]),
          ]}
          showSearch
          loading={models.isPending}
          disabled={disabled}
          data-testid={testId}
        />
      </Field>
      <Flex gap={12}>
        <Field label={t("workflow.fields.temperature")}>
          <Slider
            min={0}
            max={2}
            step={0.1}
            value={params.temperature ?? 0.7}
            onChange={(v) => onChange({ ...m, completion_params: { ...params, temperature: v } })}
            disabled={disabled}
            style={{ width: 150 }}
          />
        </Field>
        <Field label={t("workflow.fields.maxTokens")}>
          <InputNumber
            min={1}
            max={32768}
            value={params.max_tokens ?? 512}
            onChange={(v) => onChange({ ...m, completion_params: { ...params, max_tokens: v ?? 512 } })}
            disabled={disabled}
            data-testid={`${testId}-max-tokens`}
          />
        </Field>
      </Flex>
    </>
  );
}

interface PromptMessage {
  role: "system" | "user" | "assistant";
  text: string;
}

export function LlmPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const prompts = arr<PromptMessage>(node.data.prompt_template);
  const context = (node.data.context as { enabled?: boolean; variable_selector?: Selector } | undefined) ?? { enabled: false, variable_selector: [] };
  const put = (next: PromptMessage[], key: string) => set({ prompt_template: next }, key);
  return (
    <>
      <ModelField value={node.data.model as ModelSpec} onChange={(model) => set({ model }, "model")} testId="wf-llm-model" />
      <Field label={t("workflow.fields.context")} hint={t("workflow.fields.contextHint")}>
        <VarPicker
          nodeId={node.id}
          value={context.variable_selector}
          onChange={(v) => set({ context: { enabled: v.length > 0, variable_selector: v } }, "context")}
          testId="wf-llm-context"
        />
      </Field>
      <Field label={t("workflow.fields.prompt")}>
        <Flex vertical gap={10}>
          {prompts.map((p, i) => (
            <TextWithVars
              key={i}
              nodeId={node.id}
              value={p.text}
              onChange={(text) => put(prompts.map((x, j) => (j === i ? { ...x, text } : x)), `prompt.${i}`)}
              testId={`wf-llm-prompt-${p.role}${prompts.filter((x, j) => j < i && x.role === p.role).length || ""}`}
              rows={p.role === "system" ? 3 : 2}
              placeholder={t(`workflow.fields.rolePlaceholder.${p.role}`)}
              extra={
                <Flex gap={4} align="center">
                  <Select
                    size="small"
                    variant="borderless"
                    value={p.role}
                    onChange={(role) => put(prompts.map((x, j) => (j === i ? { ...x, role } : x)), "prompt.roles")}
                    options={(["system", "user", "assistant"] as const).map((r) => ({ value: r, label: t(`workflow.fields.role.${r}`) }))}
                    disabled={disabled || i === 0}
                    style={{ fontWeight: 600 }}
                  />
                  {!disabled && i > 0 && (
                    <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => put(prompts.filter((_, j) => j !== i), "prompt.remove")} aria-label={t("common.delete")} />
                  )}
                </Flex>
              }
            />
          ))}
          {!disabled && (
            <Button
              size="small"
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => put([...prompts, { role: prompts[prompts.length - 1]?.role === "user" ? "assistant" : "user", text: "" }], "prompt.add")}
            >
              {t("workflow.fields.addMessage")}
            </Button>
          )}
        </Flex>
      </Field>
    </>
  );
}

export function KnowledgePanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { workspace, disabled } = useEditor();
  const kbs = useKnowledgeBases(workspace);
  const config = (node.data.multiple_retrieval_config as { top_k?: number; score_threshold?: number | null } | undefined) ?? {};
  return (
    <>
      <Field label={t("workflow.fields.query")} required>
        <VarPicker
          nodeId={node.id}
          value={node.data.query_variable_selector as Selector}
          onChange={(v) => set({ query_variable_selector: v })}
          testId="wf-kr-query"
          filter={(v) => v.type === "string" || v.type === "any"}
        />
      </Field>
      <Field label={t("workflow.fields.datasets")} required>
        <Select
          mode="multiple"
          value={arr<string>(node.data.dataset_ids)}
          onChange={(dataset_ids: string[]) => set({ dataset_ids })}
          options={(kbs.data?.data ?? []).map((kb) => ({ value: kb.id, label: kb.name }))}
          loading={kbs.isPending}
          placeholder={t("workflow.fields.datasetsPlaceholder")}
          disabled={disabled}
          style={{ width: "100%" }}
          data-testid="wf-kr-datasets"
          optionFilterProp="label"
        />
      </Field>
      <Flex gap={12}>
        <Field label={t("workflow.fields.topK")}>
          <InputNumber
            min={1}
            max={50}
            value={config.top_k ?? 4}
            onChange={(v) => set({ retrieval_mode: "multiple", multiple_retrieval_config: { ...config, top_k: v ?? 4 } }, "top_k")}
            disabled={disabled}
            data-testid="wf-kr-topk"
          />
        </Field>
        <Field label={t("workflow.fields.scoreThreshold")}>
          <InputNumber
            min={0}
            max={1}
            step={0.05}
            value={config.score_threshold ?? null}
            onChange={(v) => set({ retrieval_mode: "multiple", multiple_retrieval_config: { ...config, score_threshold: v } }, "score")}
            disabled={disabled}
            placeholder={t("workflow.fields.none")}
          />
        </Field>
      </Flex>
    </>
  );
}

export function TemplatePanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t("workflow.fields.inputVars")} hint={t("workflow.fields.templateVarsHint")}>
        <VariableRows nodeId={node.id} rows={arr(node.data.variables)} onChange={(variables) => set({ variables }, "variables")} testId="wf-template-vars" />
      </Field>
      <Field label={t("workflow.fields.template")} hint={t("workflow.fields.templateHint")}>
        <Input.TextArea
          value={String(node.data.template ?? "")}
          onChange={(e) => set({ template: e.target.value }, "template")}
          autoSize={{ minRows: 5, maxRows: 18 }}
          style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13 }}
          data-testid="wf-template-text"
        />
      </Field>
    </>
  );
}
