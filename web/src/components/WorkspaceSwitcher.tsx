import { ApartmentOutlined } from "@ant-design/icons";
import { Select, Space, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useWorkspace } from "./workspace";

export function WorkspaceSwitcher() {
  const { t } = useTranslation();
  const { me, workspace, select } = useWorkspace();
  if (workspace === null) {
    return <Typography.Text type="secondary">{t("workspace.none")}</Typography.Text>;
  }
  return (
    <Space size={6} style={{ marginLeft: 24 }} className="hezi-ws-switch">
      <ApartmentOutlined style={{ color: "rgba(0,0,0,0.45)" }} />
      <Select
        value={workspace.id}
        onChange={select}
        variant="borderless"
        popupMatchSelectWidth={false}
        style={{ minWidth: 160, maxWidth: 280 }}
        aria-label={t("workspace.switch")}
        data-testid="workspace-switcher"
        options={me.workspaces.map((w) => ({
          value: w.id,
          label: (
            <Space size={8}>
              <span>{w.name}</span>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t(`roles.${w.role}`)}
              </Typography.Text>
            </Space>
          ),
        }))}
      />
    </Space>
  );
}
