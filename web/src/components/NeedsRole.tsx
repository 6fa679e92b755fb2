import { Alert } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { WorkspaceRef } from "../api/client";
import { canManage } from "./roles";
import { useWorkspace } from "./workspace";

/**
 * Renders its children with the current workspace when the caller is its owner or admin,
 * and a short note otherwise (the server refuses anyway).
 */
export function NeedsManager({ children }: { children: (workspace: WorkspaceRef) => ReactNode }) {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  if (workspace === null) return <Alert type="info" showIcon title={t("workspace.none")} />;
  if (!canManage(workspace.role)) {
    return <Alert type="info" showIcon title={t("settings.managersOnly", { workspace: workspace.name })} />;
  }
  return <>{children(workspace)}</>;
}
