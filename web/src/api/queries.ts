import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";

export const queryKeys = {
  me: ["me"] as const,
  users: ["users"] as const,
  workspaces: ["workspaces"] as const,
  members: (ws: string) => ["workspaces", ws, "members"] as const,
  apiKeys: (ws: string) => ["workspaces", ws, "api-keys"] as const,
  audit: (ws: string | null) => ["audit", ws ?? "all"] as const,
};

export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    staleTime: 30_000,
  });
}
