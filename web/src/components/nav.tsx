import {
  AppstoreOutlined,
  BookOutlined,
  DashboardOutlined,
  DeploymentUnitOutlined,
  MessageOutlined,
  RobotOutlined,
  SettingOutlined,
} from "@ant-design/icons";
import type { ReactNode } from "react";

export interface NavItem {
  key: "dashboard" | "models" | "knowledge" | "agents" | "apps" | "chat" | "settings";
  path: string;
  icon: ReactNode;
}

export const NAV_ITEMS: NavItem[] = [
  { key: "dashboard", path: "/dashboard", icon: <DashboardOutlined /> },
  { key: "models", path: "/models", icon: <DeploymentUnitOutlined /> },
  { key: "knowledge", path: "/knowledge", icon: <BookOutlined /> },
  { key: "agents", path: "/agents", icon: <RobotOutlined /> },
  { key: "apps", path: "/apps", icon: <AppstoreOutlined /> },
  { key: "chat", path: "/chat", icon: <MessageOutlined /> },
  { key: "settings", path: "/settings", icon: <SettingOutlined /> },
];
