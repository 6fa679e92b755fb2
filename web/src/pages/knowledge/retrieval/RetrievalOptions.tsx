import { Col, Form, InputNumber, Radio, Row, Select, Slider } from "antd";
import { useTranslation } from "react-i18next";
import type { WorkspaceRef } from "../../../api/client";
import { useRerankers } from "./useRerankers";

/**
 * Fusion, vector weight, score threshold and reranker: the settings hit testing and a knowledge base's defaults
 * share. Field names sit under `prefix` in the surrounding form; `hybrid` says whether fusion applies.
 */
export function RetrievalOptions({ workspace, prefix, hybrid }: { workspace: WorkspaceRef; prefix: string[]; hybrid: boolean }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const fusion = Form.useWatch([...prefix, "fusion"], form) as string | undefined;
  const chosen = Form.useWatch([...prefix, "rerank_model"], form) as string | null | undefined;
  const rerankers = useRerankers(workspace);
  // A stored reranker stays selectable even when its provider no longer lists it.
  const options = [...new Set([...rerankers.models, ...(chosen ? [chosen] : [])])].map((m) => ({ value: m, label: m }));
  return (
    <Row gutter={16}>
      <Col xs={24} md={12}>
        <Form.Item name={[...prefix, "fusion"]} label={t("knowledge.retrieval.fusion")} tooltip={t("knowledge.retrieval.fusionHint")}>
          <Radio.Group
            optionType="button"
            disabled={!hybrid}
            options={[
              { value: "rrf", label: <span data-testid="retrieval-fusion-rrf">{t("knowledge.retrieval.rrf")}</span> },
              { value: "weighted", label: <span data-testid="retrieval-fusion-weighted">{t("knowledge.retrieval.weighted")}</span> },
            ]}
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item label={t("knowledge.retrieval.vectorWeight")} tooltip={t("knowledge.retrieval.vectorWeightHint")} hidden={fusion !== "weighted"}>
          {/* the slider passes no data attributes to the page: the test finds it by this wrapper */}
          <div data-testid="retrieval-vector-weight" style={{ paddingInline: 8 }}>
            <Form.Item name={[...prefix, "vector_weight"]} noStyle>
              <Slider
                min={0}
                max={1}
                step={0.05}
                disabled={!hybrid}
                marks={{ 0: t("knowledge.retrieval.fullTextShort"), 1: t("knowledge.retrieval.vectorShort") }}
                tooltip={{ formatter: (v) => (v === undefined ? "" : `${Math.round(v * 100)}% / ${Math.round((1 - v) * 100)}%`) }}
              />
            </Form.Item>
          </div>
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item name={[...prefix, "score_threshold"]} label={t("knowledge.retrieval.threshold")} tooltip={t("knowledge.retrieval.thresholdHint")}>
          <InputNumber
            min={-1}
            step={0.05}
            placeholder={t("knowledge.retrieval.noThreshold")}
            style={{ width: "100%" }}
            data-testid="retrieval-threshold"
          />
        </Form.Item>
      </Col>
      <Col xs={24} md={12}>
        <Form.Item
          name={[...prefix, "rerank_model"]}
          label={t("knowledge.retrieval.rerank")}
          tooltip={t("knowledge.retrieval.rerankHint")}
          extra={!rerankers.loading && rerankers.models.length === 0 ? t("knowledge.retrieval.noRerankers") : undefined}
        >
          <Select
            allowClear
            showSearch
            loading={rerankers.loading}
            placeholder={t("knowledge.retrieval.noRerank")}
            options={options}
            data-testid="retrieval-rerank"
          />
        </Form.Item>
      </Col>
    </Row>
  );
}
