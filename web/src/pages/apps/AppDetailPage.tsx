import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert, Card, Flex, Space, Tabs, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { useApp } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import { useWorkspace } from "../../components/workspace";
import { AppAnalytics } from "./AppAnalytics";
import { AppAnnotations } from "./AppAnnotations";
import { AppKeys } from "./AppKeys";
import { AppLogs } from "./AppLogs";
import { AppReleases } from "./AppReleases";
import { AppSettings } from "./AppSettings";
import { AppUse } from "./AppUse";
import { canEditApps } from "./AppsPage";

const TABS = ["use", "settings", "releases", "keys", "logs", "annotations", "analytics"] as const;
type Tab = (typeof TABS)[number];

/** One app: how to use it, its settings, releases and keys, and what its end users asked (logs, analytics). */
export function AppDetailPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { appId = "", tab } = useParams();
  const { workspace } = useWorkspace();
  const app = useApp(workspace?.id ?? "", appId);
  const active: Tab = TABS.includes(tab as Tab) ? (tab as Tab) : "use";
  if (workspace === null) return <Alert type="info" showIcon title={t("workspace.none")} />;
  if (app.isError) return <Alert type="error" showIcon title={errorMessage(app.error, t)} />;
  if (!app.data) return <Card loading />;
  const a = app.data;
  const editor = canEditApps(workspace);
  const props = { workspace, app: a, editor };
  const panes: Record<Tab, React.ReactNode> = {
    use: <AppUse {...props} />,
    settings: <AppSettings {...props} />,
    releases: <AppReleases {...props} />,
    keys: <AppKeys {...props} />,
    logs: <AppLogs {...props} />,
    annotations: <AppAnnotations {...props} />,
    analytics: <AppAnalytics {...props} />,
  };
  return (
    <>
      <Flex align="center" gap={12} wrap style={{ marginBottom: 16 }}>
        <Link to="/apps" aria-label={t("apps.back")}>
          <ArrowLeftOutlined />
        </Link>
        <Typography.Title level={4} style={{ margin: 0 }} data-testid="app-title">
          {a.name}
        </Typography.Title>
        <Space size={4}>
          {a.enabled ? <Tag color="green">{t("apps.enabled")}</Tag> : <Tag>{t("apps.disabled")}</Tag>}
          <Tag color="blue" bordered={false}>
            {a.agent_name} · {t("apps.versionTag", { version: a.agent_version })}
          </Tag>
          <Typography.Text type="secondary" copyable={{ text: a.model }} style={{ fontSize: 12 }}>
            {a.model}
          </Typography.Text>
        </Space>
      </Flex>
      <Card styles={{ body: { paddingTop: 4 } }}>
        <Tabs
          activeKey={active}
          onChange={(key) => navigate(`/apps/${a.id}/${key}`)}
          items={TABS.map((k) => ({ key: k, label: <span data-testid={`app-tab-${k}`}>{t(`apps.tabs.${k}`)}</span> }))}
          destroyOnHidden
        />
        {panes[active]}
      </Card>
    </>
  );
}
