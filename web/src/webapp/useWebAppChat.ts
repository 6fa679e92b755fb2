import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { streamAgentChat, type ChatEvent } from "../api/agentChat";
import type { ConversationDetail, ConversationPublic, HumanInputReply, Rating } from "../api/agents";
import { errorMessage } from "../api/errors";
import { isRefusal, type AgentChat, type ChatMessage } from "../components/chat/useAgentChat";
import { call, getConversation, headers, paths, rateMessage } from "./api";

const isAbort = (err: unknown) => err instanceof DOMException && err.name === "AbortError";

let localIds = 0;

function draft(role: "user" | "assistant", content: string, parentId: string | null): ChatMessage {
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
    files: [],
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
 * A visitor's conversation with a published app, in the shape the console's ChatView draws (`AgentChat`): send,
 * stream, stop, rate, open an earlier conversation, answer a paused chatflow's form. A web app has no branches, edits
 * or regenerating: those are no-ops here and ChatView is told not to offer them. Text deltas are applied once per
 * animation frame.
 */
export function useWebAppChat(onConversation: (c: ConversationPublic) => void): AgentChat {
  const { t } = useTranslation();
  const [conversation, setConversation] = useState<ConversationDetail | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const taskId = useRef<string | null>(null);
  const pending = useRef("");
  const frame = useRef<number | null>(null);
  const liveId = useRef<string | null>(null);
  const conversationId = useRef<string | null>(null);
  const loadSeq = useRef(0);
  const onConversationRef = useRef(onConversation);
  onConversationRef.current = onConversation;

  useEffect(() => () => abort.current?.abort(), []);

  const patch = useCallback((id: string, change: (m: ChatMessage) => ChatMessage) => {
    setMessages((prev) => prev.map((m) => (m.id === id ? change(m) : m)));
  }, []);

  const flush = useCallback(() => {
    frame.current = null;
    const text = pending.current;
    pending.current = "";
    const id = liveId.current;
    if (text && id) patch(id, (m) => ({ ...m, content: m.content + text }));
  }, [patch]);

  const load = useCallback(
    async (id: string, quiet = false) => {
      const seq = ++loadSeq.current;
      if (!quiet) {
        abort.current?.abort();
        setLoading(true);
        setLoadError(null);
      }
      try {
        const detail = await getConversation(id);
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
    [t],
  );

  const reset = useCallback(() => {
    abort.current?.abort();
    loadSeq.current++;
    conversationId.current = null;
    setConversation(null);
    setMessages([]);
    setLoadError(null);
    setLoading(false);
  }, []);

  /**
   * One turn: `query` asked (with `humanInput`, the answer to the form the conversation waits on), the answer
   * streamed in. A form's answer that the server refuses is taken back and its error thrown.
   */
  const turn = useCallback(
    async (query: string, opts: { inputs?: Record<string, unknown> }, humanInput?: HumanInputReply) => {
      if (streaming) return;
      const last = messages[messages.length - 1];
      const user = { ...draft("user", query, last?.id ?? null), live: false };
      const reply = draft("assistant", "", user.id);
      let userId = user.id;
      let replyId = reply.id;
      liveId.current = replyId;
      setMessages([...messages, user, reply]);
      setStreaming(true);
      const controller = new AbortController();
      abort.current = controller;
      taskId.current = null;
      const inputs = conversationId.current ? (conversation?.inputs ?? {}) : (opts.inputs ?? {});
      const body = { query, inputs, conversation_id: conversationId.current, ...(humanInput ? { human_input: humanInput } : {}) };
      let ended = false;
      let heard = false;
      let refused: unknown = null;

      const onEvent = (event: ChatEvent) => {
        heard = true;
        switch (event.event) {
          case "start": {
            taskId.current = event.task_id;
            const fresh = conversationId.current !== event.conversation_id;
            conversationId.current = event.conversation_id;
            const [oldUser, oldReply] = [userId, replyId];
            userId = event.user_message_id;
            replyId = event.message_id;
            liveId.current = replyId;
            setMessages((prev) =>
              prev.map((m) => {
                if (m.id === oldReply) return { ...m, id: replyId, parent_id: userId, conversation_id: event.conversation_id };
                if (m.id === oldUser) return { ...m, id: userId, conversation_id: event.conversation_id };
                return m;
              }),
            );
            if (fresh) {
              const now = new Date().toISOString();
              setConversation({ id: event.conversation_id, agent_id: "", agent_version: null, title: "", created_at: now, updated_at: now, inputs, messages: [] });
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
            pending.current += event.text;
            frame.current ??= window.requestAnimationFrame(flush);
            break;
          case "citations":
            patch(replyId, (m) => ({ ...m, citations: event.citations }));
            break;
          case "end":
            ended = true;
            if (frame.current !== null) window.cancelAnimationFrame(frame.current);
            flush();
            patch(replyId, () => ({ ...event.message, live: false }));
            // The answer whose form this turn answered waits no longer (as the server now stores it).
            if (humanInput && last) patch(last.id, (m) => (m.status === "paused" ? { ...m, status: "ok", form: null } : m));
            setConversation((c) => (c ? { ...c, ...event.conversation } : c));
            onConversationRef.current(event.conversation);
            break;
          case "error":
            ended = true;
            if (frame.current !== null) window.cancelAnimationFrame(frame.current);
            flush();
            patch(replyId, (m) => ({ ...m, live: false, running: [], status: "error", error: { code: event.code, message: event.message } }));
            break;
        }
      };

      try {
        await streamAgentChat(paths.chat, body, onEvent, controller.signal, headers());
      } catch (err) {
        if (frame.current !== null) window.cancelAnimationFrame(frame.current);
        flush();
        if (isAbort(err)) {
          patch(replyId, (m) => ({ ...m, live: false, running: [], status: "stopped" }));
          if (taskId.current) void call("POST", paths.stop(taskId.current)).catch(() => undefined);
        } else if (humanInput && !heard && isRefusal(err)) {
          refused = err;
          setMessages(messages);
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
        if (cid) void load(cid, true); // what changed meanwhile (the form answered elsewhere), as stored
        throw refused;
      }
      if (cid && !ended && taskId.current) {
        // A stopped answer is stored a moment after its stream closes: show what was kept.
        window.setTimeout(() => {
          if (conversationId.current === cid && abort.current === null) void load(cid, true);
        }, 400);
      }
    },
    [conversation, flush, load, messages, patch, streaming, t],
  );

  const send = useCallback((query: string, opts: { inputs?: Record<string, unknown> } = {}) => void turn(query, opts), [turn]);
  const respond = useCallback((query: string, reply: HumanInputReply) => turn(query, {}, reply), [turn]);

  const rate = useCallback(
    async (message: ChatMessage, rating: Rating | null, comment?: string) => {
      const saved = await rateMessage(message.id, rating, comment);
      patch(message.id, (m) => ({ ...m, rating: saved.rating, feedback: saved.feedback }));
    },
    [patch],
  );

  const stop = useCallback(() => {
    const controller = abort.current;
    if (!controller) return;
    const task = taskId.current;
    if (!task) {
      controller.abort();
      return;
    }
    void call("POST", paths.stop(task)).catch(() => controller.abort());
    window.setTimeout(() => {
      if (abort.current === controller) controller.abort();
    }, 3000);
  }, []);

  const none = useCallback(() => undefined, []);
  const noBranch = useCallback(async () => undefined, []);

  return {
    conversation,
    conversationId: conversation?.id ?? null,
    messages,
    streaming,
    loading,
    loadError,
    load,
    reset,
    send,
    respond,
    regenerate: none,
    edit: none,
    showBranch: noBranch,
    rate,
    stop,
  };
}
