import { CheckOutlined, CopyOutlined } from "@ant-design/icons";
import { Alert, Button, Flex, Input, Modal, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { ApiKeyCreated } from "../api/client";
import { copyText } from "./clipboard";

/** Shows a freshly created key's secret: the one and only time the server hands it out. */
export function KeyRevealModal({ created, onClose }: { created: ApiKeyCreated | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  // Keep showing the key while the modal fades out; drop it (and its DOM) once closed.
  const [shown, setShown] = useState<ApiKeyCreated | null>(null);
  if (created !== null && created !== shown) setShown(created);
  const close = () => {
    setCopied(false);
    onClose();
  };

  return (
    <Modal
      open={created !== null}
      title={t("apiKeys.createdTitle", { name: shown?.name ?? "" })}
      destroyOnHidden
      afterClose={() => setShown(null)}
      onCancel={close}
      mask={{ closable: false }}
      keyboard={false}
      width={640}
      footer={
        <Button type="primary" onClick={close} data-testid="apikey-created-close">
          {t("apiKeys.createdDone")}
        </Button>
      }
      data-testid="apikey-created-modal"
    >
      <Flex vertical gap={16} style={{ marginTop: 16 }}>
        <Alert type="warning" showIcon title={t("apiKeys.showOnceWarning")} />
        <Flex gap={8}>
          <Input
            readOnly
            value={shown?.key ?? ""}
            onFocus={(e) => e.target.select()}
            style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" }}
            data-testid="apikey-created-key"
            aria-label={t("apiKeys.secret")}
          />
          <Button
            icon={copied ? <CheckOutlined /> : <CopyOutlined />}
            onClick={async () => setCopied(await copyText(shown?.key ?? ""))}
            data-testid="apikey-copy"
          >
            {copied ? t("apiKeys.copied") : t("apiKeys.copy")}
          </Button>
        </Flex>
        <Typography.Text type="secondary">{t("apiKeys.usageHint")}</Typography.Text>
      </Flex>
    </Modal>
  );
}
