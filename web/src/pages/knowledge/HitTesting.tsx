import { SearchOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Card, Col, Empty, Flex, Form, Input, InputNumber, Row, Segmented, Tag, Typography } from "antd";
import { Fragment, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type KnowledgeBasePublic, type RetrievedChunk, type RetrieveMode, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";

type Mode = RetrieveMode | "compare";
const MODES: RetrieveMode[] = ["hybrid", "vector", "full_text"];

interface QueryForm {
  query: string;
  mode: Mode;
  top_k: number;
}

interface Outcome {
  mode: RetrieveMode;
  data?: RetrievedChunk[];
  error?: unknown;
}

/** The words of a query worth marking in a result: Latin words and numbers, and Chinese runs with their pairs. */
export function queryTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const word of query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const han = word.match(/\p{Script=Han}+/gu) ?? [];
    for (const run of han) {
      terms.add(run);
      if (run.length > 2) for (let i = 0; i + 2 <= run.length; i += 1) terms.add(run.slice(i, i + 2));
      if (run.length <= 2) for (const ch of run) terms.add(ch);
    }
    for (const latin of word.split(/\p{Script=Han}+/u)) if (latin.length >= 2) terms.add(latin);
  }
  return [...terms].sort((a, b) => b.length - a.length);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The text with every query term wrapped in <mark>. */
export function highlight(text: string, terms: string[]): ReactNode {
  if (terms.length === 0) return text;
  const re = new RegExp(`(${terms.map(escape).join("|")})`, "giu");
  return text.split(re).map((part, i) =>
    i % 2 === 1 ? (
      <mark key={i} className="kb-hit">
        {part}
      </mark>
    ) : (
      <Fragment key={i}>{part}</Fragment>
    ),
  );
}

function pages(c: RetrievedChunk, t: ReturnType<typeof useTranslation>["t"]): string | null {
  if (c.page_start === null) return null;
  return c.page_end !== null && c.page_end !== c.page_start
    ? t("knowledge.hit.pages", { from: c.page_start, to: c.page_end })
    : t("knowledge.hit.page", { page: c.page_start });
}

function ResultCard({ chunk, rank, terms, compact }: { chunk: RetrievedChunk; rank: number; terms: string[]; compact: boolean }) {
  const { t } = useTranslation();
  const p = pages(chunk, t);
  return (
    <Card size="small" data-testid="hit-result" data-document={chunk.document_name} data-rank={rank}>
      <Flex justify="space-between" align="center" gap={8} wrap style={{ marginBottom: 6 }}>
        <Flex align="center" gap={6} wrap style={{ minWidth: 0 }}>
          <Tag color="blue" style={{ marginInlineEnd: 0 }}>
            #{rank}
          </Tag>
          <Typography.Text strong ellipsis style={{ maxWidth: compact ? 180 : 360 }} data-testid="hit-document">
            {chunk.document_name}
          </Typography.Text>
          {chunk.section && (
            <Typography.Text type="secondary" ellipsis style={{ fontSize: 12, maxWidth: compact ? 140 : 320 }}>
              § {chunk.section}
            </Typography.Text>
          )}
          {p && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {p}
            </Typography.Text>
          )}
        </Flex>
        <Typography.Text type="secondary" style={{ fontSize: 12, fontVariantNumeric: "tabular-nums" }} data-testid="hit-score">
          {t("knowledge.hit.score")} {chunk.score.toFixed(4)}
        </Typography.Text>
      </Flex>
      <Typography.Paragraph
        style={{ margin: 0, whiteSpace: "pre-wrap", fontSize: 13 }}
        ellipsis={{ rows: compact ? 6 : 8, expandable: "collapsible", symbol: (open) => (open ? t("knowledge.hit.less") : t("knowledge.hit.more")) }}
      >
        {highlight(chunk.text, terms)}
      </Typography.Paragraph>
    </Card>
  );
}

function ResultList({ outcome, terms, compact }: { outcome: Outcome; terms: string[]; compact: boolean }) {
  const { t } = useTranslation();
  if (outcome.error) return <Alert type="error" showIcon title={errorMessage(outcome.error, t)} />;
  const data = outcome.data ?? [];
  if (data.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("knowledge.hit.none")} />;
  return (
    <Flex vertical gap={8} data-testid={`hit-results-${outcome.mode}`}>
      {data.map((c, i) => (
        <ResultCard key={`${c.document_id}-${c.ordinal}`} chunk={c} rank={i + 1} terms={terms} compact={compact} />
      ))}
    </Flex>
  );
}

export function HitTesting({ workspace, kb }: { workspace: WorkspaceRef; kb: KnowledgeBasePublic }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<QueryForm>();
  const run = useMutation({
    mutationFn: async (v: QueryForm): Promise<{ query: string; outcomes: Outcome[] }> => {
      const modes = v.mode === "compare" ? MODES : [v.mode];
      const outcomes = await Promise.all(
        modes.map((mode) =>
          unwrap(
            api.POST("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/retrieve", {
              params: { path: { workspace_id: workspace.id, kb_id: kb.id } },
              body: { query: v.query, mode, top_k: v.top_k },
            }),
          ).then(
            (r): Outcome => ({ mode, data: r.data }),
            (error: unknown): Outcome => ({ mode, error }),
          ),
        ),
      );
      return { query: v.query, outcomes };
    },
  });
  const terms = run.data ? queryTerms(run.data.query) : [];
  const compare = (run.data?.outcomes.length ?? 0) > 1;

  return (
    <Flex vertical gap={16}>
      <Typography.Text type="secondary">{t("knowledge.hit.hint")}</Typography.Text>
      <Form<QueryForm>
        form={form}
        layout="vertical"
        initialValues={{ mode: "hybrid", top_k: 5 }}
        onFinish={(v) => run.mutate({ ...v, query: v.query.trim() })}
        data-testid="hit-form"
      >
        <Form.Item name="query" rules={[{ required: true, whitespace: true, message: t("common.required") }]} style={{ marginBottom: 12 }}>
          <Input.TextArea
            autoSize={{ minRows: 2, maxRows: 6 }}
            maxLength={4000}
            placeholder={t("knowledge.hit.placeholder")}
            onPressEnter={(e) => {
              if (!e.shiftKey) {
                e.preventDefault();
                form.submit();
              }
            }}
            data-testid="hit-query"
          />
        </Form.Item>
        <Flex gap={16} align="end" wrap>
          <Form.Item name="mode" label={t("knowledge.hit.mode")} style={{ marginBottom: 0 }}>
            <Segmented<Mode>
              options={[...MODES, "compare" as const].map((m) => ({
                value: m,
                label: <span data-testid={`hit-mode-${m}`}>{t(`knowledge.hit.modes.${m}`)}</span>,
              }))}
            />
          </Form.Item>
          <Form.Item name="top_k" label={t("knowledge.hit.topK")} style={{ marginBottom: 0 }}>
            <InputNumber min={1} max={100} style={{ width: 96 }} data-testid="hit-top-k" />
          </Form.Item>
          <Button type="primary" htmlType="submit" icon={<SearchOutlined />} loading={run.isPending} data-testid="hit-submit">
            {t("knowledge.hit.run")}
          </Button>
        </Flex>
      </Form>
      {run.error && <Alert type="error" showIcon title={errorMessage(run.error, t)} />}
      {run.data &&
        (compare ? (
          <Row gutter={12} data-testid="hit-compare">
            {run.data.outcomes.map((o) => (
              <Col key={o.mode} xs={24} lg={8}>
                <Typography.Title level={5} style={{ marginTop: 0 }}>
                  {t(`knowledge.hit.modes.${o.mode}`)}
                </Typography.Title>
                <ResultList outcome={o} terms={terms} compact />
              </Col>
            ))}
          </Row>
        ) : (
          <ResultList outcome={run.data.outcomes[0]} terms={terms} compact={false} />
        ))}
    </Flex>
  );
}
