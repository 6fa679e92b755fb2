import { DeleteOutlined, EditOutlined, PlusOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Flex, Input, Popconfirm, Slider, Space, Switch, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { request } from "../../api/agents";
import { appKeys, appPaths, useAnnotationReply, useAnnotations, type AnnotationPublic, type AnnotationSetting } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import { formatDateTime } from "../../components/format";
import { useDebounced } from "../../components/useDebounced";
import { AnnotationModal, type AnnotationDraft } from "./AnnotationModal";
import type { AppPaneProps } from "./types";

const PAGE_SIZE = 20;

/** The owner's ideal answers, and whether (and from what similarity) they answer instead of the model. */
export function AppAnnotations({ workspace, app, editor }: AppPaneProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [draft, setDraft] = useState<AnnotationDraft | null>(null);
  const query = useDebounced(q.trim(), 300);
  const list = useAnnotations(workspace.id, app.id, { q: query || undefined, page, limit: PAGE_SIZE });
  const setting = useAnnotationReply(workspace.id, app.id);
  const [threshold, setThreshold] = useState<number | null>(null);
  const paths = appPaths(workspace.id, app.id);

  const saveSetting = useMutation({
    mutationFn: (body: Partial<AnnotationSetting>) => request<AnnotationSetting>("PATCH", paths.annotationReply, body),
    onSuccess: (s) => {
      queryClient.setQueryData(appKeys.annotationReply(workspace.id, app.id), s);
      setThreshold(null);
      void message.success(t("common.saved"));
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const remove = useMutation({
    mutationFn: (a: AnnotationPublic) => request<void>("DELETE", paths.annotation(a.id)),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["workspaces", workspace.id, "apps", app.id, "annotations"] }),
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const s = setting.data;
  return (
    <Flex vertical gap={16}>
      <Card size="small" title={t("apps.annotations.reply")} data-testid="annotation-reply">
        {setting.isError ? (
          <Alert type="error" showIcon title={errorMessage(setting.error, t)} />
        ) : (
          <Flex vertical gap={12}>
            <Typography.Text type="secondary">{t("apps.annotations.replyHint")}</Typography.Text>
            <Flex gap={24} wrap align="center">
              <Space>
                <Switch checked={s?.enabled ?? false} disabled={!editor || !s} loading={saveSetting.isPending} onChange={(on) => saveSetting.mutate({ enabled: on })} data-testid="annotation-reply-enabled" />
                <span>{t("apps.annotations.replyOn")}</span>
              </Space>
              <Flex gap={12} align="center" style={{ minWidth: 320, flex: 1 }}>
                <span style={{ whiteSpace: "nowrap" }}>{t("apps.annotations.threshold")}</span>
                <Slider
                  style={{ flex: 1 }}
                  min={0.5}
                  max={1}
                  step={0.01}
                  disabled={!editor || !s}
                  value={threshold ?? s?.score_threshold ?? 0.9}
                  onChange={setThreshold}
                  onChangeComplete={(v: number) => saveSetting.mutate({ score_threshold: v })}
                  data-testid="annotation-threshold"
                />
                <Tag>{(threshold ?? s?.score_threshold ?? 0.9).toFixed(2)}</Tag>
              </Flex>
            </Flex>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t("apps.annotations.model", { model: s?.embedding_model ?? "—" })}
            </Typography.Text>
          </Flex>
        )}
      </Card>
      <Flex justify="space-between" gap={8} wrap>
        <Input.Search allowClear placeholder={t("apps.annotations.search")} value={q} onChange={(e) => { setQ(e.target.value); setPage(1); }} style={{ width: 280 }} />
        {editor && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setDraft({ question: "", answer: "" })} data-testid="annotation-add">
            {t("apps.annotations.add")}
          </Button>
        )}
      </Flex>
      <Table<AnnotationPublic>
        rowKey="id"
        size="middle"
        loading={list.isPending}
        dataSource={list.data?.data ?? []}
        locale={{ emptyText: t("apps.annotations.empty") }}
        pagination={{ current: page, pageSize: PAGE_SIZE, total: list.data?.count ?? 0, onChange: setPage, hideOnSinglePage: true }}
        data-testid="annotation-list"
        columns={[
          { title: t("apps.annotations.question"), key: "q", render: (_, a) => <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ margin: 0 }}>{a.question}</Typography.Paragraph> },
          { title: t("apps.annotations.answer"), key: "a", render: (_, a) => <Typography.Paragraph ellipsis={{ rows: 2 }} type="secondary" style={{ margin: 0 }}>{a.answer}</Typography.Paragraph> },
          { title: t("apps.annotations.hits"), key: "hits", width: 90, align: "right", render: (_, a) => a.hits },
          { title: t("apps.annotations.by"), key: "by", width: 120, render: (_, a) => a.created_by ?? "—" },
          { title: t("common.updatedAt"), key: "at", width: 180, render: (_, a) => formatDateTime(a.updated_at) },
          ...(editor
            ? [
                {
                  title: t("common.actions"),
                  key: "actions",
                  width: 110,
                  render: (_: unknown, a: AnnotationPublic) => (
                    <Space>
                      <Button size="small" type="text" icon={<EditOutlined />} aria-label={t("apps.annotations.edit")} onClick={() => setDraft({ id: a.id, question: a.question, answer: a.answer })} />
                      <Popconfirm title={t("apps.annotations.confirmDelete")} onConfirm={() => remove.mutateAsync(a)} okText={t("common.delete")} cancelText={t("common.cancel")} okButtonProps={{ danger: true }}>
                        <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t("common.delete")} />
                      </Popconfirm>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      <AnnotationModal workspace={workspace} app={app} draft={draft} onClose={() => setDraft(null)} />
    </Flex>
  );
}
