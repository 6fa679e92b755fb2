import { CheckCircleFilled, FileAddOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Alert, App, Card, Col, Empty, Flex, Form, Input, Row, Segmented, Spin, Typography, theme } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useAgentTemplates } from "../../api/agentQueries";
import { request, wsPaths, type AgentCreate, type AgentPublic, type AgentTemplate } from "../../api/agents";
import type { WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { AgentAvatar } from "../../components/agents/AgentAvatar";
import { IconPicker } from "../../components/agents/IconPicker";
import { FormModal } from "../../components/FormModal";
import { currentLanguage } from "../../i18n";

interface Values {
  name: string;
  icon: string;
  description: string;
}

/** A new agent: blank, or from one of the templates (in the console's language). */
export function CreateAgentModal({
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
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [source, setSource] = useState<"template" | "blank">("template");
  const [template, setTemplate] = useState<AgentTemplate | null>(null);
  const lang = currentLanguage();
  const templates = useAgentTemplates(workspace.id, lang, open);
  // Workflow and chatflow templates are offered by the workflow editor's own dialog.
  const agentTemplates = (templates.data?.data ?? []).filter((tpl) => (tpl.config.mode ?? "agent") === "agent");

  const create = useMutation({
    mutationFn: (v: Values) => {
      const body: AgentCreate = { name: v.name.trim(), lang };
      if (v.icon) body.icon = v.icon;
      if (v.description?.trim()) body.description = v.description.trim();
      if (source === "template" && template) {
        body.template = template.id; // its prompt, opening statement and questions in the console's language (lang)
      }
      return request<AgentPublic>("POST", wsPaths(workspace.id).agents, body);
    },
    onSuccess: (agent) => {
      void message.success(t("agents.created", { name: agent.name }));
      onClose();
      onCreated(agent);
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const choose = (tpl: AgentTemplate) => {
    setTemplate(tpl);
    form.setFieldsValue({ name: tpl.name, icon: tpl.icon ?? "", description: tpl.description ?? "" });
  };

  return (
    <FormModal<Values>
      open={open}
      title={t("agents.createTitle")}
      form={form}
      onFinish={(v) => create.mutate(v)}
      onCancel={() => {
        setTemplate(null);
        onClose();
      }}
      loading={create.isPending}
      okText={t("common.create")}
      testId="agent-create-form"
      width={760}
      initialValues={{ name: "", icon: "🤖", description: "" }}
    >
      <Segmented
        block
        value={source}
        onChange={(v) => {
          setSource(v as "template" | "blank");
          if (v === "blank") {
            setTemplate(null);
            form.setFieldsValue({ name: "", icon: "🤖", description: "" });
          }
        }}
        options={[
          { value: "template", label: <span data-testid="agent-create-template">{t("agents.fromTemplate")}</span> },
          { value: "blank", label: <span data-testid="agent-create-blank">{t("agents.blank")}</span> },
        ]}
        style={{ marginBottom: 16 }}
      />
      {source === "template" &&
        (templates.isError ? (
          <Alert type="error" showIcon title={errorMessage(templates.error, t)} style={{ marginBottom: 16 }} />
        ) : templates.isPending ? (
          <Flex justify="center" style={{ padding: 24 }}>
            <Spin />
          </Flex>
        ) : agentTemplates.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("agents.noTemplates")} />
        ) : (
          <Row gutter={[12, 12]} style={{ marginBottom: 16 }} data-testid="agent-templates">
            {agentTemplates.map((tpl) => {
              const selected = template?.id === tpl.id;
              return (
                <Col xs={24} sm={12} key={tpl.id}>
                  <Card
                    size="small"
                    hoverable
                    onClick={() => choose(tpl)}
                    data-testid={`agent-template-${tpl.id}`}
                    style={{ height: "100%", borderColor: selected ? token.colorPrimary : undefined, background: selected ? token.colorPrimaryBg : undefined }}
                  >
                    <Flex gap={10} align="flex-start">
                      <AgentAvatar icon={tpl.icon} size={36} />
                      <div style={{ minWidth: 0, flex: 1 }}>
                        <Flex justify="space-between" gap={4}>
                          <Typography.Text strong>{tpl.name}</Typography.Text>
                          {selected && <CheckCircleFilled style={{ color: token.colorPrimary }} />}
                        </Flex>
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
      {source === "blank" && (
        <Flex gap={8} align="center" style={{ marginBottom: 16 }}>
          <FileAddOutlined style={{ color: token.colorTextSecondary }} />
          <Typography.Text type="secondary">{t("agents.blankHint")}</Typography.Text>
        </Flex>
      )}
      <Flex gap={16} align="flex-start">
        <Form.Item name="icon" label={t("agents.icon")}>
          <IconPicker testId="agent-create-icon" />
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
            <Input maxLength={128} autoComplete="off" data-testid="agent-create-name" />
          </Form.Item>
          <Form.Item name="description" label={t("agents.descriptionLabel")}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} maxLength={2000} data-testid="agent-create-description" />
          </Form.Item>
        </div>
      </Flex>
    </FormModal>
  );
}
