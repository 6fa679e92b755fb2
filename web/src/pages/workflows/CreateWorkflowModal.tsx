import { BranchesOutlined, CheckCircleFilled, CommentOutlined, InboxOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Alert, App, Card, Col, Empty, Flex, Form, Input, Row, Segmented, Spin, Typography, Upload, theme } from "antd";
import type { TFunction } from "i18next";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useAgentTemplates } from "../../api/agentQueries";
import { importAgentYaml, request, wsPaths, type AgentConfig, type AgentCreate, type AgentPublic, type AgentTemplate } from "../../api/agents";
import { ApiError, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { AgentAvatar } from "../../components/agents/AgentAvatar";
import { IconPicker } from "../../components/agents/IconPicker";
import { FormModal } from "../../components/FormModal";
import { currentLanguage } from "../../i18n";
import type { WorkflowConfig } from "./api";
import { edgeId, type Graph, type WorkflowMode } from "./model";
import { makeNode } from "./nodeTypes";

interface Values {
  name: string;
  icon: string;
  description: string;
}

/** What a new one starts with: Start alone for a workflow's End to follow; Start → LLM → Answer for a chatflow. */
export function starterGraph(mode: WorkflowMode, t: TFunction): Graph {
  const g: Graph = { mode, nodes: [], edges: [], environment: [], conversation_variables: [] };
  const start = makeNode("start", { x: 80, y: 200 }, g, t);
  g.nodes.push(start);
  if (mode === "workflow") {
    const end = makeNode("end", { x: 420, y: 200 }, g, t);
    g.nodes.push(end);
    g.edges.push({ id: edgeId(start.id, "source", end.id), source: start.id, source_handle: "source", target: end.id, target_handle: "target" });
    return g;
  }
  const llm = { ...makeNode("llm", { x: 400, y: 200 }, g, t), id: "llm" };
  g.nodes.push(llm);
  const answer = { ...makeNode("answer", { x: 720, y: 200 }, g, t), id: "answer", data: { answer: "{{#llm.text#}}" } };
  g.nodes.push(answer);
  g.edges.push(
    { id: edgeId(start.id, "source", llm.id), source: start.id, source_handle: "source", target: llm.id, target_handle: "target" },
    { id: edgeId(llm.id, "source", answer.id), source: llm.id, source_handle: "source", target: answer.id, target_handle: "target" },
  );
  return g;
}

const modeOf = (tpl: AgentTemplate) => (tpl.config as WorkflowConfig).mode;

/** A new workflow or chatflow: blank, from a workflow template, or imported from a Dify DSL file. */
export function CreateWorkflowModal({
  workspace,
  open,
  onClose,
  onCreated,
}: {
  workspace: WorkspaceRef;
  open: boolean;
  onClose: () => void;
  onCreated: (agent: AgentPublic) => void;
}) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [mode, setMode] = useState<WorkflowMode>("workflow");
  const [source, setSource] = useState<"blank" | "template" | "import">("blank");
  const [template, setTemplate] = useState<AgentTemplate | null>(null);
  const [importing, setImporting] = useState(false);
  const lang = currentLanguage();
  const templates = useAgentTemplates(workspace.id, lang, open && source === "template");
  const workflowTemplates = (templates.data?.data ?? []).filter((tpl) => modeOf(tpl) === "workflow" || modeOf(tpl) === "chatflow");

  const create = useMutation({
    mutationFn: (v: Values) => {
      const body: AgentCreate = { name: v.name.trim(), lang };
      if (v.icon) body.icon = v.icon;
      if (v.description?.trim()) body.description = v.description.trim();
      if (source === "template" && template) body.template = template.id;
      else body.config = { mode, workflow: starterGraph(mode, t) } as unknown as AgentConfig;
      return request<AgentPublic>("POST", wsPaths(workspace.id).agents, body);
    },
    onSuccess: (agent) => {
      void message.success(t("agents.created", { name: agent.name }));
      close();
      onCreated(agent);
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const importFile = async (file: File, replace = false): Promise<void> => {
    setImporting(true);
    try {
      const agent = await importAgentYaml(workspace.id, await file.text(), replace);
      void message.success(t("workflow.create.imported", { name: agent.name }));
      close();
      onCreated(agent);
    } catch (err) {
      if (err instanceof ApiError && err.code === "agent_exists" && !replace) {
        void modal.confirm({
          title: t("agents.importExists"),
          content: err.message,
          okText: t("agents.importReplace"),
          okButtonProps: { danger: true },
          cancelText: t("common.cancel"),
          onOk: () => importFile(file, true),
        });
        return;
      }
      // The importer names each node it could not map: show them all, one a line.
      const details = err instanceof ApiError && err.details && typeof err.details === "object" ? (err.details as { problems?: { node_id?: string; message: string }[] }).problems : undefined;
      void modal.error({
        title: t("workflow.create.importFailed", { name: file.name }),
        width: 560,
        content: (
          <div data-testid="wf-import-error">
            <Typography.Paragraph>{errorMessage(err, t)}</Typography.Paragraph>
            {details && (
              <ul style={{ paddingInlineStart: 18 }}>
                {details.map((p, i) => (
                  <li key={i}>
                    {p.node_id ? <Typography.Text code>{p.node_id}</Typography.Text> : null} {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ),
      });
    } finally {
      setImporting(false);
    }
  };

  const close = () => {
    setTemplate(null);
    setSource("blank");
    form.resetFields();
    onClose();
  };

  const choose = (tpl: AgentTemplate) => {
    setTemplate(tpl);
    form.setFieldsValue({ name: tpl.name, icon: tpl.icon ?? "", description: tpl.description ?? "" });
  };

  const kindCard = (m: WorkflowMode) => {
    const on = mode === m;
    return (
      <Card
        size="small"
        hoverable
        onClick={() => {
          setMode(m);
          if (source === "blank") form.setFieldValue("name", t(m === "workflow" ? "workflow.create.defaultName" : "workflow.create.defaultChatName"));
        }}
        data-testid={`wf-create-kind-${m}`}
        style={{ height: "100%", borderColor: on ? token.colorPrimary : undefined, background: on ? token.colorPrimaryBg : undefined }}
      >
        <Flex gap={10} align="flex-start">
          <span style={{ fontSize: 22, color: token.colorPrimary }}>{m === "workflow" ? <BranchesOutlined /> : <CommentOutlined />}</span>
          <div style={{ flex: 1 }}>
            <Flex justify="space-between">
              <Typography.Text strong>{t(`workflow.create.${m}`)}</Typography.Text>
              {on && <CheckCircleFilled style={{ color: token.colorPrimary }} />}
            </Flex>
            <Typography.Paragraph type="secondary" style={{ margin: 0, fontSize: 12 }}>
              {t(`workflow.create.${m}Hint`)}
            </Typography.Paragraph>
          </div>
        </Flex>
      </Card>
    );
  };

  return (
    <FormModal<Values>
      open={open}
      title={t("workflow.create.title")}
      form={form}
      onFinish={(v) => source !== "import" && create.mutate(v)}
      onCancel={close}
      loading={create.isPending}
      okText={t("common.create")}
      testId="wf-create-form"
      width={720}
      initialValues={{ name: t("workflow.create.defaultName"), icon: "🔀", description: "" }}
    >
      <Segmented
        block
        value={source}
        onChange={(v) => {
          setSource(v as typeof source);
          setTemplate(null);
        }}
        options={[
          { value: "blank", label: <span data-testid="wf-create-blank">{t("workflow.create.blank")}</span> },
          { value: "template", label: <span data-testid="wf-create-template">{t("workflow.create.fromTemplate")}</span> },
          { value: "import", label: <span data-testid="wf-create-import">{t("workflow.create.importDsl")}</span> },
        ]}
        style={{ marginBottom: 16 }}
      />
      {source === "blank" && (
        <Row gutter={12} style={{ marginBottom: 16 }}>
          <Col span={12}>{kindCard("workflow")}</Col>
          <Col span={12}>{kindCard("chatflow")}</Col>
        </Row>
      )}
      {source === "template" &&
        (templates.isError ? (
          <Alert type="error" showIcon title={errorMessage(templates.error, t)} style={{ marginBottom: 16 }} />
        ) : templates.isPending ? (
          <Flex justify="center" style={{ padding: 24 }}>
            <Spin />
          </Flex>
        ) : workflowTemplates.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("workflow.create.noTemplates")} />
        ) : (
          <Row gutter={[12, 12]} style={{ marginBottom: 16 }} data-testid="wf-templates">
            {workflowTemplates.map((tpl) => {
              const on = template?.id === tpl.id;
              return (
                <Col xs={24} sm={12} key={tpl.id}>
                  <Card
                    size="small"
                    hoverable
                    onClick={() => choose(tpl)}
                    data-testid={`wf-template-${tpl.id}`}
                    style={{ height: "100%", borderColor: on ? token.colorPrimary : undefined, background: on ? token.colorPrimaryBg : undefined }}
                  >
                    <Flex gap={10} align="flex-start">
                      <AgentAvatar icon={tpl.icon} size={36} />
                      <div style={{ minWidth: 0, flex: 1 }}>
                        <Flex justify="space-between" gap={4}>
                          <Typography.Text strong>{tpl.name}</Typography.Text>
                          {on && <CheckCircleFilled style={{ color: token.colorPrimary }} />}
                        </Flex>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {t(`workflow.mode.${modeOf(tpl) === "chatflow" ? "chatflow" : "workflow"}`)}
                        </Typography.Text>
                        <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0, fontSize: 12 }}>
                          {tpl.description}
                        </Typography.Paragraph>
                      </div>
                    </Flex>
                  </Card>
                </Col>
              );
            })}
          </Row>
        ))}
      {source === "import" ? (
        <Spin spinning={importing}>
          <Upload.Dragger
            accept=".yml,.yaml,text/yaml,application/x-yaml"
            showUploadList={false}
            beforeUpload={(file) => {
              void importFile(file);
              return false;
            }}
            data-testid="wf-import-upload"
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{t("workflow.create.importDsl")}</p>
            <p className="ant-upload-hint">{t("workflow.create.importHint")}</p>
          </Upload.Dragger>
        </Spin>
      ) : (
        <Flex gap={16} align="flex-start">
          <Form.Item name="icon" label={t("agents.icon")}>
            <IconPicker testId="wf-create-icon" />
          </Form.Item>
          <div style={{ flex: 1, minWidth: 0 }}>
            <Form.Item
              name="name"
              label={t("agents.name")}
              rules={[
                { required: true, whitespace: true, message: t("common.required") },
                { validator: () => (source === "template" && !template ? Promise.reject(new Error(t("agents.pickTemplate"))) : Promise.resolve()) },
              ]}
            >
              <Input maxLength={128} autoComplete="off" data-testid="wf-create-name" />
            </Form.Item>
            <Form.Item name="description" label={t("agents.descriptionLabel")}>
              <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} maxLength={2000} />
            </Form.Item>
          </div>
        </Flex>
      )}
    </FormModal>
  );
}
