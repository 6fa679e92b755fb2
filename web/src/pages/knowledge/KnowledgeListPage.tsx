import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Flex, Space, Table, Tag, Tooltip, Typography, type ButtonProps } from "antd";
import { ListToolbar } from "../../components/ListToolbar";
import { useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { api, unwrap, type KnowledgeBasePublic, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { formatDateTime, formatNumber } from "../../components/format";
import { PageHeader } from "../../components/PageHeader";
import { atLeast } from "../../components/roles";
import { useWorkspace } from "../../components/workspace";
import { CreateKnowledgeBaseModal } from "./CreateKnowledgeBaseModal";

export const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

/** Owners, admins and editors change knowledge bases; every member may read and search them. */
export const canEditKnowledge = (ws: WorkspaceRef) => atLeast(ws.role, "editor");

export function useKnowledgeBases(workspace: WorkspaceRef, poll: number | false = false) {
  return useQuery({
    queryKey: queryKeys.knowledgeBases(workspace.id),
    queryFn: () =>
      unwrap(api.GET("/api/workspaces/{workspace_id}/knowledge-bases", { params: { path: { workspace_id: workspace.id } } })),
    refetchInterval: poll,
  });
}

export function KnowledgeListPage() {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader title={t("nav.knowledge")} description={t("knowledge.description")} />
      {workspace === null ? (
        <Alert type="info" showIcon title={t("workspace.none")} />
      ) : (
        <KnowledgeBaseTable workspace={workspace} key={workspace.id} />
      )}
    </>
  );
}

function KnowledgeBaseTable({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const editor = canEditKnowledge(workspace);
  const kbs = useKnowledgeBases(workspace);

  const remove = useMutation({
    mutationFn: (kb: KnowledgeBasePublic) =>
      unwrap(
        api.DELETE("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}", {
          params: { path: { workspace_id: workspace.id, kb_id: kb.id } },
        }),
      ),
    onSuccess: (_, kb) => {
      void message.success(t("knowledge.deleted", { name: kb.name }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.knowledgeBases(workspace.id) });
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const confirmDelete = (kb: KnowledgeBasePublic) =>
    void modal.confirm({
      title: t("knowledge.confirmDelete", { name: kb.name }),
      content: t("knowledge.deleteWarning", { documents: kb.documents, chunks: kb.chunks }),
      okText: t("common.delete"),
      okButtonProps: { danger: true, "data-testid": "kb-delete-confirm" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: () => remove.mutateAsync(kb).catch(() => undefined),
    });

  if (kbs.isError) return <Alert type="error" showIcon title={errorMessage(kbs.error, t)} />;

  return (
    <Card>
      <ListToolbar
        hint={editor ? t("knowledge.listHint", { workspace: workspace.name }) : t("knowledge.readOnly", { workspace: workspace.name })}
        onRefresh={() => void kbs.refetch()}
        refreshing={kbs.isFetching && !kbs.isPending}
        refreshTestId="kb-refresh"
        action={editor && { label: t("knowledge.create"), icon: <PlusOutlined />, onClick: () => setCreating(true), testId: "kb-create" }}
      />
      <Table<KnowledgeBasePublic>
        rowKey="id"
        loading={kbs.isPending}
        dataSource={kbs.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        scroll={{ x: "max-content" }}
        data-testid="kb-table"
        locale={{ emptyText: editor ? t("knowledge.empty") : t("knowledge.emptyReadOnly") }}
        onRow={(kb) => ({ "data-testid": `kb-row-${kb.name}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("knowledge.name"),
            key: "name",
            render: (_, kb) => (
              <Flex vertical gap={0} style={{ maxWidth: 420 }}>
                <Link to={`/knowledge/${kb.id}`} data-testid={`kb-open-${kb.name}`}>
                  <Typography.Text strong style={{ color: "inherit" }}>
                    {kb.name}
                  </Typography.Text>
                </Link>
                {kb.description && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }} ellipsis={{ tooltip: kb.description }}>
                    {kb.description}
                  </Typography.Text>
                )}
              </Flex>
            ),
          },
          {
            title: t("knowledge.embeddingModel"),
            key: "model",
            render: (_, kb) => (
              <Tooltip title={t("knowledge.dims", { dims: kb.dims })}>
                <Tag style={{ fontFamily: MONO }}>{kb.embedding_model}</Tag>
              </Tooltip>
            ),
          },
          {
            title: t("knowledge.documents"),
            key: "documents",
            align: "right",
            render: (_, kb) => <span data-testid="kb-documents">{formatNumber(kb.documents)}</span>,
          },
          { title: t("knowledge.chunks"), key: "chunks", align: "right", render: (_, kb) => formatNumber(kb.chunks) },
          { title: t("common.createdAt"), key: "created", render: (_, kb) => formatDateTime(kb.created_at) },
          {
            title: t("common.actions"),
            key: "actions",
            fixed: "right",
            render: (_, kb) => (
              <Space size={0} wrap={false}>
                <Button type="link" size="small" onClick={() => navigate(`/knowledge/${kb.id}`)}>
                  {t("knowledge.open")}
                </Button>
                <Button type="link" size="small" onClick={() => navigate(`/knowledge/${kb.id}?tab=hit-testing`)}>
                  {t("knowledge.tabs.hitTesting")}
                </Button>
                {editor && (
                  <Button
                    type="link"
                    size="small"
                    danger
                    icon={<DeleteOutlined />}
                    onClick={() => confirmDelete(kb)}
                    data-testid={`kb-delete-${kb.name}`}
                  >
                    {t("common.delete")}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <CreateKnowledgeBaseModal
        workspace={workspace}
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(kb) => navigate(`/knowledge/${kb.id}`)}
      />
    </Card>
  );
}
