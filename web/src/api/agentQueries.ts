import { keepPreviousData, useQuery } from "@tanstack/react-query";
import {
  request,
  wsPaths,
  type AgentPublic,
  type AgentTemplate,
  type AgentVersionPublic,
  type ConversationDetail,
  type ConversationPublic,
  type List,
  type ToolInfo,
  type ToolProviderPublic,
} from "./agents";
import { queryKeys } from "./queries";

export function useAgents(ws: string) {
  return useQuery({
    queryKey: queryKeys.agents(ws),
    queryFn: () => request<List<AgentPublic>>("GET", wsPaths(ws).agents),
  });
}

export function useAgent(ws: string, id: string) {
  return useQuery({
    queryKey: queryKeys.agent(ws, id),
    queryFn: () => request<AgentPublic>("GET", wsPaths(ws).agent(id)),
    // The builder's form is the draft while it is open: a refetch must not overwrite what is being typed.
    staleTime: Infinity,
    gcTime: 0,
  });
}

export function useAgentVersions(ws: string, id: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.agentVersions(ws, id),
    queryFn: () => request<List<AgentVersionPublic>>("GET", `${wsPaths(ws).agent(id)}/versions`),
    enabled,
  });
}

export function useAgentTemplates(ws: string, lang: string, enabled = true) {
  return useQuery({
    queryKey: queryKeys.agentTemplates(ws, lang),
    queryFn: () => request<List<AgentTemplate>>("GET", wsPaths(ws).templates(lang)),
    staleTime: 5 * 60_000,
    enabled,
  });
}

export function useTools(ws: string) {
  return useQuery({
    queryKey: queryKeys.tools(ws),
    queryFn: () => request<List<ToolInfo>>("GET", wsPaths(ws).tools),
    staleTime: 30_000,
  });
}

export function useToolProviders(ws: string) {
  return useQuery({
    queryKey: queryKeys.toolProviders(ws),
    queryFn: () => request<List<ToolProviderPublic>>("GET", wsPaths(ws).providers),
  });
}

export function useConversations(ws: string, params: { agent_id?: string; q?: string; limit?: number }) {
  const query = new URLSearchParams();
  if (params.agent_id) query.set("agent_id", params.agent_id);
  if (params.q) query.set("q", params.q);
  query.set("limit", String(params.limit ?? 100));
  return useQuery({
    queryKey: queryKeys.conversationList(ws, params),
    queryFn: () => request<List<ConversationPublic>>("GET", `${wsPaths(ws).conversations}?${query.toString()}`),
    placeholderData: keepPreviousData,
  });
}

export function fetchConversation(ws: string, id: string): Promise<ConversationDetail> {
  return request<ConversationDetail>("GET", wsPaths(ws).conversation(id));
}
