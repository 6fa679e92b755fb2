import { ArrowLeftOutlined, DeleteOutlined, PlusOutlined, RedoOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Descriptions, Result, Space, Table, Tabs, Tag, Tooltip, Typography, type ButtonProps } from "antd";
import { ListToolbar } from "../../components/ListToolbar";
import { useEffect, useState, type HTMLAttributes } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";
import { api, unwrap, type DocumentPublic, type KnowledgeBasePublic, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { formatBytes, formatDateTime, formatNumber } from "../../components/format";
import { PageHeader } from "../../components/PageHeader";
import { useWorkspace } from "../../components/workspace";
import { AddDocumentsModal } from "./AddDocumentsModal";
import { ChunksDrawer } from "./ChunksDrawer";
import { DocumentMetadataModal } from "./DocumentMetadataModal";
import { DocumentStatus, isSettled } from "./documentStatus";
import { HitTesting } from "./HitTesting";
import { KnowledgeBaseSettings } from "./KnowledgeBaseSettings";
import { canEditKnowledge, MONO, useKnowledgeBases } from "./KnowledgeListPage";

/** While the worker is on a document, the list is re-read at this pace. */
const POLL_MS = 2000;

const TABS = ["documents", "hit-testing"] as const;
type Tab = (typeof TABS)[number];

export function KnowledgeBasePage() {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  if (workspace === null) return <Alert type="info" showIcon title={t("workspace.none")} />;
  return <KnowledgeBaseDetail workspace={workspace} key={workspace.id} />;
}

function chunkingLabel(chunking: Record<string, unknown>, t: TFunction): string {
  const mode = String(chunking.mode ?? "automatic");
  const known = mode === "automatic" || mode === "custom" || mode === "parent_child";
  const sep = typeof chunking.separator === "string" ? JSON.stringify(chunking.separator).slice(1, -1) : null;
  const parts = [
    known ? t(`knowledge.chunkingMode.${mode}`) : mode,
    ...(mode === "custom" && sep !== null ? [`${t("knowledge.separator")} "${sep}"`] : []),
    ...(typeof chunking.max_tokens === "number" ? [t("knowledge.maxTokensValue", { n: chunking.max_tokens })] : []),
    ...(typeof chunking.overlap_tokens === "number" ? [t("knowledge.overlapValue", { n: chunking.overlap_tokens })] : []),
  ];
  return parts.join(" · ");
}

function KnowledgeBaseDetail({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { kbId = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const tab: Tab = search.get("tab") === "hit-testing" ? "hit-testing" : "documents";
  const [pollKbs, setPollKbs] = useState(false);
  const kbs = useKnowledgeBases(workspace, pollKbs ? POLL_MS : false);
  const kb = kbs.data?.data.find((k) => k.id === kbId);

  const back = (
    <Link to="/knowledge" data-testid="kb-back">
      <ArrowLeftOutlined /> {t("knowledge.backToList")}
    </Link>
  );
  if (kbs.isError) return <Alert type="error" showIcon title={errorMessage(kbs.error, t)} />;
  if (kbs.isPending) return <Card loading />;
  if (!kb) {
    return (
      <Card>
        <Result status="404" title={t("knowledge.notFound")} subTitle={t("knowledge.notFoundHint", { workspace: workspace.name })} extra={back} />
      </Card>
    );
  }

  return (
    <>
      <div style={{ marginBottom: 8 }}>{back}</div>
      <PageHeader
        title={<span data-testid="kb-title">{kb.name}</span>}
        description={kb.description || undefined}
        extra={<KnowledgeBaseSettings workspace={workspace} kb={kb} />}
      />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2, xl: 4 }}
          items={[
            {
              key: "model",
              label: t("knowledge.embeddingModel"),
              children: (
                <Typography.Text style={{ fontFamily: MONO }}>
                  {kb.embedding_model} <Typography.Text type="secondary">({t("knowledge.dims", { dims: kb.dims })})</Typography.Text>
                </Typography.Text>
              ),
            },
            { key: "chunking", label: t("knowledge.chunking"), children: chunkingLabel(kb.chunking, t) },
            {
              key: "counts",
              label: t("knowledge.contents"),
              children: (
                <span data-testid="kb-counts">
                  {t("knowledge.countsValue", { documents: formatNumber(kb.documents), chunks: formatNumber(kb.chunks) })}
                </span>
              ),
            },
            { key: "created", label: t("common.createdAt"), children: formatDateTime(kb.created_at) },
          ]}
        />
      </Card>
      <Card styles={{ body: { paddingTop: 4 } }}>
        <Tabs
          activeKey={tab}
          onChange={(key) => setSearch(key === "documents" ? {} : { tab: key }, { replace: true })}
          items={TABS.map((k) => ({
            key: k,
            label: <span data-testid={`kb-tab-${k}`}>{t(k === "documents" ? "knowledge.tabs.documents" : "knowledge.tabs.hitTesting")}</span>,
          }))}
        />
        {tab === "documents" ? (
          <DocumentsTable workspace={workspace} kb={kb} onBusy={setPollKbs} />
        ) : (
          <HitTesting workspace={workspace} kb={kb} />
        )}
      </Card>
    </>
  );
}

function DocumentsTable({
  workspace,
  kb,
  onBusy,
}: {
  workspace: WorkspaceRef;
  kb: KnowledgeBasePublic;
  onBusy: (busy: boolean) => void;
}) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  const editor = canEditKnowledge(workspace);
  const [adding, setAdding] = useState(false);
  const [chunksOf, setChunksOf] = useState<DocumentPublic | null>(null);
  const [metadataOf, setMetadataOf] = useState<DocumentPublic | null>(null);
  const path = { workspace_id: workspace.id, kb_id: kb.id };
  const key = queryKeys.documents(workspace.id, kb.id);

  const docs = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents", { params: { path } })),
    refetchInterval: (query) => ((query.state.data?.data ?? []).some((d) => !isSettled(d)) ? POLL_MS : false),
  });
  // The knowledge base's counts follow the documents while the worker is on them.
  const busy = (docs.data?.data ?? []).some((d) => !isSettled(d));
  useEffect(() => {
    onBusy(busy);
    if (!busy) void queryClient.invalidateQueries({ queryKey: queryKeys.knowledgeBases(workspace.id) });
  }, [busy, onBusy, queryClient, workspace.id]);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: key });
    void queryClient.invalidateQueries({ queryKey: queryKeys.knowledgeBases(workspace.id) });
  };

  const remove = useMutation({
    mutationFn: (d: DocumentPublic) =>
      unwrap(
        api.DELETE("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/{doc_id}", {
          params: { path: { ...path, doc_id: d.id } },
        }),
      ),
    onSuccess: (_, d) => {
      void message.success(t("knowledge.docDeleted", { name: d.name }));
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  // A failed document queued again (its model deployed again, OCR turned on…); it resumes where it stopped.
  const retry = useMutation({
    mutationFn: (d: DocumentPublic) =>
      unwrap(
        api.POST("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/{doc_id}/retry", {
          params: { path: { ...path, doc_id: d.id } },
        }),
      ),
    onSuccess: (_, d) => {
      void message.success(t("knowledge.docRetried", { name: d.name }));
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const confirmDelete = (d: DocumentPublic) =>
    void modal.confirm({
      title: t("knowledge.confirmDeleteDoc", { name: d.name }),
      content: t("knowledge.deleteDocWarning", { chunks: d.chunks_total }),
      okText: t("common.delete"),
      okButtonProps: { danger: true, "data-testid": "doc-delete-confirm" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: () => remove.mutateAsync(d).catch(() => undefined),
    });

  if (docs.isError) return <Alert type="error" showIcon title={errorMessage(docs.error, t)} />;

  return (
    <>
      <ListToolbar
        hint={editor ? t("knowledge.docsHint") : t("knowledge.readOnly", { workspace: workspace.name })}
        onRefresh={() => void docs.refetch()}
        refreshing={docs.isFetching && !docs.isPending}
        refreshTestId="docs-refresh"
        action={editor && { label: t("knowledge.add.button"), icon: <PlusOutlined />, onClick: () => setAdding(true), testId: "docs-add" }}
      />
      <Table<DocumentPublic>
        rowKey="id"
        loading={docs.isPending}
        dataSource={docs.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 50 }}
        scroll={{ x: "max-content" }}
        data-testid="doc-table"
        locale={{ emptyText: editor ? t("knowledge.noDocs") : t("knowledge.noDocsReadOnly") }}
        onRow={(d) => ({ "data-testid": `doc-row-${d.name}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("knowledge.docName"),
            key: "name",
            render: (_, d) => (
              <Typography.Link onClick={() => setChunksOf(d)} style={{ maxWidth: 420 }} ellipsis data-testid={`doc-open-${d.name}`}>
                {d.name}
              </Typography.Link>
            ),
          },
          {
            title: t("knowledge.source"),
            key: "source",
            render: (_, d) => (
              <span data-testid="doc-source" data-source={d.source}>
                <Tag>{t(`knowledge.sources.${d.source as "upload" | "text" | "url" | "qa"}`, { defaultValue: d.source })}</Tag>
                {d.source_url && (
                  <Typography.Link href={d.source_url} target="_blank" rel="noreferrer noopener" ellipsis style={{ maxWidth: 220 }} data-testid="doc-source-url">
                    {d.source_url}
                  </Typography.Link>
                )}
              </span>
            ),
          },
          {
            title: t("knowledge.metadata.column"),
            key: "metadata",
            render: (_, d) => {
              const entries = Object.entries(d.metadata ?? {});
              return (
                <span data-testid="doc-metadata">
                  {entries.slice(0, 3).map(([k, v]) => (
                    <Tag key={k} style={{ marginInlineEnd: 4 }}>
                      {k}: {String(v)}
                    </Tag>
                  ))}
                  {entries.length > 3 && (
                    <Tooltip title={entries.slice(3).map(([k, v]) => `${k}: ${String(v)}`).join(", ")}>
                      <Tag>+{entries.length - 3}</Tag>
                    </Tooltip>
                  )}
                </span>
              );
            },
          },
          { title: t("knowledge.size"), key: "size", align: "right", render: (_, d) => formatBytes(d.size_bytes) },
          { title: t("common.status"), key: "status", render: (_, d) => <DocumentStatus doc={d} /> },
          {
            title: t("knowledge.chunks"),
            key: "chunks",
            align: "right",
            render: (_, d) => <span data-testid="doc-chunks">{formatNumber(d.chunks_total)}</span>,
          },
          { title: t("knowledge.updated"), key: "updated", render: (_, d) => formatDateTime(d.updated_at) },
          {
            title: t("common.actions"),
            key: "actions",
            fixed: "right",
            render: (_, d) => (
              <Space size={0} wrap={false}>
                <Button type="link" size="small" onClick={() => setChunksOf(d)} data-testid={`doc-chunks-${d.name}`}>
                  {t("knowledge.viewChunks")}
                </Button>
                <Button type="link" size="small" onClick={() => setMetadataOf(d)} data-testid={`doc-metadata-${d.name}`}>
                  {t("knowledge.metadata.edit")}
                </Button>
                {editor && d.status === "failed" && (
                  <Button
                    type="link"
                    size="small"
                    icon={<RedoOutlined />}
                    loading={retry.isPending && retry.variables?.id === d.id}
                    onClick={() => retry.mutate(d)}
                    data-testid={`doc-retry-${d.name}`}
                  >
                    {t("common.retry")}
                  </Button>
                )}
                {editor && (
                  <Button
                    type="link"
                    size="small"
                    danger
                    icon={<DeleteOutlined />}
                    onClick={() => confirmDelete(d)}
                    data-testid={`doc-delete-${d.name}`}
                  >
                    {t("common.delete")}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <AddDocumentsModal workspace={workspace} kb={kb} open={adding} onClose={() => setAdding(false)} />
      <ChunksDrawer workspace={workspace} kb={kb} doc={chunksOf} editor={editor} onClose={() => setChunksOf(null)} />
      <DocumentMetadataModal workspace={workspace} kbId={kb.id} doc={metadataOf} editor={editor} onClose={() => setMetadataOf(null)} />
    </>
  );
}
