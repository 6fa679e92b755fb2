import { Alert, Card, Tabs } from "antd";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { useWorkspace } from "../../components/workspace";
import { AgentList } from "./AgentList";
import { ToolsPage } from "./ToolsPage";

export { canEditAgents } from "./AgentList";

const TABS = ["list", "tools"] as const;
type Tab = (typeof TABS)[number];
const PATHS: Record<Tab, string> = { list: "/agents", tools: "/agents/tools" };
const LABEL_KEYS = { list: "agents.tabs.list", tools: "agents.tabs.tools" } as const satisfies Record<Tab, string>;

/** The Agents section: the workspace's agents, and the custom tool providers they can use, as tabs. */
export function AgentsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const { workspace } = useWorkspace();
  const active: Tab = location.pathname.startsWith(PATHS.tools) ? "tools" : "list";
  return (
    <>
      <PageHeader title={t("nav.agents")} description={t("agents.description")} />
      {workspace === null ? (
        <Alert type="info" showIcon title={t("workspace.none")} />
      ) : (
        <Card styles={{ body: { paddingTop: 4 } }}>
          <Tabs
            activeKey={active}
            onChange={(key) => navigate(PATHS[key as Tab])}
            items={TABS.map((tab) => ({ key: tab, label: <span data-testid={`agents-tab-${tab}`}>{t(LABEL_KEYS[tab])}</span> }))}
          />
          {active === "tools" ? <ToolsPage workspace={workspace} key={workspace.id} /> : <AgentList workspace={workspace} key={workspace.id} />}
        </Card>
      )}
    </>
  );
}
