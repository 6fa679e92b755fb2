import { SearchOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Alert, Badge, Button, Col, Collapse, Empty, Flex, Form, Input, InputNumber, Row, Segmented, Typography } from "antd";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type KnowledgeBasePublic, type RetrievedChunk, type RetrieveMode, type Schemas, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { toConditions, type FilterRow } from "./retrieval/filters";
import { HitCard, type ScoreBasis } from "./retrieval/HitCard";
import { queryTerms } from "./retrieval/highlight";
import { MetadataFilters } from "./retrieval/MetadataFilters";
import { RetrievalOptions } from "./retrieval/RetrievalOptions";

type Mode = RetrieveMode | "compare";
type Settings = Schemas["RetrievalSettings"];
const MODES: RetrieveMode[] = ["hybrid", "vector", "full_text"];

/** The settings beside the query start as the knowledge base's stored defaults. */
interface QueryForm {
  query: string;
  mode: Mode;
  top_k: number;
  advanced: Pick<Settings, "fusion" | "vector_weight" | "score_threshold" | "rerank_model">;
  filters: FilterRow[];
}

interface Outcome {
  mode: RetrieveMode;
  basis: ScoreBasis;
  data?: RetrievedChunk[];
  /** Weighted hybrid: the weight asked for and the one this query was fused with (higher when the knowledge base lacks the question's words). */
  weight?: { asked: number; used: number };
  error?: unknown;
}

const defaults = (r: Settings): Pick<QueryForm, "mode" | "top_k" | "advanced"> => ({
  mode: r.mode,
  top_k: r.top_k,
  advanced: { fusion: r.fusion, vector_weight: r.vector_weight, score_threshold: r.score_threshold ?? null, rerank_model: r.rerank_model ?? null },
});

function basisOf(mode: RetrieveMode, a: QueryForm["advanced"]): ScoreBasis {
  if (a.rerank_model) return "rerank";
  return mode === "hybrid" ? a.fusion : mode;
}

function ResultList({ outcome, terms, compact }: { outcome: Outcome; terms: string[]; compact: boolean }) {
  const { t } = useTranslation();
  if (outcome.error) return <Alert type="error" showIcon title={errorMessage(outcome.error, t)} />;
  const data = outcome.data ?? [];
  if (data.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("knowledge.hit.none")} data-testid={`hit-empty-${outcome.mode}`} />;
  const w = outcome.weight;
  return (
    <Flex vertical gap={8} data-testid={`hit-results-${outcome.mode}`}>
      {w && outcome.basis === "weighted" && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid={`hit-weight-${outcome.mode}`}>
          {w.used > w.asked + 0.05 /* a marked rise: say why */
            ? t("knowledge.hit.weightRaised", { used: w.used.toFixed(2), asked: w.asked.toFixed(2) })
            : t("knowledge.hit.weightUsed", { used: w.used.toFixed(2) })}
        </Typography.Text>
      )}
      {data.map((c, i) => (
        <HitCard key={c.chunk_id} chunk={c} rank={i + 1} terms={terms} compact={compact} basis={outcome.basis} />
      ))}
    </Flex>
  );
}

export function HitTesting({ workspace, kb }: { workspace: WorkspaceRef; kb: KnowledgeBasePublic }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<QueryForm>();
  const mode = Form.useWatch("mode", form) ?? kb.retrieval.mode;
  const filters = Form.useWatch("filters", form) as FilterRow[] | undefined;
  // Saved settings become the new starting point; the query and filters typed so far stay.
  const stored = JSON.stringify(kb.retrieval);
  useEffect(() => form.setFieldsValue(defaults(JSON.parse(stored) as Settings)), [form, stored]);

  const run = useMutation({
    mutationFn: async (v: QueryForm): Promise<{ query: string; outcomes: Outcome[] }> => {
      const modes = v.mode === "compare" ? MODES : [v.mode];
      const filters = toConditions(v.filters);
      const outcomes = await Promise.all(
        modes.map((mode) =>
          unwrap(
            api.POST("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/retrieve", {
              params: { path: { workspace_id: workspace.id, kb_id: kb.id } },
              body: {
                query: v.query,
                mode,
                top_k: v.top_k,
                fusion: v.advanced.fusion,
                vector_weight: v.advanced.vector_weight,
                score_threshold: v.advanced.score_threshold ?? null,
                rerank_model: v.advanced.rerank_model || null,
                filters,
                filters_match: "all",
              },
            }),
          ).then(
            (r): Outcome => ({
              mode,
              basis: basisOf(mode, v.advanced),
              data: r.data,
              weight: r.vector_weight == null ? undefined : { asked: v.advanced.vector_weight, used: r.vector_weight },
            }),
            (error: unknown): Outcome => ({ mode, basis: basisOf(mode, v.advanced), error }),
          ),
        ),
      );
      return { query: v.query, outcomes };
    },
  });
  const terms = run.data ? queryTerms(run.data.query) : [];
  const compare = (run.data?.outcomes.length ?? 0) > 1;
  const activeFilters = (filters ?? []).filter((f) => f?.key?.trim()).length;

  return (
    <Flex vertical gap={16}>
      <Typography.Text type="secondary">{t("knowledge.hit.hint")}</Typography.Text>
      <Form<QueryForm>
        form={form}
        layout="vertical"
        initialValues={{ ...defaults(kb.retrieval), filters: [] }}
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
        <Collapse
          size="small"
          style={{ marginTop: 16 }}
          data-testid="hit-advanced"
          items={[
            {
              key: "advanced",
              forceRender: true, // its fields belong to the form even while folded
              label: (
                <Flex align="center" gap={8} data-testid="hit-advanced-toggle">
                  {t("knowledge.hit.advanced")}
                  {activeFilters > 0 && (
                    <Badge count={t("knowledge.filters.active", { count: activeFilters })} color="blue" style={{ fontSize: 11 }} />
                  )}
                </Flex>
              ),
              children: (
                <>
                  <RetrievalOptions workspace={workspace} prefix={["advanced"]} hybrid={mode === "hybrid" || mode === "compare"} />
                  <MetadataFilters />
                </>
              ),
            },
          ]}
        />
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
