import { EditOutlined, PlusOutlined } from "@ant-design/icons";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Drawer, Empty, Flex, Input, Pagination, Spin, Switch, Tag, Tooltip, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type DocumentPublic, type KnowledgeBasePublic, type Schemas, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { DocumentStatus } from "./documentStatus";

type Chunk = Schemas["ChunkPublic"];
const PAGE_SIZE = 20;

/** A document's chunks: read them, switch one off for retrieval, correct its text, or add one by hand. */
export function ChunksDrawer({
  workspace,
  kb,
  doc,
  editor,
  onClose,
}: {
  workspace: WorkspaceRef;
  kb: KnowledgeBasePublic;
  doc: DocumentPublic | null;
  editor: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Drawer
      open={doc !== null}
      onClose={onClose}
      size={720}
      destroyOnHidden
      title={doc ? t("knowledge.chunksOf", { name: doc.name }) : ""}
      extra={doc && <DocumentStatus doc={doc} />}
      data-testid="chunks-drawer"
    >
      {doc && <ChunkList workspace={workspace} kb={kb} doc={doc} editor={editor} />}
    </Drawer>
  );
}

function ChunkList({ workspace, kb, doc, editor }: { workspace: WorkspaceRef; kb: KnowledgeBasePublic; doc: DocumentPublic; editor: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState("");
  const [adding, setAdding] = useState(false);
  const [newText, setNewText] = useState("");
  const path = { workspace_id: workspace.id, kb_id: kb.id, doc_id: doc.id };
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["workspaces", workspace.id, "knowledge-bases", kb.id, "documents", doc.id, "chunks"] });
    void queryClient.invalidateQueries({ queryKey: queryKeys.documents(workspace.id, kb.id) });
  };
  const onError = (err: unknown) => void message.error(errorMessage(err, t));

  const chunks = useQuery({
    queryKey: queryKeys.chunks(workspace.id, kb.id, doc.id, page),
    queryFn: () =>
      unwrap(
        api.GET("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/{doc_id}/chunks", {
          params: { path, query: { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE } },
        }),
      ),
    placeholderData: keepPreviousData,
    // Edited chunks are embedded again: follow them until they are.
    refetchInterval: (q) => ((q.state.data?.data ?? []).some((c) => c.enabled && !c.embedded) ? 2000 : false),
  });
  const update = useMutation({
    mutationFn: ({ chunk, body }: { chunk: Chunk; body: Schemas["ChunkUpdate"] }) =>
      unwrap(
        api.PATCH("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/{doc_id}/chunks/{chunk_id}", {
          params: { path: { ...path, chunk_id: chunk.id } },
          body,
        }),
      ),
    onSuccess: () => {
      setEditing(null);
      void message.success(t("common.saved"));
      refresh();
    },
    onError,
  });
  const add = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/{doc_id}/chunks", {
          params: { path },
          body: { text },
        }),
      ),
    onSuccess: () => {
      setAdding(false);
      setNewText("");
      void message.success(t("knowledge.chunk.added"));
      refresh();
    },
    onError,
  });

  if (chunks.isError) return <Alert type="error" showIcon title={errorMessage(chunks.error, t)} />;
  const count = chunks.data?.count ?? 0;

  return (
    <Flex vertical gap={12}>
      <Flex justify="space-between" align="center">
        <Typography.Text type="secondary">{t("knowledge.chunk.count", { count })}</Typography.Text>
        {editor && !adding && (
          <Button icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="chunk-add">
            {t("knowledge.chunk.add")}
          </Button>
        )}
      </Flex>
      {adding && (
        <Card size="small">
          <Input.TextArea
            autoSize={{ minRows: 3, maxRows: 12 }}
            maxLength={20000}
            value={newText}
            onChange={(e) => setNewText(e.target.value)}
            placeholder={t("knowledge.chunk.newPlaceholder")}
            data-testid="chunk-add-text"
          />
          <Flex justify="flex-end" gap={8} style={{ marginTop: 8 }}>
            <Button onClick={() => setAdding(false)}>{t("common.cancel")}</Button>
            <Button type="primary" disabled={!newText.trim()} loading={add.isPending} onClick={() => add.mutate(newText)} data-testid="chunk-add-save">
              {t("common.save")}
            </Button>
          </Flex>
        </Card>
      )}
      <Spin spinning={chunks.isFetching && !chunks.isPending && chunks.isPlaceholderData}>
        {chunks.isPending ? (
          <Card loading />
        ) : count === 0 ? (
          <Empty description={t("knowledge.chunk.none")} />
        ) : (
          <Flex vertical gap={8}>
            {(chunks.data?.data ?? []).map((c) => (
              <Card
                key={c.id}
                size="small"
                style={c.enabled ? undefined : { opacity: 0.6 }}
                data-testid={`chunk-${c.ordinal}`}
                title={
                  <Flex align="center" gap={8} style={{ fontWeight: "normal" }}>
                    <Tag style={{ marginInlineEnd: 0 }}>#{c.ordinal + 1}</Tag>
                    {c.section && (
                      <Typography.Text type="secondary" ellipsis style={{ maxWidth: 320, fontSize: 12 }}>
                        § {c.section}
                      </Typography.Text>
                    )}
                    {c.page_start !== null && (
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {c.page_end !== null && c.page_end !== c.page_start
                          ? t("knowledge.hit.pages", { from: c.page_start, to: c.page_end })
                          : t("knowledge.hit.page", { page: c.page_start })}
                      </Typography.Text>
                    )}
                    {c.enabled && !c.embedded && <Tag color="processing">{t("knowledge.chunk.embedding")}</Tag>}
                    {!c.enabled && <Tag>{t("knowledge.chunk.disabled")}</Tag>}
                  </Flex>
                }
                extra={
                  <Flex align="center" gap={8}>
                    {editor && editing !== c.id && (
                      <Tooltip title={t("knowledge.chunk.edit")}>
                        <Button
                          type="text"
                          size="small"
                          icon={<EditOutlined />}
                          aria-label={t("knowledge.chunk.edit")}
                          onClick={() => {
                            setEditing(c.id);
                            setDraft(c.text);
                          }}
                          data-testid={`chunk-edit-${c.ordinal}`}
                        />
                      </Tooltip>
                    )}
                    <Tooltip title={c.enabled ? t("knowledge.chunk.disableTip") : t("knowledge.chunk.enableTip")}>
                      <Switch
                        size="small"
                        checked={c.enabled}
                        disabled={!editor}
                        loading={update.isPending && update.variables?.chunk.id === c.id && update.variables.body.enabled != null}
                        onChange={(enabled) => update.mutate({ chunk: c, body: { enabled } })}
                        data-testid={`chunk-toggle-${c.ordinal}`}
                      />
                    </Tooltip>
                  </Flex>
                }
              >
                {editing === c.id ? (
                  <>
                    <Input.TextArea
                      autoSize={{ minRows: 3, maxRows: 16 }}
                      maxLength={20000}
                      value={draft}
                      onChange={(e) => setDraft(e.target.value)}
                      data-testid="chunk-edit-text"
                    />
                    <Flex justify="space-between" align="center" gap={8} style={{ marginTop: 8 }}>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t("knowledge.chunk.reembedHint")}
                      </Typography.Text>
                      <Flex gap={8}>
                        <Button onClick={() => setEditing(null)}>{t("common.cancel")}</Button>
                        <Button
                          type="primary"
                          disabled={!draft.trim() || draft === c.text}
                          loading={update.isPending}
                          onClick={() => update.mutate({ chunk: c, body: { text: draft } })}
                          data-testid="chunk-edit-save"
                        >
                          {t("common.save")}
                        </Button>
                      </Flex>
                    </Flex>
                  </>
                ) : (
                  <Typography.Paragraph
                    style={{ margin: 0, whiteSpace: "pre-wrap", fontSize: 13 }}
                    ellipsis={{ rows: 6, expandable: "collapsible", symbol: (open) => (open ? t("knowledge.hit.less") : t("knowledge.hit.more")) }}
                    data-testid="chunk-text"
                  >
                    {c.text}
                  </Typography.Paragraph>
                )}
              </Card>
            ))}
          </Flex>
        )}
      </Spin>
      {count > PAGE_SIZE && (
        <Pagination align="end" current={page} pageSize={PAGE_SIZE} total={count} onChange={setPage} showSizeChanger={false} size="small" />
      )}
    </Flex>
  );
}
