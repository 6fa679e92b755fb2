import { Alert, Card, Col, Flex, Row, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { Channel } from "../../api/apps";
import { CopyButton } from "../../components/CopyButton";
import type { AppPaneProps } from "./types";

type SnippetId = "web-app" | "widget" | "iframe" | "dify" | "openai" | "mcp";

const MONO = { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 12 } as const;

function Snippet({ id, title, hint, code, channel, on }: { id: string; title: string; hint: string; code: string; channel: Channel; on: boolean }) {
  const { t } = useTranslation();
  return (
    <Card
      size="small"
      title={
        <Flex gap={8} align="center">
          <span>{title}</span>
          {on ? <Tag color="green">{t("apps.channelOn")}</Tag> : <Tag>{t("apps.channelOff")}</Tag>}
        </Flex>
      }
      extra={<CopyButton text={code} testId={`app-copy-${id}`} />}
      data-testid={`app-snippet-${id}`}
      data-channel={channel}
      style={{ height: "100%" }}
    >
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {hint}
      </Typography.Paragraph>
      <pre style={{ ...MONO, margin: 0, padding: 12, background: "rgba(0,0,0,0.04)", borderRadius: 6, whiteSpace: "pre-wrap", wordBreak: "break-all" }} data-testid={`app-code-${id}`}>
        {code}
      </pre>
    </Card>
  );
}

/** How people and programs reach the app: its web app, the widget, and the three APIs, ready to copy. */
export function AppUse({ app }: AppPaneProps) {
  const { t } = useTranslation();
  const origin = window.location.origin;
  const page = `${origin}${app.web_app_path}`;
  const curl = [
    `curl -X POST '${origin}/v1/chat-messages' \\`,
    `  -H 'Authorization: Bearer {API_KEY}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"inputs": {}, "query": "${t("apps.use.sampleQuestion")}", "response_mode": "streaming", "user": "user-1"}'`,
  ].join("\n");
  const openai = [
    `base_url = "${origin}/v1"`,
    `api_key  = "{API_KEY}"`,
    `model    = "${app.model}"`,
  ].join("\n");
  const snippets: { id: SnippetId; channel: Channel; code: string }[] = [
    { id: "web-app", channel: "web_app", code: page },
    { id: "widget", channel: "widget", code: `<script src="${page}/widget.js" defer></script>` },
    { id: "iframe", channel: "widget", code: `<iframe src="${page}?embed=1" style="width: 100%; height: 640px; border: 0"></iframe>` },
    { id: "dify", channel: "api", code: curl },
    { id: "openai", channel: "openai", code: openai },
    { id: "mcp", channel: "mcp", code: `${origin}/v1/apps/${app.slug}/mcp` },
  ];
  return (
    <Flex vertical gap={16}>
      {!app.enabled && <Alert type="warning" showIcon title={t("apps.use.disabled")} />}
      <Typography.Text type="secondary">{t("apps.use.hint")}</Typography.Text>
      <Row gutter={[16, 16]}>
        {snippets.map((s) => (
          <Col xs={24} xl={12} key={s.id}>
            <Snippet
              id={s.id}
              channel={s.channel}
              on={app.enabled && Boolean(app.channels[s.channel])}
              title={t(`apps.use.${s.id}.title`)}
              hint={t(`apps.use.${s.id}.hint`)}
              code={s.code}
            />
          </Col>
        ))}
      </Row>
    </Flex>
  );
}
