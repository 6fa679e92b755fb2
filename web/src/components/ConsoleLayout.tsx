import { Flex, Grid, Layout, Menu, theme } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation } from "react-router";
import { LanguageSwitch } from "./LanguageSwitch";
import { Logo } from "./Logo";
import { NAV_ITEMS } from "./nav";
import { UserMenu } from "./UserMenu";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

const HEADER_HEIGHT = 56;

export function ConsoleLayout() {
  const { t } = useTranslation();
  const location = useLocation();
  const { token } = theme.useToken();
  const screens = Grid.useBreakpoint();
  // On a phone the menu folds away entirely (its tab stays at the edge); elsewhere it folds to icons.
  const narrow = screens.md === false;
  const [collapsed, setCollapsed] = useState(narrow);
  const selected = NAV_ITEMS.find(
    (item) => location.pathname === item.path || location.pathname.startsWith(`${item.path}/`),
  );

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Header
        style={{
          position: "sticky",
          top: 0,
          zIndex: 10,
          height: HEADER_HEIGHT,
          lineHeight: `${HEADER_HEIGHT}px`,
          padding: "0 16px 0 20px",
          background: token.colorBgContainer,
          borderBottom: `1px solid ${token.colorBorderSecondary}`,
          display: "flex",
          alignItems: "center",
          gap: 16,
        }}
      >
        <Link to="/dashboard" style={{ display: "flex", color: token.colorText }} data-testid="home-link">
          <Logo size={28} />
        </Link>
        <WorkspaceSwitcher />
        <Flex flex={1} justify="flex-end" align="center" gap={4}>
          <LanguageSwitch />
          <UserMenu />
        </Flex>
      </Layout.Header>
      <Layout>
        <Layout.Sider
          theme="light"
          className="hezi-sider"
          width={208}
          collapsible
          collapsed={collapsed}
          collapsedWidth={narrow ? 0 : 80}
          breakpoint="md"
          onBreakpoint={(broken) => setCollapsed(broken)}
          onCollapse={setCollapsed}
          style={{
            position: "sticky",
            top: HEADER_HEIGHT,
            height: `calc(100vh - ${HEADER_HEIGHT}px)`,
            borderRight: `1px solid ${token.colorBorderSecondary}`,
          }}
        >
          <Menu
            mode="inline"
            selectedKeys={selected ? [selected.key] : []}
            style={{ borderInlineEnd: "none", paddingTop: 8 }}
            onClick={() => narrow && setCollapsed(true)}
            items={NAV_ITEMS.map((item) => ({
              key: item.key,
              icon: item.icon,
              label: (
                <Link to={item.path} data-testid={`nav-${item.key}`}>
                  {t(`nav.${item.key}`)}
                </Link>
              ),
            }))}
          />
        </Layout.Sider>
        <Layout.Content className="hezi-content" style={{ padding: 24, minWidth: 0 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
