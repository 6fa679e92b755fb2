import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { ChatEvent } from "../../api/agentChat";
import type { ChatFile, ConversationDetail, ConversationPublic, MessagePublic, Rating, Step } from "../../api/agents";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../api/errors";

/** A message as the chat shows it: a stored one, or one still streaming in (`live`). */
export interface ChatMessage extends MessagePublic {
  live?: boolean;
  /** Steps whose tool is still running (between step_start and step_end). */
  running?: Step[];
}

/** What a chat needs from its server: the console's workspace API, or a published web app's. */
export interface ChatServer {
  conversation(id: string): Promise<ConversationDetail>;
  /** POSTs `body` to `path` and calls `onEvent` with each event of the answer (see `streamAgentChat`). */
  stream(path: string, body: object, onEvent: (event: ChatEvent) => void, signal: AbortSignal): Promise<void>;
  stop(taskId: string): Promise<unknown>;
  rate(conversationId: string, messageId: string, rating: Rating | null, comment?: string): Promise<MessagePublic>;
}

export interface SessionOptions {
  /** The agent a new conversation talks to (what a conversation made by the first answer records). */
  agentId?: string | null;
  /** Called when an answer ends: the conversation was created, or its title or time changed. */
  onConversation?: (conversation: ConversationPublic) => void;
  /** Awaited before each request (the builder saves a pending draft first). */
  beforeSend?: () => Promise<void>;
  /** Read the stored branch again after each answer (sibling lists, the user message's files). */
  reloadAfterAnswer?: boolean;
}

export interface TurnOptions {
  /** A request the server refuses outright is taken back (the messages as they were) and its error thrown,
   * instead of being shown as a failed answer. */
  refusable?: boolean;
  /** Called when the answer has ended, after it is shown. */
  onEnd?: () => void;
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === "AbortError";

/** The server said no before any answer began (409 when the form was answered meanwhile, 429, 422…). */
const isRefusal = (err: unknown) => err instanceof ApiError && err.code !== "stream_interrupted";

let localIds = 0;

/** A message not stored yet: the question just sent, or the answer about to stream in. */
export function draftMessage(role: "user" | "assistant", content: string, parentId: string | null, files: ChatFile[] = []): ChatMessage {
  return {
    id: `local-${role}-${++localIds}`,
    conversation_id: "",
    parent_id: parentId,
    role,
    content,
    status: "ok",
    error: null,
    steps: [],
    citations: [],
    files,
    suggested: [],
    model: null,
    usage: null,
    latency_ms: null,
    rating: null,
    feedback: null,
    created_at: new Date().toISOString(),
    siblings: [],
    live: role === "assistant",
  };
}

/**
 * The state of one conversation and the streaming of its answers, whichever server it talks to: loading a
 * conversation, one turn streamed into a new assistant message (`run`), stop, feedback. The console's chat and a
 * web app's build their actions on it. Text deltas are applied once per animation frame, so a fast stream
 * re-renders the Markdown at most 60 times a second. `server` must be stable across renders.
 */
export function useChatSession(server: ChatServer, { agentId = null, onConversation, beforeSend, reloadAfterAnswer = false }: SessionOptions = {}) {
  const { t } = useTranslation();
  const [conversation, setConversation] = useState<ConversationDetail | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const taskId = useRef<string | null>(null);
  const pendingText = useRef("");
  const frame = useRef<number | null>(null);
  const liveId = useRef<string | null>(null);
  /** The conversation's id as soon as the server names it (before `conversation` re-renders). */
  const conversationId = useRef<string | null>(null);
  const loadSeq = useRef(0);
  const onConversationRef = useRef(onConversation);
  onConversationRef.current = onConversation;
  const beforeSendRef = useRef(beforeSend);
  beforeSendRef.current = beforeSend;

  // Leaving stops an answer in progress (closing the stream stops it on the server too).
  useEffect(() => () => abort.current?.abort(), []);

  const patch = useCallback((id: string, change: (m: ChatMessage) => ChatMessage) => {
    setMessages((prev) => prev.map((m) => (m.id === id ? change(m) : m)));
  }, []);

  const flushText = useCallback(() => {
    frame.current = null;
    const text = pendingText.current;
    const id = liveId.current;
    pendingText.current = "";
    if (text && id) patch(id, (m) => ({ ...m, content: m.content + text }));
  }, [patch]);

  const endText = useCallback(() => {
    if (frame.current !== null) window.cancelAnimationFrame(frame.current);
    flushText();
  }, [flushText]);

  /** Shows a stored conversation; `quiet` refreshes the one shown, without a spinner and without stopping it. */
  const load = useCallback(
    async (id: string, quiet = false) => {
      const seq = ++loadSeq.current;
      if (!quiet) {
        abort.current?.abort(); // another conversation: the answer streaming into this one stops
        setLoading(true);
        setLoadError(null);
      }
      try {
        const detail = await server.conversation(id);
        if (seq !== loadSeq.current) return;
        conversationId.current = detail.id;
        setConversation(detail);
        setMessages(detail.messages);
      } catch (err) {
        if (seq === loadSeq.current && !quiet) setLoadError(errorMessage(err, t));
      } finally {
        if (seq === loadSeq.current) setLoading(false);
      }
    },
    [server, t],
  );

  /** A fresh conversation: nothing shown, the next message starts a new one. */
  const reset = useCallback(() => {
    abort.current?.abort();
    loadSeq.current++;
    conversationId.current = null;
    setConversation(null);
    setMessages([]);
    setLoadError(null);
    setLoading(false);
  }, []);

  /** Streams one answer from `path` into a new assistant message placed after `prefix` (and `userMessage`). */
  const run = useCallback(
    async (path: string, body: { inputs?: Record<string, unknown> }, prefix: ChatMessage[], userMessage: ChatMessage | null, opts: TurnOptions = {}) => {
      const reply = draftMessage("assistant", "", userMessage?.id ?? null);
      liveId.current = reply.id;
      let userId = userMessage?.id ?? null;
      setMessages([...prefix, ...(userMessage ? [userMessage] : []), reply]);
      setStreaming(true);
      const controller = new AbortController();
      abort.current = controller;
      taskId.current = null;
      let replyId = reply.id;
      let ended = false;
      let heard = false;
      let refused: unknown = null;

      const onEvent = (event: ChatEvent) => {
        heard = true;
        switch (event.event) {
          case "start": {
            taskId.current = event.task_id;
            const newConversation = conversationId.current !== event.conversation_id;
            conversationId.current = event.conversation_id;
            const oldReply = replyId;
            const oldUser = userId;
            replyId = event.message_id;
            liveId.current = replyId;
            if (oldUser && event.user_message_id) userId = event.user_message_id;
            setMessages((prev) =>
              prev.map((m) => {
                if (m.id === oldReply) return { ...m, id: replyId, conversation_id: event.conversation_id, parent_id: userId ?? m.parent_id };
                if (oldUser && m.id === oldUser) return { ...m, id: userId ?? m.id, conversation_id: event.conversation_id };
                return m;
              }),
            );
            if (newConversation) {
              const now = new Date().toISOString();
              setConversation((c) =>
                c && c.id === event.conversation_id
                  ? c
                  : { id: event.conversation_id, agent_id: agentId ?? "", agent_version: null, title: "", created_at: now, updated_at: now, inputs: body.inputs ?? {}, messages: [] },
              );
            }
            break;
          }
          case "step_start":
            patch(replyId, (m) => ({ ...m, running: [...(m.running ?? []).filter((s) => s.index !== event.step.index), event.step] }));
            break;
          case "step_end":
            patch(replyId, (m) => ({
              ...m,
              running: (m.running ?? []).filter((s) => s.index !== event.step.index),
              steps: [...m.steps.filter((s) => s.index !== event.step.index), event.step].sort((a, b) => a.index - b.index),
            }));
            break;
          case "text":
            pendingText.current += event.text;
            frame.current ??= window.requestAnimationFrame(flushText);
            break;
          case "citations":
            patch(replyId, (m) => ({ ...m, citations: event.citations }));
            break;
          case "end":
            ended = true;
            endText();
            patch(replyId, () => ({ ...event.message, live: false }));
            opts.onEnd?.();
            setConversation((c) => (c ? { ...c, ...event.conversation } : c));
            onConversationRef.current?.(event.conversation);
            break;
          case "error":
            ended = true;
            endText();
            patch(replyId, (m) => ({ ...m, live: false, running: [], status: "error", error: { code: event.code, message: event.message } }));
            break;
        }
      };

      try {
        if (beforeSendRef.current) await beforeSendRef.current();
        await server.stream(path, body, onEvent, controller.signal);
      } catch (err) {
        endText();
        if (isAbort(err)) {
          patch(replyId, (m) => ({ ...m, live: false, running: [], status: "stopped" }));
          // Closing the stream stops the answer; the explicit stop frees the model slot at once.
          if (taskId.current) void server.stop(taskId.current).catch(() => undefined);
        } else if (opts.refusable && !heard && isRefusal(err)) {
          refused = err;
          setMessages(prefix);
        } else {
          const message = errorMessage(err, t);
          patch(replyId, (m) => ({ ...m, live: false, running: [], status: "error", error: { message } }));
        }
      } finally {
        if (abort.current === controller) abort.current = null;
        liveId.current = null;
        setStreaming(false);
      }
      const cid = conversationId.current;
      if (refused !== null) {
        // What changed meanwhile (the form answered in another tab) is shown as stored.
        if (cid) void load(cid, true);
        throw refused;
      }
      // The stored branch is the truth; a stopped answer is stored a moment after its stream closes.
      if (cid && ((ended && reloadAfterAnswer) || (!ended && taskId.current))) {
        window.setTimeout(() => {
          if (conversationId.current === cid && abort.current === null) void load(cid, true);
        }, ended ? 0 : 400);
      }
    },
    [agentId, endText, flushText, load, patch, reloadAfterAnswer, server, t],
  );

  const rate = useCallback(
    async (message: ChatMessage, rating: Rating | null, comment?: string) => {
      const cid = conversationId.current;
      if (!cid) return;
      const saved = await server.rate(cid, message.id, rating, comment);
      patch(message.id, (m) => ({ ...m, rating: saved.rating, feedback: saved.feedback }));
    },
    [patch, server],
  );

  /**
   * Asks the server to stop the answer, which then ends the stream with the partial answer stored as "stopped";
   * closing the stream is the fallback (before the task id is known, or when the server doesn't end it soon).
   */
  const stop = useCallback(() => {
    const controller = abort.current;
    if (!controller) return;
    const task = taskId.current;
    if (!task) {
      controller.abort();
      return;
    }
    void server.stop(task).catch(() => controller.abort());
    window.setTimeout(() => {
      if (abort.current === controller) controller.abort();
    }, 3000);
  }, [server]);

  return { conversation, setConversation, messages, setMessages, streaming, loading, loadError, conversationId, patch, load, reset, run, rate, stop };
}
