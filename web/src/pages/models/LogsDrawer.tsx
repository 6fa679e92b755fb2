import { ReloadOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Drawer, Empty, Flex, Space, Switch, Typography } from "antd";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type ModelPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

/** The last lines the model's worker processes wrote, newest at the bottom. */
export function LogsDrawer({ model, onClose }: { model: ModelPublic | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [follow, setFollow] = useState(true);
  // Keep the title while the drawer slides out.
  const [shown, setShown] = useState<ModelPublic | null>(null);
  if (model !== null && model.id !== shown?.id) setShown(model);
  const id = shown?.id ?? "";
  const logs = useQuery({
    queryKey: queryKeys.modelLogs(id),
    queryFn: () => unwrap(api.GET("/api/models/{model_id}/logs", { params: { path: { model_id: id } } })),
    enabled: model !== null,
    refetchInterval: model !== null && follow ? 3000 : false,
  });
  const view = useRef<HTMLPreElement>(null);
  const lines = logs.data?.lines;
  const toBottom = () => {
    const el = view.current;
    if (el) el.scrollTop = el.scrollHeight;
  };
  // Follow new lines, unless the reader scrolled up to read something.
  const pinned = useRef(true);
  useEffect(() => {
    if (follow && pinned.current) toBottom();
  }, [lines, follow]);

  return (
    <Drawer
      open={model !== null}
      onClose={onClose}
      afterOpenChange={(open) => {
        pinned.current = true;
        if (open) toBottom();
        else setShown(null);
      }}
      title={shown ? t("logs.title", { name: shown.name }) : ""}
      size={760}
      destroyOnHidden
      data-testid="logs-drawer"
      extra={
        <Space size={16}>
          <Space size={6}>
            <Switch size="small" checked={follow} onChange={setFollow} data-testid="logs-follow" />
            <Typography.Text>{t("logs.follow")}</Typography.Text>
          </Space>
          <Button icon={<ReloadOutlined />} onClick={() => void logs.refetch()} loading={logs.isFetching} data-testid="logs-refresh">
            {t("common.refresh")}
          </Button>
        </Space>
      }
      styles={{ body: { padding: 0, background: "#141414", display: "flex", flexDirection: "column", overflow: "hidden" } }}
    >
      {logs.isError && <Alert type="error" showIcon banner title={errorMessage(logs.error, t)} />}
      {lines !== undefined && lines.length === 0 ? (
        <Flex flex={1} align="center" justify="center">
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={<span style={{ color: "#8c8c8c" }}>{t("logs.empty")}</span>} />
        </Flex>
      ) : (
        <pre
          ref={view}
          onScroll={(e) => {
            const el = e.currentTarget;
            pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
          data-testid="logs-lines"
          style={{
            margin: 0,
            padding: "12px 16px",
            flex: 1,
            minHeight: 0,
            overflow: "auto",
            color: "#d9d9d9",
            fontFamily: MONO,
            fontSize: 12,
            lineHeight: 1.6,
            whiteSpace: "pre-wrap",
            overflowWrap: "anywhere",
          }}
        >
          {(lines ?? []).map((line, i) => (
            <div key={i} style={{ color: /error|traceback|exception|failed/i.test(line) ? "#ff7875" : undefined }}>
              {line}
            </div>
          ))}
        </pre>
      )}
    </Drawer>
  );
}
