/** Panels of branching, looping, code and tool nodes. */
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Flex, Input, InputNumber, Segmented, Select, Switch, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useAgents, useTools } from "../../../api/agentQueries";
import { newId, type Selector, type WfNode } from "../model";
import { outputsOf } from "../nodeTypes";
import type { PanelProps } from "./basic";
import { ModelField } from "./basic";
import { Field, TextWithVars, VariableRows, VarPicker, nextName, useEditor } from "./common";

const arr = <T,>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const MONO = { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13 };

export const OPERATORS = ["contains", "not contains", "start with", "end with", "is", "is not", "empty", "not empty", "in", "not in", "=", "≠", ">", "<", "≥", "≤", "null", "not null"] as const;
const UNARY = new Set(["empty", "not empty", "null", "not null", "exists", "not exists"]);

interface Condition {
  id: string;
  variable_selector: Selector;
  comparison_operator: string;
  value: string;
  varType?: string;
}

function Conditions({
  nodeId,
  conditions,
  logical,
  onChange,
  testId,
}: {
  nodeId: string;
  conditions: Condition[];
  logical: string;
  onChange: (conditions: Condition[], logical: string) => void;
  testId: string;
}) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  return (
    <Flex vertical gap={6} data-testid={testId}>
      {conditions.map((c, i) => (
        <div key={c.id} className="wf-row-card">
          {i > 0 && (
            <Segmented
              size="small"
              value={logical}
              onChange={(v) => onChange(conditions, String(v))}
              options={[
                { value: "and", label: t("workflow.fields.and") },
                { value: "or", label: t("workflow.fields.or") },
              ]}
              disabled={disabled}
              style={{ marginBottom: 6 }}
            />
          )}
          <Flex gap={6} align="center">
            <div style={{ flex: 1, minWidth: 0 }}>
              <VarPicker
                nodeId={nodeId}
                value={c.variable_selector}
                onChange={(v) => onChange(conditions.map((x) => (x.id === c.id ? { ...x, variable_selector: v } : x)), logical)}
                testId={`${testId}-var-${i}`}
              />
            </div>
            {!disabled && (
              <Button type="text" icon={<DeleteOutlined />} onClick={() => onChange(conditions.filter((x) => x.id !== c.id), logical)} aria-label={t("common.delete")} />
            )}
          </Flex>
          <Flex gap={6} style={{ marginTop: 6 }}>
            <Select
              value={c.comparison_operator}
              onChange={(comparison_operator: string) => onChange(conditions.map((x) => (x.id === c.id ? { ...x, comparison_operator } : x)), logical)}
              options={OPERATORS.map((o) => ({ value: o, label: t(`workflow.operators.${o}`) }))}
              style={{ width: 130, flex: "none" }}
              disabled={disabled}
              data-testid={`${testId}-op-${i}`}
            />
            {!UNARY.has(c.comparison_operator) && (
              <Input
                value={c.value}
                onChange={(e) => onChange(conditions.map((x) => (x.id === c.id ? { ...x, value: e.target.value } : x)), logical)}
                placeholder={t("workflow.fields.value")}
                disabled={disabled}
                data-testid={`${testId}-value-${i}`}
              />
            )}
          </Flex>
        </div>
      ))}
      {!disabled && (
        <Button
          size="small"
          type="dashed"
          icon={<PlusOutlined />}
          onClick={() => onChange([...conditions, { id: newId(), variable_selector: [], comparison_operator: "contains", value: "", varType: "string" }], logical)}
          data-testid={`${testId}-add`}
        >
          {t("workflow.fields.addCondition")}
        </Button>
      )}
    </Flex>
  );
}

interface Case {
  case_id: string;
  logical_operator: string;
  conditions: Condition[];
}

export function IfElsePanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const cases = arr<Case>(node.data.cases);
  const put = (next: Case[]) => set({ cases: next }, "cases");
  return (
    <>
      {cases.map((c, i) => (
        <Field
          key={c.case_id}
          label={
            <Flex justify="space-between" align="center" style={{ width: "100%" }}>
              <span>{i === 0 ? "IF" : "ELIF"}</span>
              {!disabled && cases.length > 1 && (
                <Button size="small" type="text" icon={<DeleteOutlined />} onClick={() => put(cases.filter((x) => x.case_id !== c.case_id))} aria-label={t("common.delete")} />
              )}
            </Flex>
          }
        >
          <Conditions
            nodeId={node.id}
            conditions={arr(c.conditions)}
            logical={c.logical_operator ?? "and"}
            onChange={(conditions, logical_operator) => put(cases.map((x) => (x.case_id === c.case_id ? { ...x, conditions, logical_operator } : x)))}
            testId={`wf-ifelse-case-${i}`}
          />
        </Field>
      ))}
      {!disabled && (
        <Button icon={<PlusOutlined />} onClick={() => put([...cases, { case_id: newId(), logical_operator: "and", conditions: [] }])} block data-testid="wf-ifelse-add-case">
          ELIF
        </Button>
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 12 }}>
        {t("workflow.fields.elseHint")}
      </Typography.Paragraph>
    </>
  );
}

export function ClassifierPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const classes = arr<{ id: string; name: string }>(node.data.classes);
  const put = (next: typeof classes) => set({ classes: next }, "classes");
  return (
    <>
      <Field label={t("workflow.fields.query")} required>
        <VarPicker nodeId={node.id} value={node.data.query_variable_selector as Selector} onChange={(v) => set({ query_variable_selector: v })} testId="wf-qc-query" />
      </Field>
      <ModelField value={node.data.model as never} onChange={(model) => set({ model }, "model")} testId="wf-qc-model" />
      <Field label={t("workflow.fields.classes")} hint={t("workflow.fields.classesHint")}>
        <Flex vertical gap={6} data-testid="wf-qc-classes">
          {classes.map((c, i) => (
            <Flex key={c.id} gap={6}>
              <Input.TextArea
                value={c.name}
                onChange={(e) => put(classes.map((x) => (x.id === c.id ? { ...x, name: e.target.value } : x)))}
                autoSize={{ minRows: 1, maxRows: 4 }}
                disabled={disabled}
                data-testid={`wf-qc-class-${i}`}
              />
              {!disabled && classes.length > 1 && (
                <Button type="text" icon={<DeleteOutlined />} onClick={() => put(classes.filter((x) => x.id !== c.id))} aria-label={t("common.delete")} />
              )}
            </Flex>
          ))}
          {!disabled && (
            <Button
              size="small"
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => put([...classes, { id: newId(), name: t("workflow.defaults.class", { n: classes.length + 1 }) }])}
              data-testid="wf-qc-add"
            >
              {t("workflow.fields.addClass")}
            </Button>
          )}
        </Flex>
      </Field>
      <Field label={t("workflow.fields.instruction")}>
        <TextWithVars nodeId={node.id} value={String(node.data.instruction ?? "")} onChange={(instruction) => set({ instruction }, "instruction")} rows={2} />
      </Field>
    </>
  );
}

const OUTPUT_TYPES = ["string", "number", "boolean", "object", "array[string]", "array[number]", "array[object]"];

export function CodePanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const outputs = Object.entries((node.data.outputs as Record<string, { type: string }>) ?? {});
  const putOutputs = (next: [string, { type: string }][]) =>
    set({ outputs: Object.fromEntries(next.map(([k, v]) => [k, { type: v.type, children: null }])) }, "outputs");
  return (
    <>
      <Field label={t("workflow.fields.inputVars")}>
        <VariableRows nodeId={node.id} rows={arr(node.data.variables)} onChange={(variables) => set({ variables }, "variables")} testId="wf-code-vars" />
      </Field>
      <Field label={t("workflow.fields.code")} hint={t("workflow.fields.codeHint")}>
        <Input.TextArea
          value={String(node.data.code ?? "")}
          onChange={(e) => set({ code: e.target.value }, "code")}
          autoSize={{ minRows: 6, maxRows: 24 }}
          style={MONO}
          spellCheck={false}
          disabled={disabled}
          data-testid="wf-code-text"
        />
      </Field>
      <Field label={t("workflow.fields.outputVars")}>
        <Flex vertical gap={6}>
          {outputs.map(([name, spec], i) => (
            <Flex key={i} gap={6}>
              <Input
                value={name}
                onChange={(e) => putOutputs(outputs.map((o, j) => (j === i ? [e.target.value, o[1]] : o)))}
                disabled={disabled}
              />
              <Select
                value={spec.type}
                onChange={(type: string) => putOutputs(outputs.map((o, j) => (j === i ? [o[0], { type }] : o)))}
                options={OUTPUT_TYPES.map((v) => ({ value: v, label: v }))}
                style={{ width: 150, flex: "none" }}
                disabled={disabled}
              />
              {!disabled && <Button type="text" icon={<DeleteOutlined />} onClick={() => putOutputs(outputs.filter((_, j) => j !== i))} aria-label={t("common.delete")} />}
            </Flex>
          ))}
          {!disabled && (
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => putOutputs([...outputs, [nextName(outputs.map((o) => o[0]), "result"), { type: "string" }]])}>
              {t("workflow.fields.addVariable")}
            </Button>
          )}
        </Flex>
      </Field>
    </>
  );
}

const METHODS = ["get", "post", "put", "patch", "delete", "head"];
const BODY_TYPES = ["none", "json", "raw-text", "x-www-form-urlencoded", "form-data"];

export function HttpPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const body = (node.data.body as { type?: string; data?: unknown } | undefined) ?? { type: "none", data: [] };
  const bodyText = Array.isArray(body.data) ? String((body.data[0] as { value?: string } | undefined)?.value ?? "") : String(body.data ?? "");
  return (
    <>
      <Field label={t("workflow.fields.url")} required>
        <Flex gap={6}>
          <Select
            value={String(node.data.method ?? "get")}
            onChange={(method: string) => set({ method })}
            options={METHODS.map((m) => ({ value: m, label: m.toUpperCase() }))}
            style={{ width: 100, flex: "none" }}
            disabled={disabled}
          />
          <div style={{ flex: 1, minWidth: 0 }}>
            <TextWithVars nodeId={node.id} value={String(node.data.url ?? "")} onChange={(url) => set({ url }, "url")} rows={1} testId="wf-http-url" />
          </div>
        </Flex>
      </Field>
      <Field label={t("workflow.fields.headers")} hint={t("workflow.fields.keyValueHint")}>
        <TextWithVars nodeId={node.id} value={String(node.data.headers ?? "")} onChange={(headers) => set({ headers }, "headers")} rows={2} />
      </Field>
      <Field label={t("workflow.fields.params")} hint={t("workflow.fields.keyValueHint")}>
        <TextWithVars nodeId={node.id} value={String(node.data.params ?? "")} onChange={(params) => set({ params }, "params")} rows={2} />
      </Field>
      <Field label={t("workflow.fields.body")}>
        <Select
          value={body.type ?? "none"}
          onChange={(type: string) => set({ body: { type, data: type === "none" ? [] : [{ type: "text", value: bodyText }] } })}
          options={BODY_TYPES.map((b) => ({ value: b, label: b }))}
          style={{ width: "100%", marginBottom: 6 }}
          disabled={disabled}
        />
        {body.type && body.type !== "none" && (
          <TextWithVars nodeId={node.id} value={bodyText} onChange={(v) => set({ body: { type: body.type, data: [{ type: "text", value: v }] } }, "body")} rows={3} />
        )}
      </Field>
    </>
  );
}

export function IterationPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled, graph } = useEditor();
  const children = graph.nodes.filter((n) => n.parent_id === node.id);
  return (
    <>
      <Field label={t("workflow.fields.iterator")} required hint={t("workflow.fields.iteratorHint")}>
        <VarPicker
          nodeId={node.id}
          value={node.data.iterator_selector as Selector}
          onChange={(v) => set({ iterator_selector: v })}
          testId="wf-iter-input"
          filter={(v) => v.type.startsWith("array") || v.type === "any"}
        />
      </Field>
      <Field label={t("workflow.fields.iterOutput")} hint={t("workflow.fields.iterOutputHint")}>
        <Select
          value={(node.data.output_selector as Selector | undefined)?.join("\u0000") || undefined}
          onChange={(v: string) => set({ output_selector: v ? v.split("\u0000") : [] })}
          options={children.flatMap((c) =>
            (graphOutputs(c) ?? []).map((o) => ({ value: `${c.id}\u0000${o}`, label: `${c.title} / ${o}` })),
          )}
          allowClear
          style={{ width: "100%" }}
          disabled={disabled}
          placeholder={t("workflow.vars.pick")}
          data-testid="wf-iter-output"
        />
      </Field>
      <Flex gap={12} align="center">
        <Switch checked={!!node.data.is_parallel} onChange={(is_parallel) => set({ is_parallel })} disabled={disabled} size="small" />
        <span>{t("workflow.fields.parallel")}</span>
        {!!node.data.is_parallel && (
          <InputNumber min={1} max={100} value={Number(node.data.parallel_nums ?? 10)} onChange={(v) => set({ parallel_nums: v ?? 10 })} disabled={disabled} />
        )}
      </Flex>
    </>
  );
}

// The outputs of a child, by name (iteration's output selector).
const graphOutputs = (n: WfNode) => outputsOf(n).map((o) => o.variable);

export function LoopPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  return (
    <>
      <Field label={t("workflow.fields.loopCount")}>
        <InputNumber min={1} max={1000} value={Number(node.data.loop_count ?? 10)} onChange={(v) => set({ loop_count: v ?? 10 })} disabled={disabled} data-testid="wf-loop-count" />
      </Field>
      <Field label={t("workflow.fields.breakConditions")}>
        <Conditions
          nodeId={node.id}
          conditions={arr(node.data.break_conditions)}
          logical={String(node.data.logical_operator ?? "and")}
          onChange={(break_conditions, logical_operator) => set({ break_conditions, logical_operator }, "break")}
          testId="wf-loop-break"
        />
      </Field>
    </>
  );
}

export function AggregatorPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const vars = arr<Selector>(node.data.variables);
  return (
    <>
      <Field label={t("workflow.fields.outputType")}>
        <Select
          value={String(node.data.output_type ?? "string")}
          onChange={(output_type: string) => set({ output_type })}
          options={OUTPUT_TYPES.map((v) => ({ value: v, label: v }))}
          disabled={disabled}
          style={{ width: "100%" }}
        />
      </Field>
      <Field label={t("workflow.fields.aggregated")} hint={t("workflow.fields.aggregatedHint")}>
        <Flex vertical gap={6}>
          {vars.map((v, i) => (
            <Flex key={i} gap={6}>
              <div style={{ flex: 1, minWidth: 0 }}>
                <VarPicker nodeId={node.id} value={v} onChange={(sel) => set({ variables: vars.map((x, j) => (j === i ? sel : x)) })} />
              </div>
              {!disabled && <Button type="text" icon={<DeleteOutlined />} onClick={() => set({ variables: vars.filter((_, j) => j !== i) })} aria-label={t("common.delete")} />}
            </Flex>
          ))}
          {!disabled && (
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => set({ variables: [...vars, []] })}>
              {t("workflow.fields.addVariable")}
            </Button>
          )}
        </Flex>
      </Field>
    </>
  );
}

interface Param {
  name: string;
  type: string;
  description: string;
  required: boolean;
}

export function ExtractorPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const params = arr<Param>(node.data.parameters);
  const put = (next: Param[]) => set({ parameters: next }, "parameters");
  return (
    <>
      <Field label={t("workflow.fields.query")} required>
        <VarPicker nodeId={node.id} value={node.data.query as Selector} onChange={(query) => set({ query })} />
      </Field>
      <ModelField value={node.data.model as never} onChange={(model) => set({ model }, "model")} testId="wf-pe-model" />
      <Field label={t("workflow.fields.parameters")}>
        <Flex vertical gap={6}>
          {params.map((p, i) => (
            <div key={i} className="wf-row-card">
              <Flex gap={6}>
                <Input value={p.name} onChange={(e) => put(params.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} disabled={disabled} placeholder={t("workflow.fields.variableName")} />
                <Select
                  value={p.type}
                  onChange={(type: string) => put(params.map((x, j) => (j === i ? { ...x, type } : x)))}
                  options={["string", "number", "boolean", "array[string]", "array[number]", "array[object]"].map((v) => ({ value: v, label: v }))}
                  style={{ width: 140, flex: "none" }}
                  disabled={disabled}
                />
                {!disabled && <Button type="text" icon={<DeleteOutlined />} onClick={() => put(params.filter((_, j) => j !== i))} aria-label={t("common.delete")} />}
              </Flex>
              <Input
                value={p.description}
                onChange={(e) => put(params.map((x, j) => (j === i ? { ...x, description: e.target.value } : x)))}
                placeholder={t("workflow.fields.description")}
                disabled={disabled}
                style={{ marginTop: 6 }}
              />
            </div>
          ))}
          {!disabled && (
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => put([...params, { name: nextName(params.map((p) => p.name), "param"), type: "string", description: "", required: true }])}>
              {t("workflow.fields.addParameter")}
            </Button>
          )}
        </Flex>
      </Field>
      <Field label={t("workflow.fields.instruction")}>
        <TextWithVars nodeId={node.id} value={String(node.data.instruction ?? "")} onChange={(instruction) => set({ instruction }, "instruction")} rows={2} />
      </Field>
    </>
  );
}

export function ToolPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { workspace, disabled } = useEditor();
  const tools = useTools(workspace.id);
  const key = `${String(node.data.provider_id ?? "builtin")}::${String(node.data.tool_name ?? "")}`;
  const list = tools.data?.data ?? [];
  const tool = list.find((x) => `${x.provider}::${x.name}` === key);
  const props = Object.keys(((tool?.parameters as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<string, unknown>);
  const params = (node.data.tool_parameters as Record<string, { type: string; value: unknown }>) ?? {};
  return (
    <>
      <Field label={t("workflow.fields.tool")} required>
        <Select
          value={node.data.tool_name ? key : undefined}
          onChange={(v: string) => {
            const at = v.indexOf("::");
            const provider = v.slice(0, at);
            set({ provider_id: provider, provider_type: provider === "builtin" ? "builtin" : "api", tool_name: v.slice(at + 2), tool_parameters: {} });
          }}
          options={list.map((x) => ({ value: `${x.provider}::${x.name}`, label: `${x.provider === "builtin" ? "" : `${x.provider_name} / `}${x.name}` }))}
          showSearch
          loading={tools.isPending}
          disabled={disabled}
          style={{ width: "100%" }}
          data-testid="wf-tool-select"
        />
        {tool && (
          <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: "4px 0 0" }}>
            {tool.description}
          </Typography.Paragraph>
        )}
      </Field>
      {props.map((p) => (
        <Field key={p} label={p}>
          <TextWithVars
            nodeId={node.id}
            value={String(params[p]?.value ?? "")}
            onChange={(value) => set({ tool_parameters: { ...params, [p]: { type: "mixed", value } } }, `param.${p}`)}
            rows={1}
          />
        </Field>
      ))}
    </>
  );
}

export function AgentPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { workspace, disabled } = useEditor();
  const agents = useAgents(workspace.id);
  return (
    <>
      <Field label={t("workflow.fields.agent")} required>
        <Select
          value={(node.data.agent_id as string) || undefined}
          onChange={(agent_id: string) => set({ agent_id })}
          options={(agents.data?.data ?? [])
            .filter((a) => !(a.config as { mode?: string }).mode || (a.config as { mode?: string }).mode === "agent")
            .map((a) => ({ value: a.id, label: a.name }))}
          loading={agents.isPending}
          disabled={disabled}
          style={{ width: "100%" }}
        />
      </Field>
      <Field label={t("workflow.fields.query")} required>
        <TextWithVars nodeId={node.id} value={String(node.data.query ?? "")} onChange={(query) => set({ query }, "query")} rows={2} testId="wf-agent-query" />
      </Field>
    </>
  );
}

/** Nodes without a panel of their own yet: an end node's outputs-like rows when they have `variables`. */
export function VariablesOnlyPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  return (
    <Field label={t("workflow.fields.inputVars")}>
      <VariableRows nodeId={node.id} rows={arr(node.data.variables)} onChange={(variables) => set({ variables }, "variables")} testId="wf-vars" />
    </Field>
  );
}

interface FormInput {
  type: "text_input" | "paragraph";
  output_variable_name: string;
}

/** A form the run waits on: its text (with variables), its fields, and the buttons a person may press (branches). */
export function HumanInputPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  const inputs = arr<FormInput>(node.data.inputs);
  const actions = arr<{ id: string; title: string; button_style?: string }>(node.data.user_actions);
  return (
    <>
      <Field label={t("workflow.fields.formContent")}>
        <TextWithVars nodeId={node.id} value={String(node.data.form_content ?? "")} onChange={(form_content) => set({ form_content }, "form_content")} rows={3} />
      </Field>
      <Field label={t("workflow.fields.formInputs")}>
        <Flex vertical gap={6}>
          {inputs.map((f, i) => (
            <Flex key={i} gap={6}>
              <Input
                value={f.output_variable_name}
                onChange={(e) => set({ inputs: inputs.map((x, j) => (j === i ? { ...x, output_variable_name: e.target.value } : x)) }, "inputs")}
                disabled={disabled}
                placeholder={t("workflow.fields.variableName")}
              />
              <Select
                value={f.type}
                onChange={(type: FormInput["type"]) => set({ inputs: inputs.map((x, j) => (j === i ? { ...x, type } : x)) })}
                options={[
                  { value: "text_input", label: t("workflow.kinds.text-input") },
                  { value: "paragraph", label: t("workflow.kinds.paragraph") },
                ]}
                style={{ width: 130, flex: "none" }}
                disabled={disabled}
              />
              {!disabled && <Button type="text" icon={<DeleteOutlined />} onClick={() => set({ inputs: inputs.filter((_, j) => j !== i) })} aria-label={t("common.delete")} />}
            </Flex>
          ))}
          {!disabled && (
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => set({ inputs: [...inputs, { type: "text_input", output_variable_name: nextName(inputs.map((x) => x.output_variable_name), "field") }] })}>
              {t("workflow.fields.addInput")}
            </Button>
          )}
        </Flex>
      </Field>
      <Field label={t("workflow.fields.actions")} hint={t("workflow.fields.actionsHint")}>
        <Flex vertical gap={6}>
          {actions.map((a, i) => (
            <Flex key={a.id} gap={6}>
              <Input
                value={a.title}
                onChange={(e) => set({ user_actions: actions.map((x, j) => (j === i ? { ...x, title: e.target.value } : x)) }, "actions")}
                disabled={disabled}
              />
              {!disabled && <Button type="text" icon={<DeleteOutlined />} onClick={() => set({ user_actions: actions.filter((_, j) => j !== i) })} aria-label={t("common.delete")} />}
            </Flex>
          ))}
          {!disabled && (
            <Button
              size="small"
              type="dashed"
              icon={<PlusOutlined />}
              onClick={() => set({ user_actions: [...actions, { id: nextName(actions.map((x) => x.id), "action"), title: t("workflow.fields.actionDefault", { n: actions.length + 1 }), button_style: "default" }] })}
            >
              {t("workflow.fields.addAction")}
            </Button>
          )}
        </Flex>
      </Field>
    </>
  );
}
