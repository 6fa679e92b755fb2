import { CloudUploadOutlined, DeleteOutlined, DownOutlined, PauseCircleOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Descriptions, Dropdown, Flex, Space, Table, Tag, Tooltip, Typography, type ButtonProps } from "antd";
import { ListToolbar } from "../../components/ListToolbar";
import { useState, type HTMLAttributes } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, unwrap, type ModelPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys, useModels } from "../../api/queries";
import { CopyButton } from "../../components/CopyButton";
import { formatBytes, formatDateTime, formatNumber, formatParams, formatUptime } from "../../components/format";
import { useWorkspace } from "../../components/workspace";
import { DeployModal } from "./DeployModal";
import { ImportModal } from "./ImportModal";
import { LogsDrawer } from "./LogsDrawer";
import { PrefixCache } from "./PrefixCache";
import { InstanceStatusTag, instancesOf, ModelStatus, stateOf, type ModelInstance } from "./modelStatus";

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const KIND_COLORS: Record<string, string> = { chat: "blue", embedding: "purple" };

function KindTag({ kind }: { kind: string }) {
  const { t } = useTranslation();
  const known = kind === "chat" || kind === "embedding";
  return <Tag color={KIND_COLORS[kind] ?? "default"}>{known ? t(`models.kind.${kind}`) : kind}</Tag>;
}

/** gguf names file types like "MOSTLY_Q4_K_M" or "ALL_F32"; people say "Q4_K_M" and "F32". */
function quantLabel(q: string): string {
  return q.replace(/^(MOSTLY|ALL)_/, "");
}

function sourceLabel(source: string, t: TFunction): string {
  return source === "bundled" || source === "path" || source === "upload" ? t(`models.source.${source}`) : source;
}

/** What a row unfolds into: the file, and each worker process of the deployment. */
function ModelDetails({ model }: { model: ModelPublic }) {
  const { t } = useTranslation();
  const d = model.deployment;
  const instances = instancesOf(d);
  return (
    <Flex vertical gap={16} style={{ padding: "4px 8px 8px" }} data-testid={`model-details-${model.name}`}>
      <Descriptions
        size="small"
        column={{ xs: 1, md: 2, xl: 3 }}
        items={[
          { key: "arch", label: t("models.details.architecture"), children: model.architecture || "—" },
          { key: "source", label: t("models.details.source"), children: sourceLabel(model.source, t) },
          { key: "trained", label: t("models.details.trainedContext"), children: formatNumber(model.context_length) },
          ...(model.kind === "embedding"
            ? [{ key: "dims", label: t("models.details.embeddingLength"), children: formatNumber(model.embedding_length) }]
            : [{ key: "template", label: t("models.details.chatTemplate"), children: model.has_chat_template ? t("models.details.yes") : t("models.details.no") }]),
          { key: "created", label: t("common.createdAt"), children: formatDateTime(model.created_at) },
          ...(d
            ? [
                {
                  key: "spec",
                  label: t("models.details.deployment"),
                  children: [
                    t("models.details.spec", {
                      ctx: formatNumber(d.context_size),
                      parallel: d.parallel,
                      threads: d.threads,
                      gpu: d.gpu_layers,
                      replicas: d.replicas,
                    }),
                    ...(model.kind === "chat" ? [t("models.details.specPinned", { n: d.pinned_prefixes ?? 0 })] : []),
                  ].join(" · "),
                },
              ]
            : []),
          {
            key: "path",
            label: t("models.details.path"),
            span: "filled" as const,
            children: (
              <Typography.Text style={{ fontFamily: MONO, fontSize: 12 }} copyable={{ text: model.path }}>
                {model.path}
              </Typography.Text>
            ),
          },
          {
            key: "sha",
            label: "SHA-256",
            span: "filled" as const,
            children: <Typography.Text style={{ fontFamily: MONO, fontSize: 12 }}>{model.sha256}</Typography.Text>,
          },
        ]}
      />
      <PrefixCache model={model} />
      {instances.length > 0 && (
        <Table<ModelInstance>
          size="small"
          rowKey="index"
          pagination={false}
          dataSource={instances}
          data-testid="model-instances"
          columns={[
            { title: t("models.instance.index"), dataIndex: "index", width: 80, render: (i: number) => `#${i}` },
            { title: t("common.status"), dataIndex: "status", width: 120, render: (s: string) => <InstanceStatusTag status={s} /> },
            { title: "PID", dataIndex: "pid", width: 100, render: (pid: number | null) => pid ?? "—" },
            { title: t("models.instance.uptime"), dataIndex: "uptime_s", width: 120, render: (s: number | null) => (s === null ? "—" : formatUptime(s)) },
            { title: t("models.instance.inFlight"), dataIndex: "in_flight", width: 120 },
            { title: t("models.instance.restarts"), dataIndex: "restarts", width: 100 },
            {
              title: t("models.instance.lastError"),
              dataIndex: "last_error",
              render: (e: string | null) =>
                e ? (
                  <Typography.Paragraph
                    type="danger"
                    style={{ margin: 0, fontFamily: MONO, fontSize: 12, whiteSpace: "pre-wrap" }}
                    ellipsis={{ rows: 2, expandable: true, symbol: t("models.instance.more") }}
                  >
                    {e}
                  </Typography.Paragraph>
                ) : (
                  "—"
                ),
            },
          ]}
        />
      )}
    </Flex>
  );
}

export function ModelListPage() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { me } = useWorkspace();
  const admin = me.user.is_superuser;
  const [importing, setImporting] = useState(false);
  const [deploying, setDeploying] = useState<ModelPublic | null>(null);
  const [logsOf, setLogsOf] = useState<ModelPublic | null>(null);
  const models = useModels();
  const onError = (err: unknown) => void message.error(errorMessage(err, t));
  const refresh = () => void queryClient.invalidateQueries({ queryKey: queryKeys.models });

  const stop = useMutation({
    mutationFn: (m: ModelPublic) => unwrap(api.POST("/api/models/{model_id}/stop", { params: { path: { model_id: m.id } } })),
    onSuccess: (m) => {
      void message.success(t("models.stoppedOk", { name: m.name }));
      refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (m: ModelPublic) => unwrap(api.DELETE("/api/models/{model_id}", { params: { path: { model_id: m.id } } })),
    onSuccess: (_, m) => {
      void message.success(t("models.deletedOk", { name: m.name }));
      refresh();
    },
    onError,
  });

  const confirmStop = (m: ModelPublic) =>
    void modal.confirm({
      title: t("models.confirmStop", { name: m.name }),
      content: t("models.stopWarning"),
      okText: t("models.stop"),
      okButtonProps: { danger: true, "data-testid": "model-stop-confirm" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: () => stop.mutateAsync(m).catch(() => undefined),
    });
  const confirmDelete = (m: ModelPublic) =>
    void modal.confirm({
      title: t("models.confirmDelete", { name: m.name }),
      content: m.source === "upload" ? t("models.deleteWarningUpload") : t("models.deleteWarningPath"),
      okText: t("common.delete"),
      okButtonProps: { danger: true, "data-testid": "model-delete-confirm" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: () => remove.mutateAsync(m).catch(() => undefined),
    });

  if (models.isError) return <Alert type="error" showIcon title={errorMessage(models.error, t)} />;
  const list = models.data?.data;

  return (
    <>
      <ListToolbar
        hint={admin ? t("models.listHint") : t("models.adminsOnly")}
        onRefresh={() => void models.refetch()}
        refreshing={models.isFetching && !models.isPending}
        refreshTestId="models-refresh"
        action={admin && { label: t("models.import"), icon: <CloudUploadOutlined />, onClick: () => setImporting(true), testId: "model-import" }}
      />
      <Table<ModelPublic>
        rowKey="id"
        loading={models.isPending}
        dataSource={list}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        scroll={{ x: "max-content" }}
        data-testid="model-table"
        locale={{ emptyText: admin ? t("models.empty") : t("models.emptyNoAdmin") }}
        expandable={{ expandedRowRender: (m) => <ModelDetails model={m} />, columnWidth: 40 }}
        onRow={(m) => ({ "data-testid": `model-row-${m.name}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("models.columns.name"),
            key: "name",
            render: (_, m) => (
              <Flex vertical gap={0}>
                <Flex align="center" gap={2}>
                  <Typography.Text strong style={{ fontFamily: MONO }} data-testid="model-name">
                    {m.name}
                  </Typography.Text>
                  <CopyButton text={m.name} label={t("models.copyName")} testId={`model-copy-${m.name}`} />
                </Flex>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {[m.architecture, sourceLabel(m.source, t)].filter(Boolean).join(" · ")}
                </Typography.Text>
              </Flex>
            ),
          },
          { title: t("models.columns.kind"), key: "kind", render: (_, m) => <KindTag kind={m.kind} /> },
          {
            title: t("models.columns.size"),
            key: "size",
            render: (_, m) => (
              <Flex vertical gap={2}>
                <Flex align="center" gap={6}>
                  <Tooltip title={t("models.columns.paramsTip", { n: formatNumber(m.parameter_count) })}>
                    <span data-testid="model-params">{formatParams(m.parameter_count)}</span>
                  </Tooltip>
                  {m.quantization && (
                    <Tooltip title={t("models.columns.quantization")}>
                      <Tag style={{ fontFamily: MONO, marginInlineEnd: 0, fontSize: 11, lineHeight: "18px" }}>{quantLabel(m.quantization)}</Tag>
                    </Tooltip>
                  )}
                </Flex>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {formatBytes(m.size_bytes)}
                </Typography.Text>
              </Flex>
            ),
          },
          {
            title: (
              <Tooltip title={t("models.columns.contextHint")}>
                <span style={{ cursor: "help", borderBottom: "1px dotted" }}>{t("models.columns.context")}</span>
              </Tooltip>
            ),
            key: "context",
            align: "right",
            render: (_, m) =>
              m.deployment ? (
                <Tooltip title={t("models.contextOf", { deployed: formatNumber(m.deployment.context_size), trained: formatNumber(m.context_length) })}>
                  <span>{formatNumber(m.deployment.context_size)}</span>
                </Tooltip>
              ) : (
                <Typography.Text type="secondary">{formatNumber(m.context_length)}</Typography.Text>
              ),
          },
          { title: t("common.status"), key: "status", render: (_, m) => <ModelStatus model={m} /> },
          {
            title: t("common.actions"),
            key: "actions",
            fixed: "right",
            render: (_, m) => {
              const state = stateOf(m);
              const up = state === "ready" || state === "starting" || state === "failed";
              return (
                <Space size={0} wrap={false}>
                  {m.kind === "chat" && (
                    <Tooltip title={state === "ready" ? undefined : t("models.tryNeedsReady")}>
                      <Button
                        type="link"
                        size="small"
                        disabled={state !== "ready"}
                        onClick={() => navigate(`/models/playground?model=${encodeURIComponent(m.name)}`)}
                        data-testid={`model-try-${m.name}`}
                      >
                        {t("models.try")}
                      </Button>
                    </Tooltip>
                  )}
                  {admin && (
                    <Button type="link" size="small" onClick={() => setDeploying(m)} data-testid={`model-deploy-${m.name}`}>
                      {up ? t("models.redeploy") : t("models.deploy")}
                    </Button>
                  )}
                  <Button type="link" size="small" onClick={() => setLogsOf(m)} data-testid={`model-logs-${m.name}`}>
                    {t("models.logs")}
                  </Button>
                  {admin && (
                    <Dropdown
                      trigger={["click"]}
                      placement="bottomRight"
                      menu={{
                        items: [
                          {
                            key: "stop",
                            icon: <PauseCircleOutlined />,
                            disabled: !up,
                            label: <span data-testid={`model-stop-${m.name}`}>{t("models.stop")}</span>,
                          },
                          { type: "divider" },
                          {
                            key: "delete",
                            icon: <DeleteOutlined />,
                            danger: true,
                            label: <span data-testid={`model-delete-${m.name}`}>{t("common.delete")}</span>,
                          },
                        ],
                        onClick: ({ key }) => (key === "stop" ? confirmStop(m) : confirmDelete(m)),
                      }}
                    >
                      <Button type="link" size="small" data-testid={`model-more-${m.name}`}>
                        {t("models.more")} <DownOutlined style={{ fontSize: 10 }} />
                      </Button>
                    </Dropdown>
                  )}
                </Space>
              );
            },
          },
        ]}
      />

      <ImportModal open={importing} onClose={() => setImporting(false)} onImported={(m) => setDeploying(m)} />
      <DeployModal model={deploying} onClose={() => setDeploying(null)} />
      <LogsDrawer model={logsOf} onClose={() => setLogsOf(null)} />
    </>
  );
}
