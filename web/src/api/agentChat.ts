import type { Citation, ConversationPublic, MessagePublic, Step } from "./agents";
import { ApiError, CSRF_HEADER, reportUnauthorized, retryAfterOf } from "./client";
import { SseParser } from "./sse";

/** The events of an agent's answer stream (docs/agents-api.md, "SSE"). */
export type ChatEvent =
  | { event: "start"; task_id: string; conversation_id: string; message_id: string; user_message_id: string }
  | { event: "step_start"; step: Step }
  | { event: "step_end"; step: Step }
  | { event: "text"; text: string }
  | { event: "citations"; citations: Citation[] }
  | { event: "end"; message: MessagePublic; conversation: ConversationPublic }
  | { event: "error"; code: string; message: string };

const KNOWN = new Set(["start", "step_start", "step_end", "text", "citations", "end", "error"]);

/**
 * POSTs `body` as JSON to a console chat endpoint and calls `onEvent` with each event of the answer as it
 * arrives. Resolves when the stream has said how the answer ended (`end`, which follows an `error` too, or an
 * `error` alone when the answer could not be stored); throws an ApiError when the server refuses the
 * request, a `stream_interrupted` ApiError when the stream breaks off, or the AbortError of `signal`.
 * Aborting closes the connection, which the server takes as "stop".
 */
export async function streamAgentChat(
  path: string,
  body: object,
  onEvent: (event: ChatEvent) => void,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<void> {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { ...CSRF_HEADER, ...headers, "Content-Type": "application/json", Accept: "text/event-stream" },
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
  let finished = false;
  let failed = false;
  const handle = (data: string) => {
    let event: ChatEvent;
    try {
      event = JSON.parse(data) as ChatEvent;
    } catch {
      return; // a keep-alive or something newer than this console: skip it
    }
    if (typeof event !== "object" || event === null || !KNOWN.has(event.event)) return;
    if (event.event === "end") finished = true;
    if (event.event === "error") failed = true;
    onEvent(event);
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        for (const data of [...parser.push(decoder.decode()), ...parser.flush()]) handle(data);
        break;
      }
      for (const data of parser.push(decoder.decode(value, { stream: true }))) handle(data);
      if (finished) break;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  if (!finished && !failed) throw new ApiError(502, { error: { code: "stream_interrupted" } }, null);
}
