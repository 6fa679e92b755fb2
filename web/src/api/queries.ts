import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type ModelPublic } from "./client";

export const queryKeys = {
  me: ["me"] as const,
  users: ["users"] as const,
  workspaces: ["workspaces"] as const,
  members: (ws: string) => ["workspaces", ws, "members"] as const,
  apiKeys: (ws: string) => ["workspaces", ws, "api-keys"] as const,
  audit: (ws: string | null) => ["audit", ws ?? "all"] as const,
  models: ["models"] as const,
  modelLogs: (id: string) => ["models", id, "logs"] as const,
};

export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    staleTime: 30_000,
  });
}

/** How often to re-read the list: quickly while a deployment starts, slowly while one is failing and retried. */
export function modelsPollInterval(models: ModelPublic[] | undefined): number | false {
  const running = (models ?? []).flatMap((m) => (m.deployment?.desired === "running" ? [m.deployment.status] : []));
  if (running.includes("starting")) return 2000;
  if (running.includes("failed")) return 5000;
  return false;
}

export function useModels() {
  return useQuery({
    queryKey: queryKeys.models,
    queryFn: () => unwrap(api.GET("/api/models")),
    refetchInterval: (query) => modelsPollInterval(query.state.data?.data),
  });
}
