import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap, type ModelPublic } from "./client";
import type { Hardware, HardwareHistory } from "./hardware";

export const queryKeys = {
  me: ["me"] as const,
  users: ["users"] as const,
  workspaces: ["workspaces"] as const,
  members: (ws: string) => ["workspaces", ws, "members"] as const,
  apiKeys: (ws: string) => ["workspaces", ws, "api-keys"] as const,
  audit: (ws: string | null) => ["audit", ws ?? "all"] as const,
  models: ["models"] as const,
  modelLogs: (id: string) => ["models", id, "logs"] as const,
  modelFit: (id: string, params: object) => ["models", id, "fit", params] as const,
  knowledgeBases: (ws: string) => ["workspaces", ws, "knowledge-bases"] as const,
  documents: (ws: string, kb: string) => ["workspaces", ws, "knowledge-bases", kb, "documents"] as const,
  chunks: (ws: string, kb: string, doc: string, page: number) =>
    ["workspaces", ws, "knowledge-bases", kb, "documents", doc, "chunks", page] as const,
  agents: (ws: string) => ["workspaces", ws, "agents"] as const,
  agent: (ws: string, id: string) => ["workspaces", ws, "agents", id] as const,
  agentVersions: (ws: string, id: string) => ["workspaces", ws, "agents", id, "versions"] as const,
  agentTemplates: (ws: string, lang: string) => ["workspaces", ws, "agent-templates", lang] as const,
  tools: (ws: string) => ["workspaces", ws, "tools"] as const,
  toolProviders: (ws: string) => ["workspaces", ws, "tool-providers"] as const,
  conversations: (ws: string) => ["workspaces", ws, "conversations"] as const,
  conversationList: (ws: string, params: object) => ["workspaces", ws, "conversations", "list", params] as const,
  conversation: (ws: string, id: string) => ["workspaces", ws, "conversations", id] as const,
  hardware: ["hardware"] as const,
  hardwareHistory: (minutes: number) => ["hardware", "history", minutes] as const,
};

/** The server samples the hardware every 5 seconds; the dashboard follows at the same pace. */
export const HARDWARE_REFRESH_MS = 5000;

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

/** The model list; `every` ms re-reads it on a fixed beat (the dashboard), else only while deployments change. */
export function useModels(every?: number) {
  return useQuery({
    queryKey: queryKeys.models,
    queryFn: () => unwrap(api.GET("/api/models")),
    refetchInterval: (query) => every ?? modelsPollInterval(query.state.data?.data),
  });
}

/** What the box has and its load now; `live` re-reads it every few seconds. */
export function useHardware(live = true) {
  return useQuery({
    queryKey: queryKeys.hardware,
    queryFn: async () => (await unwrap(api.GET("/api/hardware"))) as unknown as Hardware,
    refetchInterval: live ? HARDWARE_REFRESH_MS : false,
    staleTime: live ? 0 : 30_000,
  });
}

/** The samples of the last `minutes`, for the charts; keeps the old window on screen while a new one loads. */
export function useHardwareHistory(minutes: number) {
  return useQuery({
    queryKey: queryKeys.hardwareHistory(minutes),
    queryFn: async () =>
      (await unwrap(api.GET("/api/hardware/history", { params: { query: { minutes } } }))) as unknown as HardwareHistory,
    refetchInterval: HARDWARE_REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}
