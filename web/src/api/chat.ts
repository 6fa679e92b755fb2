import { ApiError, CSRF_HEADER, reportUnauthorized, retryAfterOf } from "./client";
import { SseParser } from "./sse";

export interface ChatTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatRequest {
  model: string;
  messages: ChatTurn[];
  temperature?: number;
  max_tokens?: number;
}

export interface ChatResult {
  finishReason: string | null;
  usage: ChatUsage | null;
  /** Milliseconds from sending to the first token, and to the end. */
  ttftMs: number | null;
  latencyMs: number;
}

interface ChunkBody {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: ChatUsage | null;
  error?: { message?: string; code?: string; type?: string };
}

/**
 * Streams a reply from the OpenAI-compatible gateway (`POST /v1/chat/completions`, `stream: true`),
 * calling `onText` with each piece as it arrives. The console's session cookie authenticates it.
 * Throws an ApiError with the server's message (OpenAI's error shape), or the AbortError of `signal`.
 */
export async function streamChat(
  request: ChatRequest,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<ChatResult> {
  const started = performance.now();
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    credentials: "same-origin",
    headers: { ...CSRF_HEADER, "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!response.ok) {
    if (response.status === 401) reportUnauthorized();
    const body: unknown = await response.json().catch(() => undefined);
    throw new ApiError(response.status, body, retryAfterOf(response.headers.get("Retry-After")));
  }
  if (response.body === null) throw new ApiError(response.status, undefined, null);

  const result: ChatResult = { finishReason: null, usage: null, ttftMs: null, latencyMs: 0 };
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let finished = false;

  const handle = (data: string) => {
    if (data === "[DONE]") {
      finished = true;
      return;
    }
    let chunk: ChunkBody;
    try {
      chunk = JSON.parse(data) as ChunkBody;
    } catch {
      return; // not ours to understand: skip it like an unknown event
    }
    // An error after the stream started arrives as an event of its own, in OpenAI's error shape.
    if (chunk.error) throw new ApiError(500, chunk, null);
    if (chunk.usage) result.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      const text = choice.delta?.content;
      if (text) {
        result.ttftMs ??= Math.round(performance.now() - started);
        onText(text);
      }
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
  };

  try {
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) {
        for (const data of [...parser.push(decoder.decode()), ...parser.flush()]) handle(data);
        break;
      }
      for (const data of parser.push(decoder.decode(value, { stream: true }))) {
        handle(data);
        if (finished) break;
      }
    }
  } finally {
    // Stops the download (and so the generation) when we leave early: an error event, a bad chunk, an abort.
    reader.cancel().catch(() => undefined);
  }
  if (!finished && result.finishReason === null) {
    throw new ApiError(502, { error: { code: "stream_interrupted" } }, null);
  }
  result.latencyMs = Math.round(performance.now() - started);
  return result;
}
