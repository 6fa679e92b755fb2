import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import type { Me, WorkspaceRef } from "../api/client";

const STORAGE_KEY = "hezi.workspace";

interface WorkspaceState {
  me: Me;
  /** The workspace the console works in; null only for a user in no workspace at all. */
  workspace: WorkspaceRef | null;
  select: (id: string) => void;
}

const WorkspaceContext = createContext<WorkspaceState | null>(null);

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function WorkspaceProvider({ me, children }: { me: Me; children: ReactNode }) {
  const [selected, setSelected] = useState<string | null>(readStored);
  // A remembered workspace that was deleted, or that we were removed from, falls back to the first.
  const workspace = me.workspaces.find((w) => w.id === selected) ?? me.workspaces[0] ?? null;
  const select = useCallback((id: string) => {
    setSelected(id);
    try {
      window.localStorage.setItem(STORAGE_KEY, id);
    } catch {
      /* private mode: the choice lasts for this tab only */
    }
  }, []);
  const value = useMemo(() => ({ me, workspace, select }), [me, workspace, select]);
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspace(): WorkspaceState {
  const ctx = useContext(WorkspaceContext);
  if (ctx === null) throw new Error("useWorkspace outside WorkspaceProvider");
  return ctx;
}
