/**
 * The workflow routes of an agent (issue 14): the draft is the agent's `config.workflow`, saved through the agents
 * API; a run streams Dify-shaped events; validate answers the graph's problems.
 */
import { request, wsPaths, type AgentConfig, type AgentPublic } from "../../api/agents";
import { ApiError, CSRF_HEADER, reportUnauthorized, retryAfterOf } from "../../api/client";
import { SseParser } from "../../api/sse";
import type { Graph, Problem, WorkflowMode } from "./model";

/** An agent's config when it is a workflow: the agent's settings plus its mode and graph. */
export type WorkflowConfig = AgentConfig & { mode?: "agent" | WorkflowMode; workflow?: Graph };

export type WorkflowAgent = AgentPublic & { config: WorkflowConfig; problems?: Problem[] };

export const isWorkflow = (agent: Pick<AgentPublic, "config">): boolean => {
  const mode = (agent.config as WorkflowConfig).mode;
  return mode === "workflow" || mode === "chatflow";
};

export function workflowPaths(ws: string, agentId: string) {
  const base = `${wsPaths(ws).agent(agentId)}/workflow`;
  const run = (id: string) => `${base}/runs/${encodeURIComponent(id)}`;
  return { run: `${base}/run`, validate: `${base}/validate`, runDetail: run, stop: (id: string) => `${run(id)}/stop` };
}

/** Saves the draft: the whole config, its graph included; the answer carries the graph's problems. */
export function saveDraft(ws: string, agentId: string, config: WorkflowConfig): Promise<WorkflowAgent> {
  return request<WorkflowAgent>("PATCH", wsPaths(ws).agent(agentId), { config });
}

export async function validate(ws: string, agentId: string, graph: Graph): Promise<Problem[]> {
  const answer = await request<{ problems: Problem[] }>("POST", workflowPaths(ws, agentId).validate, { graph });
  return answer.problems ?? [];
}

/** One event of a run, as Dify streams them (`event` and its `data`). */
export interface RunEvent {
  event: string;
  task_id?: string;
  workflow_run_id?: string;
  data?: Record<string, unknown>;
  // chatflow message events and errors carry their fields at the top
  answer?: string;
  code?: string;
  message?: string;
  status?: number;
}

/**
 * Runs the saved draft with test inputs and calls `onEvent` for each event as it arrives. Resolves when the stream
 * ends; throws an ApiError when the server refuses the run, or the AbortError of `signal` (which stops the run).
 */
export async function runWorkflow(
  ws: string,
  agentId: string,
  body: { inputs: Record<string, unknown>; query?: string },
  onEvent: (e: RunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(workflowPaths(ws, agentId).run, {
    method: "POST",
    credentials: "same-origin",
    headers: { ...CSRF_HEADER, "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    if (response.status === 401) reportUnauthorized();
    const err: unknown = await response.json().catch(() => undefined);
    throw new ApiError(response.status, err, retryAfterOf(response.headers.get("Retry-After")));
  }
  if (response.body === null) throw new ApiError(response.status, undefined, null);
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  const handle = (data: string) => {
    try {
      const e = JSON.parse(data) as RunEvent;
      if (e && typeof e === "object" && typeof e.event === "string") onEvent(e);
    } catch {
      /* a keep-alive or something newer than this console */
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        for (const d of [...parser.push(decoder.decode()), ...parser.flush()]) handle(d);
        break;
      }
      for (const d of parser.push(decoder.decode(value, { stream: true }))) handle(d);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
