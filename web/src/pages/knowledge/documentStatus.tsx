import { CheckCircleOutlined, CloseCircleOutlined, LoadingOutlined } from "@ant-design/icons";
import { Flex, Tag, Tooltip, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { DocumentPublic } from "../../api/client";

/** Whether the worker is done with a document, one way or the other. */
export const isSettled = (d: DocumentPublic) => d.status === "ready" || d.status === "failed";

/** queued / parsing / embedding in blue (with the embedding progress), ready in green, failed in red with the reason. */
export function DocumentStatus({ doc }: { doc: DocumentPublic }) {
  const { t } = useTranslation();
  const label = t(`knowledge.docStatus.${doc.status}`);
  if (doc.status === "ready") {
    return (
      <Tag color="success" icon={<CheckCircleOutlined />} data-testid="doc-status" data-status={doc.status}>
        {label}
      </Tag>
    );
  }
  if (doc.status === "failed") {
    return (
      <Tooltip
        title={
          <Flex vertical gap={4} style={{ whiteSpace: "pre-wrap" }}>
            <span data-testid="doc-error">{doc.error ?? t("knowledge.unknownError")}</span>
            {doc.error_code && (
              <Typography.Text style={{ color: "rgba(255,255,255,0.65)", fontSize: 12, fontFamily: "ui-monospace, monospace" }}>
                {doc.error_code}
              </Typography.Text>
            )}
          </Flex>
        }
        styles={{ root: { maxWidth: 420 } }}
      >
        <Tag color="error" icon={<CloseCircleOutlined />} style={{ cursor: "help" }} data-testid="doc-status" data-status={doc.status}>
          {label}
        </Tag>
      </Tooltip>
    );
  }
  const progress =
    doc.status === "embedding" && doc.chunks_total > 0 ? ` ${doc.chunks_embedded} / ${doc.chunks_total}` : "";
  return (
    <Tag color="processing" icon={<LoadingOutlined />} data-testid="doc-status" data-status={doc.status}>
      {label}
      {progress}
    </Tag>
  );
}
