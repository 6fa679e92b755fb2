import { Card, Collapse, Flex, Tag, Tooltip, Typography, theme } from "antd";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { RetrievedChunk } from "../../../api/client";
import { highlight } from "./highlight";

/** What a hit's final score is: the fused score of hybrid's fusion, one mode's own score, or the reranker's. */
export type ScoreBasis = "rrf" | "weighted" | "vector" | "full_text" | "rerank";

const PER_MODE = ["vector", "full_text", "rerank"] as const;
type PerMode = (typeof PER_MODE)[number];

function pages(c: RetrievedChunk, t: TFunction): string | null {
  if (c.page_start === null) return null;
  return c.page_end !== null && c.page_end !== c.page_start
    ? t("knowledge.hit.pages", { from: c.page_start, to: c.page_end })
    : t("knowledge.hit.page", { page: c.page_start });
}

/** One mode's score as a short bar: cosine similarity, normalised text rank and rerank scores all read as 0…1. */
function ScoreBar({ mode, value }: { mode: PerMode; value: number }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const color = { vector: token.colorPrimary, full_text: token.colorSuccess, rerank: token.purple }[mode];
  const share = Math.max(0, Math.min(1, value));
  return (
    <Tooltip title={t(`knowledge.hit.scoreHint.${mode}`)}>
      <Flex align="center" gap={6} data-testid={`hit-score-${mode}`} data-value={value}>
        <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: "nowrap" }}>
          {t(`knowledge.hit.scoreOf.${mode}`)}
        </Typography.Text>
        <div style={{ width: 56, height: 6, borderRadius: 3, background: token.colorFillSecondary, overflow: "hidden" }}>
          <div style={{ width: `${share * 100}%`, height: "100%", background: color }} />
        </div>
        <Typography.Text style={{ fontSize: 12, fontVariantNumeric: "tabular-nums" }}>{value.toFixed(3)}</Typography.Text>
      </Flex>
    </Tooltip>
  );
}

/** A retrieved chunk with where it comes from, why it ranked (each mode's score) and what an agent would be given. */
export function HitCard({
  chunk,
  rank,
  terms,
  compact,
  basis,
}: {
  chunk: RetrievedChunk;
  rank: number;
  terms: string[];
  compact: boolean;
  basis: ScoreBasis;
}) {
  const { t } = useTranslation();
  const p = pages(chunk, t);
  const scores = PER_MODE.flatMap((m) => {
    const v = chunk.scores[m];
    return v === null || v === undefined ? [] : [{ mode: m, value: v }];
  });
  const metadata = Object.entries(chunk.metadata ?? {});
  const more = { expandable: "collapsible" as const, symbol: (open: boolean) => (open ? t("knowledge.hit.less") : t("knowledge.hit.more")) };
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
            <Typography.Text type="secondary" ellipsis style={{ fontSize: 12, maxWidth: compact ? 140 : 320 }} data-testid="hit-section">
              § {chunk.section}
            </Typography.Text>
          )}
          {p && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {p}
            </Typography.Text>
          )}
        </Flex>
        <Tooltip title={t(`knowledge.hit.basis.${basis}`)}>
          <Typography.Text strong style={{ fontSize: 12, fontVariantNumeric: "tabular-nums" }} data-testid="hit-score" data-value={chunk.score}>
            {t("knowledge.hit.score")} {chunk.score.toFixed(4)}
          </Typography.Text>
        </Tooltip>
      </Flex>
      {scores.length > 0 && (
        <Flex gap={compact ? 10 : 16} wrap style={{ marginBottom: 6 }} data-testid="hit-scores">
          {scores.map((s) => (
            <ScoreBar key={s.mode} mode={s.mode} value={s.value} />
          ))}
        </Flex>
      )}
      {metadata.length > 0 && (
        <Flex gap={4} wrap style={{ marginBottom: 6 }} data-testid="hit-metadata">
          {metadata.map(([k, v]) => (
            <Tag key={k} bordered={false} style={{ marginInlineEnd: 0, maxWidth: "100%", overflow: "hidden", textOverflow: "ellipsis" }}>
              {k}: {typeof v === "string" ? v : JSON.stringify(v)}
            </Tag>
          ))}
        </Flex>
      )}
      {chunk.answer && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t("knowledge.hit.question")}
        </Typography.Text>
      )}
      <Typography.Paragraph style={{ margin: 0, whiteSpace: "pre-wrap", fontSize: 13 }} ellipsis={{ rows: compact ? 6 : 8, ...more }} data-testid="hit-text">
        {highlight(chunk.text, terms)}
      </Typography.Paragraph>
      {chunk.answer && (
        <div style={{ marginTop: 6 }} data-testid="hit-answer">
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t("knowledge.hit.answer")}
          </Typography.Text>
          <Typography.Paragraph style={{ margin: 0, whiteSpace: "pre-wrap", fontSize: 13 }} ellipsis={{ rows: compact ? 4 : 6, ...more }}>
            {highlight(chunk.answer, terms)}
          </Typography.Paragraph>
        </div>
      )}
      {chunk.parent_text && (
        <Collapse
          size="small"
          ghost
          style={{ marginTop: 4, marginInline: -8 }}
          data-testid="hit-parent"
          items={[
            {
              key: "parent",
              label: (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t("knowledge.hit.parent")}
                </Typography.Text>
              ),
              children: (
                <Typography.Paragraph style={{ margin: 0, whiteSpace: "pre-wrap", fontSize: 13 }} data-testid="hit-parent-text">
                  {highlight(chunk.parent_text, terms)}
                </Typography.Paragraph>
              ),
            },
          ]}
        />
      )}
    </Card>
  );
}
