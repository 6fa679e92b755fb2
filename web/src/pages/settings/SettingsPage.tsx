import { Card, Tabs } from "antd";
import { useTranslation } from "react-i18next";
import { Outlet, useLocation, useNavigate } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { useWorkspace } from "../../components/workspace";

const TABS = ["profile", "users", "workspaces", "members", "api-keys", "audit-log"] as const;
type Tab = (typeof TABS)[number];

const LABEL_KEYS = {
  profile: "settings.tabs.profile",
  users: "settings.tabs.users",
  workspaces: "settings.tabs.workspaces",
  members: "settings.tabs.members",
  "api-keys": "settings.tabs.apiKeys",
  "audit-log": "settings.tabs.auditLog",
} as const satisfies Record<Tab, string>;

export function SettingsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const { me } = useWorkspace();
  const active = location.pathname.split("/")[2] ?? "profile";
  // Only superusers administer the box's user accounts.
  const visible = TABS.filter((tab) => tab !== "users" || me.user.is_superuser);

  return (
    <>
      <PageHeader title={t("nav.settings")} />
      <Card styles={{ body: { paddingTop: 4 } }}>
        <Tabs
          activeKey={active}
          onChange={(key) => navigate(`/settings/${key}`)}
          items={visible.map((tab) => ({
            key: tab,
            label: <span data-testid={`settings-tab-${tab}`}>{t(LABEL_KEYS[tab])}</span>,
          }))}
        />
        <Outlet />
      </Card>
    </>
  );
}
