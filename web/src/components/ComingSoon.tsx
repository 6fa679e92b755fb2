import { Card, Result, Tag } from "antd";
import { useTranslation } from "react-i18next";
import { NAV_ITEMS, type NavItem } from "./nav";
import { PageHeader } from "./PageHeader";

type Section = Exclude<NavItem["key"], "dashboard" | "settings" | "models" | "knowledge" | "agents" | "chat">;

/** The page of a capability that is still being built: what it will do, and no fake data. */
export function ComingSoon({ section }: { section: Section }) {
  const { t } = useTranslation();
  const icon = NAV_ITEMS.find((item) => item.key === section)?.icon;
  return (
    <>
      <PageHeader title={t(`nav.${section}`)} />
      <Card data-testid={`coming-soon-${section}`}>
        <Result
          icon={<span style={{ fontSize: 56, color: "#1677ff" }}>{icon}</span>}
          title={
            <>
              {t(`nav.${section}`)} <Tag color="blue" style={{ verticalAlign: "middle" }}>{t("comingSoon.tag")}</Tag>
            </>
          }
          subTitle={<span style={{ display: "inline-block", maxWidth: 560 }}>{t(`comingSoon.${section}`)}</span>}
        />
      </Card>
    </>
  );
}
