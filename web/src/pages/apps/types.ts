import type { AppPublic } from "../../api/apps";
import type { WorkspaceRef } from "../../api/client";

/** What every pane of an app's page gets. */
export interface AppPaneProps {
  workspace: WorkspaceRef;
  app: AppPublic;
  editor: boolean;
}
