import { DislikeOutlined, DownloadOutlined, LikeOutlined, ReloadOutlined } from "@ant-design/icons";
import { Alert, Button, Collapse, DatePicker, Descriptions, Drawer, Empty, Flex, Input, Select, Space, Table, Tag, Tooltip, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { appPaths, logQuery, useLog, useLogs, type LogConversation, type LogMessage, type LogParams } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import { formatDateTime, formatNumber } from "../../components/format";
import { useDebounced } from "../../components/useDebounced";
import { AnnotationModal, type AnnotationDraft } from "./AnnotationModal";
import type { AppPaneProps } from "./types";

const PAGE_SIZE = 20;

export function Feedback({ likes, dislikes }: { likes: number; dislikes: number }) {
  if (!likes && !dislikes) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <Space size={8}>
      {likes > 0 && (
        <span style={{ color: "#52c41a" }}>
          <LikeOutlined /> {likes}
        </span>
      )}
      {dislikes > 0 && (
        <span style={{ color: "#ff4d4f" }}>
          <DislikeOutlined /> {dislikes}
        </span>
      )}
    </Space>
  );
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

/** The app's conversations: who asked, what it cost, how it was received; one opens in full. */
export function AppLogs({ workspace, app, editor }: AppPaneProps) {
  const { t } = useTranslation();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [endUser, setEndUser] = useState("");
  const [rating, setRating] = useState<LogParams["rating"]>();
  const [text, setText] = useState("");
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const filters = {
    start: range?.[0]?.format("YYYY-MM-DD"),
    end: range?.[1]?.format("YYYY-MM-DD"),
    end_user: useDebounced(endUser.trim(), 300) || undefined,
    rating,
    q: useDebounced(text.trim(), 300) || undefined,
  };
  const logs = useLogs(workspace.id, app.id, { ...filters, page, limit: PAGE_SIZE });
  const filter = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setPage(1);
  };

  return (
    <>
      <Flex gap={8} wrap style={{ marginBottom: 16 }} align="center">
        <DatePicker.RangePicker value={range} onChange={filter((v) => setRange(v as [Dayjs | null, Dayjs | null] | null))} allowEmpty={[true, true]} data-testid="logs-range" />
        <Input allowClear placeholder={t("apps.logs.endUser")} value={endUser} onChange={(e) => filter(setEndUser)(e.target.value)} style={{ width: 150 }} data-testid="logs-end-user" />
        <Select
          allowClear
          placeholder={t("apps.logs.feedback")}
          value={rating}
          onChange={filter(setRating)}
          style={{ width: 130 }}
          data-testid="logs-rating"
          options={(["like", "dislike", "any", "none"] as const).map((r) => ({ value: r, label: t(`apps.logs.ratings.${r}`) }))}
        />
        <Input.Search allowClear placeholder={t("apps.logs.search")} value={text} onChange={(e) => filter(setText)(e.target.value)} style={{ width: 220 }} data-testid="logs-search" />
        <Tooltip title={t("common.refresh")}>
          <Button icon={<ReloadOutlined />} onClick={() => void logs.refetch()} aria-label={t("common.refresh")} data-testid="logs-refresh" />
        </Tooltip>
        <Button icon={<DownloadOutlined />} href={`${appPaths(workspace.id, app.id).logsCsv}${logQuery(filters)}`} download data-testid="logs-export">
          {t("apps.logs.export")}
        </Button>
      </Flex>
      {logs.isError ? (
        <Alert type="error" showIcon title={errorMessage(logs.error, t)} />
      ) : (
        <Table<LogConversation>
          rowKey="id"
          size="middle"
          loading={logs.isFetching && !logs.data}
          dataSource={logs.data?.data ?? []}
          locale={{ emptyText: <Empty description={t("apps.logs.empty")} /> }}
          pagination={{ current: page, pageSize: PAGE_SIZE, total: logs.data?.count ?? 0, onChange: setPage, showSizeChanger: false, showTotal: (n) => t("apps.logs.total", { count: n }) }}
          onRow={(c) => ({ onClick: () => setOpen(c.id), style: { cursor: "pointer" } })}
          data-testid="logs-table"
          columns={[
            { title: t("apps.logs.time"), key: "time", width: 180, render: (_, c) => formatDateTime(c.updated_at) },
            { title: t("apps.logs.endUser"), key: "user", width: 140, render: (_, c) => <Typography.Text data-testid="logs-row-user">{c.end_user ?? "—"}</Typography.Text> },
            {
              title: t("apps.logs.title"),
              key: "title",
              ellipsis: true,
              render: (_, c) => (
                <Space size={4}>
                  <span>{c.title || "—"}</span>
                  {c.annotated > 0 && <Tag color="purple" bordered={false}>{t("apps.logs.annotatedTag")}</Tag>}
                </Space>
              ),
            },
            { title: t("apps.logs.messages"), key: "messages", width: 90, align: "right", render: (_, c) => c.messages },
            { title: t("apps.logs.tokens"), key: "tokens", width: 100, align: "right", render: (_, c) => formatNumber(c.total_tokens) },
            { title: t("apps.logs.latency"), key: "latency", width: 110, align: "right", render: (_, c) => ms(c.mean_latency_ms) },
            { title: t("apps.logs.feedback"), key: "feedback", width: 110, render: (_, c) => <Feedback likes={c.likes} dislikes={c.dislikes} /> },
          ]}
        />
      )}
      <LogDrawer workspace={workspace} app={app} editor={editor} conversation={open} onClose={() => setOpen(null)} />
    </>
  );
}

function LogDrawer({ workspace, app, editor, conversation, onClose }: AppPaneProps & { conversation: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const detail = useLog(workspace.id, app.id, conversation);
  const [draft, setDraft] = useState<AnnotationDraft | null>(null);
  const d = detail.data;
  const byId = new Map((d?.thread ?? []).map((m) => [m.id, m]));
  return (
    <Drawer open={conversation !== null} onClose={onClose} size="large" title={d?.title || t("apps.logs.conversation")} destroyOnHidden data-testid="log-drawer">
      {detail.isError && <Alert type="error" showIcon title={errorMessage(detail.error, t)} />}
      {d && (
        <Flex vertical gap={16}>
          <Descriptions size="small" column={2} bordered>
            <Descriptions.Item label={t("apps.logs.endUser")}>{d.end_user ?? "—"}</Descriptions.Item>
            <Descriptions.Item label={t("apps.logs.version")}>v{d.agent_version ?? "—"}</Descriptions.Item>
            <Descriptions.Item label={t("apps.logs.tokens")}>{formatNumber(d.total_tokens)}</Descriptions.Item>
            <Descriptions.Item label={t("apps.logs.latency")}>{ms(d.mean_latency_ms)}</Descriptions.Item>
            <Descriptions.Item label={t("common.createdAt")}>{formatDateTime(d.created_at)}</Descriptions.Item>
            <Descriptions.Item label={t("apps.logs.feedback")}>
              <Feedback likes={d.likes} dislikes={d.dislikes} />
            </Descriptions.Item>
          </Descriptions>
          {d.thread.map((m) =>
            m.role === "user" ? (
              <div key={m.id} data-testid="log-question" style={{ alignSelf: "flex-end", maxWidth: "85%", background: "#e6f4ff", borderRadius: 8, padding: "8px 12px", whiteSpace: "pre-wrap" }}>
                {m.content}
              </div>
            ) : (
              <LogAnswer
                key={m.id}
                message={m}
                editor={editor}
                onAnnotate={() => setDraft({ message_id: m.id, question: (m.parent_id && byId.get(m.parent_id)?.content) || "", answer: m.content })}
              />
            ),
          )}
        </Flex>
      )}
      <AnnotationModal workspace={workspace} app={app} draft={draft} onClose={() => setDraft(null)} />
    </Drawer>
  );
}

function LogAnswer({ message: m, editor, onAnnotate }: { message: LogMessage; editor: boolean; onAnnotate: () => void }) {
  const { t } = useTranslation();
  const extra = [
    ...(m.steps.length
      ? [
          {
            key: "steps",
            label: t("apps.logs.steps", { count: m.steps.length }),
            children: (
              <Flex vertical gap={8}>
                {m.steps.map((s, i) => (
                  <div key={i}>
                    <Typography.Text strong>{String(s.tool)}</Typography.Text>{" "}
                    <Typography.Text type="secondary">{ms(s.elapsed_ms as number | null)}</Typography.Text>
                    <pre style={{ margin: "4px 0 0", fontSize: 12, whiteSpace: "pre-wrap", wordBreak: "break-all" }}>{JSON.stringify(s.arguments)}</pre>
                    <Typography.Paragraph type={s.error ? "danger" : "secondary"} ellipsis={{ rows: 3, expandable: true }} style={{ margin: 0, fontSize: 12 }}>
                      {String(s.error ?? s.result ?? "")}
                    </Typography.Paragraph>
                  </div>
                ))}
              </Flex>
            ),
          },
        ]
      : []),
    ...(m.citations.length
      ? [
          {
            key: "citations",
            label: t("apps.logs.citations", { count: m.citations.length }),
            children: (
              <Flex vertical gap={8}>
                {m.citations.map((c, i) => (
                  <div key={i}>
                    <Typography.Text strong>
                      [{String(c.n ?? i + 1)}] {String(c.document_name ?? "")}
                    </Typography.Text>{" "}
                    <Typography.Text type="secondary">{typeof c.score === "number" ? c.score.toFixed(3) : ""}</Typography.Text>
                    <Typography.Paragraph type="secondary" ellipsis={{ rows: 2, expandable: true }} style={{ margin: 0, fontSize: 12 }}>
                      {String(c.text ?? "")}
                    </Typography.Paragraph>
                  </div>
                ))}
              </Flex>
            ),
          },
        ]
      : []),
  ];
  return (
    <div data-testid="log-answer" style={{ maxWidth: "92%", border: "1px solid rgba(5,5,5,0.08)", borderRadius: 8, padding: "8px 12px" }}>
      <Typography.Paragraph style={{ whiteSpace: "pre-wrap", marginBottom: 8 }}>{m.content || <Typography.Text type="secondary">—</Typography.Text>}</Typography.Paragraph>
      <Flex gap={8} wrap align="center" style={{ fontSize: 12 }}>
        {m.annotation && (
          <Tooltip title={m.annotation.question ?? t("apps.logs.annotationDeleted")}>
            <Tag color="purple" data-testid="log-annotation-tag">
              {t("apps.logs.fromAnnotation")}
            </Tag>
          </Tooltip>
        )}
        {m.status !== "ok" && <Tag color={m.status === "error" ? "red" : "default"}>{t(`apps.logs.status.${m.status === "error" ? "error" : "stopped"}`)}</Tag>}
        <Typography.Text type="secondary">{t("apps.logs.tokenLine", { prompt: m.prompt_tokens, completion: m.completion_tokens })}</Typography.Text>
        <Typography.Text type="secondary">{ms(m.latency_ms)}</Typography.Text>
        {m.model && <Typography.Text type="secondary">{m.model}</Typography.Text>}
        {m.rating === "like" && <LikeOutlined style={{ color: "#52c41a" }} />}
        {m.rating === "dislike" && <DislikeOutlined style={{ color: "#ff4d4f" }} />}
        {m.feedback && <Typography.Text type="secondary">“{m.feedback}”</Typography.Text>}
        <Typography.Text type="secondary">{formatDateTime(m.created_at)}</Typography.Text>
        {editor && !m.annotation && m.status === "ok" && (
          <Button size="small" type="link" onClick={onAnnotate} data-testid="log-annotate">
            {t("apps.logs.saveAsAnnotation")}
          </Button>
        )}
      </Flex>
      {m.error && <Alert type="error" showIcon title={String(m.error.message ?? "")} style={{ marginTop: 8 }} />}
      {extra.length > 0 && <Collapse size="small" ghost items={extra} style={{ marginTop: 4 }} />}
    </div>
  );
}
