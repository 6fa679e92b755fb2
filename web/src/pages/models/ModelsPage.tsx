import { Card, Tabs } from "antd";
import { useTranslation } from "react-i18next";
import { Outlet, useLocation, useNavigate } from "react-router";
import { PageHeader } from "../../components/PageHeader";

const TABS = ["list", "playground"] as const;
type Tab = (typeof TABS)[number];

const PATHS: Record<Tab, string> = { list: "/models", playground: "/models/playground" };
const LABEL_KEYS = { list: "models.tabs.list", playground: "models.tabs.playground" } as const satisfies Record<Tab, string>;

/** The Models section: the list of models and the playground to try them, as tabs. */
export function ModelsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const active: Tab = location.pathname.startsWith(PATHS.playground) ? "playground" : "list";

  return (
    <>
      <PageHeader title={t("nav.models")} description={t("models.description")} />
      <Card styles={{ body: { paddingTop: 4 } }}>
        <Tabs
          activeKey={active}
          onChange={(key) => navigate(PATHS[key as Tab])}
          items={TABS.map((tab) => ({
            key: tab,
            label: <span data-testid={`models-tab-${tab}`}>{t(LABEL_KEYS[tab])}</span>,
          }))}
        />
        <Outlet />
      </Card>
    </>
  );
}
