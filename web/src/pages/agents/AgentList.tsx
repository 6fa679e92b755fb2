import {
  BranchesOutlined,
  DeleteOutlined,
  DownloadOutlined,
  EditOutlined,
  EllipsisOutlined,
  ImportOutlined,
  MessageOutlined,
  PlusOutlined,
  ReloadOutlined,
} from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Col, Dropdown, Empty, Flex, Row, Space, Tag, Tooltip, Typography, Upload, type ButtonProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useAgents } from "../../api/agentQueries";
import { downloadAgentYaml, importAgentYaml, request, wsPaths, type AgentPublic } from "../../api/agents";
import { ApiError, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { AgentAvatar } from "../../components/agents/AgentAvatar";
import { formatDateTime } from "../../components/format";
import { atLeast } from "../../components/roles";
import { CreateAgentModal } from "./CreateAgentModal";
import { isWorkflow } from "../workflows/api";
import { CreateWorkflowModal } from "../workflows/CreateWorkflowModal";

/** Owners, admins and editors build agents; every member may chat with the published ones. */
export const canEditAgents = (ws: WorkspaceRef) => atLeast(ws.role, "editor");

/** The workspace's agents as cards: create (blank or from a template), import and export YAML, delete. */
export function AgentList({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [creatingWorkflow, setCreatingWorkflow] = useState(false);
  const editor = canEditAgents(workspace);
  const agents = useAgents(workspace.id);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: queryKeys.agents(workspace.id) });

  const remove = useMutation({
    mutationFn: (agent: AgentPublic) => request<void>("DELETE", wsPaths(workspace.id).agent(agent.id)),
    onSuccess: (_, agent) => {
      void message.success(t("agents.deleted", { name: agent.name }));
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const importFile = async (file: File, replace = false): Promise<void> => {
    const text = await file.text();
    try {
      const agent = await importAgentYaml(workspace.id, text, replace);
      void message.success(t("agents.imported", { name: agent.name }));
      refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === "agent_exists" && !replace) {
        void modal.confirm({
          title: t("agents.importExists"),
          content: err.message,
          okText: t("agents.importReplace"),
          okButtonProps: { danger: true, "data-testid": "agent-import-replace" } as ButtonProps,
          cancelText: t("common.cancel"),
          onOk: () => importFile(file, true),
        });
        return;
      }
      const field = err instanceof ApiError && err.details && typeof err.details === "object" ? (err.details as { field?: string }).field : undefined;
      void modal.error({
        title: t("agents.importFailed", { name: file.name }),
        // The server's message usually names the field already; say it only when it does not.
        content:
          field && !errorMessage(err, t).includes(field)
            ? `${errorMessage(err, t)} (${t("agents.importField", { field })})`
            : errorMessage(err, t),
      });
    }
  };

  const exportAgent = (agent: AgentPublic, format: "hezi" | "dify" = "hezi") =>
    downloadAgentYaml(workspace.id, agent, format).catch((err: unknown) => void message.error(errorMessage(err, t)));

  const confirmDelete = (agent: AgentPublic) =>
    void modal.confirm({
      title: t("agents.confirmDelete", { name: agent.name }),
      content: t("agents.deleteWarning"),
      okText: t("common.delete"),
      okButtonProps: { danger: true, "data-testid": "agent-delete-confirm" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: () => remove.mutateAsync(agent).catch(() => undefined),
    });

  if (agents.isError) return <Alert type="error" showIcon title={errorMessage(agents.error, t)} />;
  const list = agents.data?.data ?? [];

  return (
    <>
      <Flex justify="space-between" align="center" gap={16} wrap style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">
          {editor ? t("agents.listHint", { workspace: workspace.name }) : t("agents.readOnly", { workspace: workspace.name })}
        </Typography.Text>
        <Space wrap>
          <Tooltip title={t("common.refresh")}>
            <Button icon={<ReloadOutlined />} onClick={() => void agents.refetch()} loading={agents.isFetching && !agents.isPending} aria-label={t("common.refresh")} data-testid="agent-refresh" />
          </Tooltip>
          {editor && (
            <Upload
              accept=".yaml,.yml,text/yaml,application/x-yaml"
              showUploadList={false}
              beforeUpload={(file) => {
                void importFile(file);
                return false;
              }}
            >
              <Button icon={<ImportOutlined />} data-testid="agent-import">
                {t("agents.import")}
              </Button>
            </Upload>
          )}
          {editor && (
            <Button icon={<BranchesOutlined />} onClick={() => setCreatingWorkflow(true)} data-testid="workflow-create">
              {t("workflow.create.menu")}
            </Button>
          )}
          {editor && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="agent-create">
              {t("agents.create")}
            </Button>
          )}
        </Space>
      </Flex>

      {agents.isPending ? (
        <Card loading />
      ) : list.length === 0 ? (
        <Empty description={editor ? t("agents.empty") : t("agents.emptyReadOnly")} data-testid="agent-empty">
          {editor && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t("agents.create")}
            </Button>
          )}
        </Empty>
      ) : (
        <Row gutter={[16, 16]} data-testid="agent-list">
          {list.map((agent) => (
            <Col xs={24} md={12} xl={8} xxl={6} key={agent.id}>
              <Card
                hoverable
                size="small"
                data-testid={`agent-card-${agent.name}`}
                style={{ height: "100%" }}
                styles={{ body: { display: "flex", flexDirection: "column", gap: 8, height: "100%" } }}
                onClick={() => navigate(`/agents/${agent.id}`)}
              >
                <Flex gap={12} align="flex-start">
                  <AgentAvatar icon={agent.icon} size={44} />
                  <div style={{ flex: 1, minWidth: 0 }}>
                    <Typography.Text strong ellipsis style={{ display: "block" }}>
                      {agent.name}
                    </Typography.Text>
                    {isWorkflow(agent) && (
                      <Tag color="purple" bordered={false} data-testid="agent-mode">
                        {t(`workflow.mode.${(agent.config as { mode?: string }).mode === "chatflow" ? "chatflow" : "workflow"}`)}
                      </Tag>
                    )}
                    {agent.published_version !== null ? (
                      <Tag color="blue" bordered={false} data-testid="agent-published">
                        {t("agents.versionTag", { version: agent.published_version })}
                      </Tag>
                    ) : (
                      <Tag bordered={false} data-testid="agent-published">
                        {t("agents.unpublished")}
                      </Tag>
                    )}
                  </div>
                  <div onClick={(e) => e.stopPropagation()}>
                    <Dropdown
                      trigger={["click"]}
                      menu={{
                        items: [
                          { key: "edit", icon: <EditOutlined />, label: editor ? t("agents.edit") : t("agents.view") },
                          { key: "export", icon: <DownloadOutlined />, label: <span data-testid={`agent-export-${agent.name}`}>{t("agents.export")}</span> },
                          ...((agent.config.mode ?? "agent") !== "agent"
                            ? [{ key: "export-dify", icon: <DownloadOutlined />, label: <span data-testid={`agent-export-dify-${agent.name}`}>{t("agents.exportDify")}</span> }]
                            : []),
                          ...(editor
                            ? [{ key: "delete", icon: <DeleteOutlined />, danger: true, label: <span data-testid={`agent-delete-${agent.name}`}>{t("common.delete")}</span> }]
                            : []),
                        ],
                        onClick: ({ key }) => {
                          if (key === "edit") navigate(`/agents/${agent.id}`);
                          if (key === "export") void exportAgent(agent);
                          if (key === "export-dify") void exportAgent(agent, "dify");
                          if (key === "delete") confirmDelete(agent);
                        },
                      }}
                    >
                      <Button type="text" size="small" icon={<EllipsisOutlined />} aria-label={t("common.actions")} data-testid={`agent-menu-${agent.name}`} />
                    </Dropdown>
                  </div>
                </Flex>
                <Typography.Paragraph type="secondary" ellipsis={{ rows: 2 }} style={{ margin: 0, minHeight: 44 }}>
                  {agent.description || t("agents.noDescription")}
                </Typography.Paragraph>
                <Flex justify="space-between" align="center" style={{ marginTop: "auto" }}>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t("agents.updated", { time: formatDateTime(agent.updated_at) })}
                  </Typography.Text>
                  {agent.published_version !== null && (
                    <Button
                      size="small"
                      icon={<MessageOutlined />}
                      onClick={(e) => {
                        e.stopPropagation();
                        navigate(`/chat?agent=${agent.id}`);
                      }}
                      data-testid={`agent-chat-${agent.name}`}
                    >
                      {t("agents.chat")}
                    </Button>
                  )}
                </Flex>
              </Card>
            </Col>
          ))}
        </Row>
      )}
      <CreateWorkflowModal workspace={workspace} open={creatingWorkflow} onClose={() => setCreatingWorkflow(false)} onCreated={(agent) => navigate(`/agents/${agent.id}`)} />
      <CreateAgentModal workspace={workspace} open={creating} onClose={() => setCreating(false)} onCreated={(agent) => navigate(`/agents/${agent.id}`)} />
    </>
  );
}
