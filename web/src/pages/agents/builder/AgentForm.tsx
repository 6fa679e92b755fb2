import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Button, Col, Collapse, Flex, Form, Input, InputNumber, Row, Segmented, Select, Slider, Switch, Typography } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useTools } from "../../../api/agentQueries";
import { api, unwrap, type RetrieveMode, type WorkspaceRef } from "../../../api/client";
import { useModels } from "../../../api/queries";
import { IconPicker } from "../../../components/agents/IconPicker";
import { useKnowledgeBases } from "../../knowledge/KnowledgeListPage";
import { RetrievalOptions } from "../../knowledge/retrieval/RetrievalOptions";
import { type BuilderValues, promptVariables, toolKey } from "./config";
import { InputFormEditor } from "./InputFormEditor";

const MODES: RetrieveMode[] = ["hybrid", "vector", "full_text"];
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

/** Chat models this workspace can use: local ones and its providers' ("provider/model"). */
function useChatModels(workspace: WorkspaceRef, current: string | undefined) {
  const models = useModels();
  const providers = useQuery({
    queryKey: ["workspaces", workspace.id, "providers"],
    queryFn: () => unwrap(api.GET("/api/workspaces/{workspace_id}/providers", { params: { path: { workspace_id: workspace.id } } })),
    staleTime: 60_000,
  });
  const local = (models.data?.data ?? []).filter((m) => m.kind === "chat");
  const remote = (providers.data?.data ?? []).flatMap((p) => p.models.map((m) => `${p.name}/${m}`));
  const names = new Set([...local.map((m) => m.name), ...remote]);
  return {
    loading: models.isPending,
    options: [
      {
        label: "local",
        title: "local",
        options: local.map((m) => ({ value: m.name, ready: m.deployment?.status === "ready" && m.deployment.desired === "running" })),
      },
      { label: "remote", title: "remote", options: remote.map((m) => ({ value: m, ready: true })) },
      ...(current && !names.has(current) ? [{ label: "other", title: "other", options: [{ value: current, ready: false }] }] : []),
    ],
  };
}

function Hint({ children }: { children: ReactNode }) {
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
      {children}
    </Typography.Text>
  );
}

/** The builder's form: every setting of the agent's draft, in sections. */
export function AgentForm({ workspace, values, disabled }: { workspace: WorkspaceRef; values: BuilderValues; disabled: boolean }) {
  const { t } = useTranslation();
  const models = useChatModels(workspace, values.model);
  const kbs = useKnowledgeBases(workspace);
  const tools = useTools(workspace.id);
  const vars = promptVariables(values.system_prompt ?? "");
  const toolGroups = new Map<string, { value: string; label: ReactNode; title: string }[]>();
  for (const tool of tools.data?.data ?? []) {
    const group = tool.provider === "builtin" ? t("builder.tools.builtin") : tool.provider_name;
    const list = toolGroups.get(group) ?? [];
    list.push({
      value: toolKey(tool.provider, tool.name),
      title: tool.description,
      label: (
        <Flex vertical data-testid={`builder-tool-option-${tool.name}`}>
          <span style={{ fontFamily: MONO }}>{tool.name}</span>
          <Typography.Text type="secondary" ellipsis style={{ fontSize: 12, maxWidth: 420 }}>
            {tool.description}
          </Typography.Text>
        </Flex>
      ),
    });
    toolGroups.set(group, list);
  }
  const knownTools = new Set((tools.data?.data ?? []).map((tool) => toolKey(tool.provider, tool.name)));
  const missingTools = tools.isSuccess ? (values.tools ?? []).filter((k) => !knownTools.has(k)) : [];
  const retrievalMode = values.retrieval?.mode ?? "hybrid";
  const modelLabel = (group: string) => t(`builder.model.groups.${group as "local" | "remote" | "other"}`);

  const sections = [
    {
      key: "basics",
      label: t("builder.sections.basics"),
      children: (
        <Flex gap={16} align="flex-start">
          <Form.Item name="icon" label={t("agents.icon")}>
            <IconPicker testId="builder-icon" />
          </Form.Item>
          <div style={{ flex: 1, minWidth: 0 }}>
            <Form.Item name="name" label={t("agents.name")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
              <Input maxLength={128} data-testid="builder-name" />
            </Form.Item>
            <Form.Item name="description" label={t("agents.descriptionLabel")} style={{ marginBottom: 0 }}>
              <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} maxLength={2000} data-testid="builder-description" />
            </Form.Item>
          </div>
        </Flex>
      ),
    },
    {
      key: "model",
      label: t("builder.sections.model"),
      children: (
        <>
          <Form.Item name="model" label={t("builder.model.model")} rules={[{ required: true, message: t("common.required") }]}>
            <Select
              showSearch
              loading={models.loading}
              data-testid="builder-model"
              options={models.options
                .filter((g) => g.options.length > 0)
                .map((g) => ({
                  label: modelLabel(g.label),
                  title: g.title,
                  options: g.options.map((o) => ({
                    value: o.value,
                    label: (
                      <Flex justify="space-between" gap={8}>
                        <span style={{ fontFamily: MONO }}>{o.value}</span>
                        {!o.ready && <Typography.Text type="secondary">{t("builder.model.notRunning")}</Typography.Text>}
                      </Flex>
                    ),
                  })),
                }))}
            />
          </Form.Item>
          <Row gutter={16}>
            <Col xs={24} sm={12}>
              <SliderField
                name="temperature"
                label={t("builder.model.temperature")}
                tooltip={t("playground.temperatureHint")}
                min={0}
                max={2}
                step={0.1}
                testId="builder-temperature"
              />
            </Col>
            <Col xs={24} sm={12}>
              <SliderField
                name="top_p"
                label={t("builder.model.topP")}
                tooltip={t("builder.model.topPHint")}
                min={0.05}
                max={1}
                step={0.05}
                testId="builder-top-p"
              />
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item name="max_tokens" label={t("builder.model.maxTokens")} tooltip={t("playground.maxTokensHint")} style={{ marginBottom: 0 }}>
                <InputNumber min={1} max={32768} step={64} style={{ width: "100%" }} data-testid="builder-max-tokens" />
              </Form.Item>
            </Col>
          </Row>
        </>
      ),
    },
    {
      key: "prompt",
      label: t("builder.sections.prompt"),
      children: (
        <>
          <Form.Item
            name="system_prompt"
            label={t("builder.prompt.system")}
            extra={<Hint>{t("builder.prompt.variablesHint", { example: "{{name}}" })}</Hint>}
          >
            <Input.TextArea autoSize={{ minRows: 5, maxRows: 18 }} maxLength={20000} placeholder={t("builder.prompt.placeholder")} data-testid="builder-system-prompt" />
          </Form.Item>
          <Form.Item label={t("builder.fields.title")} tooltip={t("builder.fields.hint")} style={{ marginBottom: 0 }}>
            <InputFormEditor promptVariables={vars} />
          </Form.Item>
        </>
      ),
    },
    {
      key: "opening",
      label: t("builder.sections.opening"),
      children: (
        <>
          <Form.Item name="opening_statement" label={t("builder.opening.statement")} extra={<Hint>{t("builder.opening.statementHint")}</Hint>}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 8 }} maxLength={4000} data-testid="builder-opening" />
          </Form.Item>
          <Form.Item label={t("builder.opening.questions")} style={{ marginBottom: 0 }}>
            <Form.List name="suggested_questions">
              {(items, { add, remove }) => (
                <Flex vertical gap={6}>
                  {items.map((item) => (
                    <Flex key={item.key} gap={6}>
                      <Form.Item name={item.name} noStyle>
                        <Input maxLength={500} data-testid={`builder-question-${item.name}`} />
                      </Form.Item>
                      <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(item.name)} aria-label={t("common.delete")} />
                    </Flex>
                  ))}
                  {items.length < 10 && (
                    <Button size="small" icon={<PlusOutlined />} onClick={() => add("")} style={{ alignSelf: "flex-start" }} data-testid="builder-question-add">
                      {t("builder.opening.addQuestion")}
                    </Button>
                  )}
                </Flex>
              )}
            </Form.List>
          </Form.Item>
        </>
      ),
    },
    {
      key: "knowledge",
      label: t("builder.sections.knowledge"),
      children: (
        <>
          <Form.Item name="knowledge_base_ids" label={t("builder.knowledge.bases")} extra={<Hint>{t("builder.knowledge.hint")}</Hint>}>
            <Select
              mode="multiple"
              allowClear
              loading={kbs.isPending}
              placeholder={t("builder.knowledge.none")}
              optionFilterProp="label"
              options={(kbs.data?.data ?? []).map((kb) => ({ value: kb.id, label: kb.name }))}
              data-testid="builder-knowledge"
            />
          </Form.Item>
          {(values.knowledge_base_ids ?? []).length > 0 && (
            <>
              <Flex gap={16} align="start" wrap>
                <Form.Item name={["retrieval", "mode"]} label={t("knowledge.hit.mode")}>
                  <Segmented<RetrieveMode>
                    options={MODES.map((m) => ({ value: m, label: <span data-testid={`builder-retrieval-${m}`}>{t(`knowledge.hit.modes.${m}`)}</span> }))}
                  />
                </Form.Item>
                <Form.Item name={["retrieval", "top_k"]} label={t("knowledge.hit.topK")} rules={[{ required: true, message: t("common.required") }]}>
                  <InputNumber min={1} max={100} style={{ width: 96 }} data-testid="builder-top-k" />
                </Form.Item>
              </Flex>
              <RetrievalOptions workspace={workspace} prefix={["retrieval"]} hybrid={retrievalMode === "hybrid"} />
            </>
          )}
          <Form.Item name="citations" label={t("builder.knowledge.citations")} valuePropName="checked" extra={<Hint>{t("builder.knowledge.citationsHint")}</Hint>} style={{ marginBottom: 0 }}>
            <Switch data-testid="builder-citations" />
          </Form.Item>
        </>
      ),
    },
    {
      key: "tools",
      label: t("builder.sections.tools"),
      children: (
        <>
          <Form.Item name="tools" label={t("builder.tools.label")} extra={<Hint>{t("builder.tools.hint")}</Hint>}>
            <Select
              mode="multiple"
              allowClear
              loading={tools.isPending}
              placeholder={t("builder.tools.none")}
              optionFilterProp="value"
              data-testid="builder-tools"
              labelRender={({ value }) => <span style={{ fontFamily: MONO }}>{String(value).split("::").pop()}</span>}
              options={[...toolGroups.entries()].map(([group, options]) => ({ label: group, title: group, options }))}
            />
          </Form.Item>
          {missingTools.length > 0 && (
            <Typography.Text type="warning" style={{ display: "block", marginTop: -16, marginBottom: 16, fontSize: 12 }}>
              {t("builder.tools.missing", { tools: missingTools.map((k) => k.split("::").pop()).join(", ") })}
            </Typography.Text>
          )}
          <Form.Item name="max_steps" label={t("builder.tools.maxSteps")} tooltip={t("builder.tools.maxStepsHint")} style={{ marginBottom: 0 }}>
            <InputNumber min={1} max={20} style={{ width: 120 }} data-testid="builder-max-steps" />
          </Form.Item>
        </>
      ),
    },
    {
      key: "conversation",
      label: t("builder.sections.conversation"),
      children: (
        <Row gutter={16}>
          <Col xs={24} sm={12}>
            <Form.Item name="memory_window" label={t("builder.conversation.memory")} tooltip={t("builder.conversation.memoryHint")}>
              <InputNumber min={0} max={100} style={{ width: 120 }} data-testid="builder-memory" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="suggested_follow_ups" label={t("builder.conversation.followUps")} valuePropName="checked" tooltip={t("builder.conversation.followUpsHint")}>
              <Switch data-testid="builder-follow-ups" />
            </Form.Item>
          </Col>
        </Row>
      ),
    },
  ];

  return (
    <Collapse
        defaultActiveKey={sections.map((s) => s.key)}
        items={sections.map((s) => ({ ...s, forceRender: true, label: <span data-testid={`builder-section-${s.key}`}>{s.label}</span> }))}
        bordered={false}
        style={{ background: "transparent" }}
        data-disabled={disabled || undefined}
      />
  );
}

/** A number set by a slider and a box side by side, both bound to one form field. */
function SliderField(props: {
  name: string;
  label: string;
  tooltip: string;
  min: number;
  max: number;
  step: number;
  testId: string;
}) {
  const { name, label, tooltip, min, max, step, testId } = props;
  return (
    <Form.Item label={label} tooltip={tooltip}>
      <Flex gap={8} align="center">
        <Form.Item name={name} noStyle>
          <Slider min={min} max={max} step={step} style={{ flex: 1 }} />
        </Form.Item>
        <Form.Item name={name} noStyle>
          <InputNumber min={min} max={max} step={step} style={{ width: 72 }} data-testid={testId} />
        </Form.Item>
      </Flex>
    </Form.Item>
  );
}
