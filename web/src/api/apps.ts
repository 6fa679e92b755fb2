/**
 * Apps in the console (docs/apps.md): an agent's published version served as a web app, a widget and APIs; its
 * releases, keys, logs, annotations and analytics. Shapes come from the server's OpenAPI schema.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { request } from "./agents";
import type { Schemas } from "./client";

export type AppPublic = Schemas["AppPublic"];
export type AppCreate = Schemas["AppCreate"];
export type AppUpdate = Schemas["AppUpdate"];
export type Channels = Schemas["Channels"];
export type ReleasePublic = Schemas["ReleasePublic"];
export type LogConversation = Schemas["LogConversation"];
export type LogConversations = Schemas["LogConversations"];
export type LogConversationDetail = Schemas["LogConversationDetail"];
export type LogMessage = Schemas["LogMessage"];
export type AnnotationPublic = Schemas["AnnotationPublic"];
export type AnnotationSetting = Schemas["AnnotationSettingPublic"];
export type AnalyticsPublic = Schemas["AnalyticsPublic"];
export type AnalyticsDay = Schemas["AnalyticsDay"];
export type ApiKeyPublic = Schemas["ApiKeyPublic"];

export const CHANNELS = ["web_app", "widget", "api", "openai", "mcp"] as const;
export type Channel = (typeof CHANNELS)[number];

const enc = encodeURIComponent;

export function appPaths(ws: string, app?: string) {
  const apps = `/api/workspaces/${enc(ws)}/apps`;
  const base = app ? `${apps}/${enc(app)}` : apps;
  return {
    apps,
    app: base,
    release: `${base}/release`,
    rollback: `${base}/rollback`,
    releases: `${base}/releases`,
    keys: `${base}/keys`,
    key: (id: string) => `${base}/keys/${enc(id)}`,
    logs: `${base}/logs`,
    logsCsv: `${base}/logs.csv`,
    log: (id: string) => `${base}/logs/${enc(id)}`,
    annotations: `${base}/annotations`,
    annotation: (id: string) => `${base}/annotations/${enc(id)}`,
    annotationReply: `${base}/annotation-reply`,
    analytics: `${base}/analytics`,
  };
}

export const appKeys = {
  all: (ws: string) => ["workspaces", ws, "apps"] as const,
  app: (ws: string, id: string) => ["workspaces", ws, "apps", id] as const,
  releases: (ws: string, id: string) => ["workspaces", ws, "apps", id, "releases"] as const,
  keys: (ws: string, id: string) => ["workspaces", ws, "apps", id, "keys"] as const,
  logs: (ws: string, id: string, params: object) => ["workspaces", ws, "apps", id, "logs", params] as const,
  log: (ws: string, id: string, conv: string) => ["workspaces", ws, "apps", id, "log", conv] as const,
  annotations: (ws: string, id: string, params: object) => ["workspaces", ws, "apps", id, "annotations", params] as const,
  annotationReply: (ws: string, id: string) => ["workspaces", ws, "apps", id, "annotation-reply"] as const,
  analytics: (ws: string, id: string, params: object) => ["workspaces", ws, "apps", id, "analytics", params] as const,
};

/** `?a=1&b=2` of the params that are set. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The viewer's time zone: days in logs and analytics are theirs. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function useApps(ws: string) {
  return useQuery({ queryKey: appKeys.all(ws), queryFn: () => request<{ data: AppPublic[] }>("GET", appPaths(ws).apps) });
}

export function useApp(ws: string, id: string) {
  return useQuery({ queryKey: appKeys.app(ws, id), queryFn: () => request<AppPublic>("GET", appPaths(ws, id).app) });
}

export function useReleases(ws: string, id: string) {
  return useQuery({
    queryKey: appKeys.releases(ws, id),
    queryFn: () => request<{ data: ReleasePublic[] }>("GET", appPaths(ws, id).releases),
  });
}

export function useAppKeys(ws: string, id: string) {
  return useQuery({
    queryKey: appKeys.keys(ws, id),
    queryFn: () => request<{ data: ApiKeyPublic[]; count: number }>("GET", appPaths(ws, id).keys),
  });
}

export interface LogParams {
  start?: string;
  end?: string;
  end_user?: string;
  rating?: "like" | "dislike" | "any" | "none";
  annotated?: boolean;
  q?: string;
  page: number;
  limit: number;
}

export function logQuery(params: Omit<LogParams, "page" | "limit"> & Partial<Pick<LogParams, "page" | "limit">>): string {
  return queryString({ ...params, tz: TIME_ZONE });
}

export function useLogs(ws: string, id: string, params: LogParams) {
  return useQuery({
    queryKey: appKeys.logs(ws, id, params),
    queryFn: () => request<LogConversations>("GET", `${appPaths(ws, id).logs}${logQuery(params)}`),
    placeholderData: keepPreviousData,
  });
}

export function useLog(ws: string, id: string, conversation: string | null) {
  return useQuery({
    queryKey: appKeys.log(ws, id, conversation ?? ""),
    queryFn: () => request<LogConversationDetail>("GET", appPaths(ws, id).log(conversation ?? "")),
    enabled: conversation !== null,
  });
}

export function useAnnotations(ws: string, id: string, params: { q?: string; page: number; limit: number }) {
  return useQuery({
    queryKey: appKeys.annotations(ws, id, params),
    queryFn: () =>
      request<{ data: AnnotationPublic[]; count: number }>("GET", `${appPaths(ws, id).annotations}${queryString(params)}`),
    placeholderData: keepPreviousData,
  });
}

export function useAnnotationReply(ws: string, id: string) {
  return useQuery({
    queryKey: appKeys.annotationReply(ws, id),
    queryFn: () => request<AnnotationSetting>("GET", appPaths(ws, id).annotationReply),
  });
}

export function useAnalytics(ws: string, id: string, params: { start: string; end: string }) {
  return useQuery({
    queryKey: appKeys.analytics(ws, id, params),
    queryFn: () =>
      request<AnalyticsPublic>("GET", `${appPaths(ws, id).analytics}${queryString({ ...params, tz: TIME_ZONE })}`),
    placeholderData: keepPreviousData,
  });
}
