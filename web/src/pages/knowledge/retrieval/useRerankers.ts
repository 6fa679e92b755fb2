import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type WorkspaceRef } from "../../../api/client";

/**
 * The models a reranker can be picked from: every model of the workspace's providers, as "provider/model".
 * Providers don't say which of their models rerank; the server answers clearly when one doesn't.
 */
export function useRerankers(workspace: WorkspaceRef) {
  const providers = useQuery({
    queryKey: ["workspaces", workspace.id, "providers"],
    queryFn: () => unwrap(api.GET("/api/workspaces/{workspace_id}/providers", { params: { path: { workspace_id: workspace.id } } })),
    staleTime: 60_000,
  });
  const models = (providers.data?.data ?? []).flatMap((p) => p.models.map((m) => `${p.name}/${m}`));
  return { models, loading: providers.isPending };
}
