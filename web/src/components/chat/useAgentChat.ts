import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { streamAgentChat, type ChatEvent } from "../../api/agentChat";
import { fetchConversation } from "../../api/agentQueries";
import {
  request,
  wsPaths,
  type ChatFile,
  type ChatRequest,
  type ConversationDetail,
  type ConversationPublic,
  type HumanInputReply,
  type MessagePublic,
  type Rating,
  type Step,
} from "../../api/agents";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../api/errors";

/** A message as the chat shows it: a stored one, or one still streaming in (`live`). */
export interface ChatMessage extends MessagePublic {
  live?: boolean;
  /** Steps whose tool is still running (between step_start and step_end). */
  running?: Step[];
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === "AbortError";

/** The server said no before any answer began (409 when the form was answered meanwhile, 429, 422…). */
export const isRefusal = (err: unknown) => err instanceof ApiError && err.code !== "stream_interrupted";

let localIds = 0;
const localId = (role: string) => `local-${role}-${++localIds}`;

function draftMessage(role: "user" | "assistant", content: string, parentId: string | null, files: ChatFile[] = []): ChatMessage {
  return {
    id: localId(role),
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

interface Options {
  workspaceId: string;
  /** The agent new conversations talk to; a loaded conversation keeps its own. */
  agentId: string | null;
  /** The builder's preview: the draft answers instead of the published version. */
  preview?: boolean;
  /** Called when a conversation is created or its title changes (the history re-reads its list). */
  onConversation?: (conversation: ConversationPublic) => void;
  /** Awaited before each request (the builder saves a pending draft first). */
  beforeSend?: () => Promise<void>;
}

/**
 * One conversation with an agent: its messages (the branch shown), sending and streaming answers, stop,
 * regenerate, edit-and-resend, switching branches and feedback. Text deltas are applied once per animation
 * frame, so a fast stream re-renders the Markdown at most 60 times a second.
 */
export function useAgentChat({ workspaceId, agentId, preview = false, onConversation, beforeSend }: Options) {
  const { t } = useTranslation();
  const paths = useMemo(() => wsPaths(workspaceId), [workspaceId]);
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

  const load = useCallback(
    async (id: string, quiet = false) => {
      const seq = ++loadSeq.current;
      if (!quiet) {
        abort.current?.abort(); // another conversation: the answer streaming into this one stops
        setLoading(true);
        setLoadError(null);
      }
      try {
        const detail = await fetchConversation(workspaceId, id);
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
    [workspaceId, t],
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

  /**
   * Streams one answer from `path` into a new assistant message placed after `prefix` (and `userMessage`).
   * `refusable`: a request the server refuses outright is taken back (the messages as they were) and its error
   * thrown, instead of being shown as a failed answer.
   */
  const run = useCallback(
    async (path: string, body: object, prefix: ChatMessage[], userMessage: ChatMessage | null, refusable = false) => {
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
              setConversation((c) =>
                c && c.id === event.conversation_id
                  ? c
                  : {
                      id: event.conversation_id,
                      agent_id: agentId ?? "",
                      agent_version: null,
                      title: "",
                      created_at: new Date().toISOString(),
                      updated_at: new Date().toISOString(),
                      inputs: (body as ChatRequest).inputs ?? {},
                      messages: [],
                    },
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
            if (frame.current !== null) window.cancelAnimationFrame(frame.current);
            flushText();
            patch(replyId, () => ({ ...event.message, live: false }));
            setConversation((c) => (c ? { ...c, ...event.conversation } : c));
            onConversationRef.current?.(event.conversation);
            break;
          case "error":
            ended = true;
            if (frame.current !== null) window.cancelAnimationFrame(frame.current);
            flushText();
            patch(replyId, (m) => ({ ...m, live: false, running: [], status: "error", error: { code: event.code, message: event.message } }));
            break;
        }
      };

      try {
        if (beforeSendRef.current) await beforeSendRef.current();
        await streamAgentChat(path, body, onEvent, controller.signal);
      } catch (err) {
        if (frame.current !== null) window.cancelAnimationFrame(frame.current);
        flushText();
        if (isAbort(err)) {
          patch(replyId, (m) => ({ ...m, live: false, running: [], status: "stopped" }));
          // Closing the stream stops the answer; the explicit stop frees the model slot at once.
          if (taskId.current) void request("POST", paths.stop(taskId.current)).catch(() => undefined);
        } else if (refusable && !heard && isRefusal(err)) {
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
      if (refused !== null) {
        // What changed meanwhile (the form answered in another tab) is shown as stored.
        if (conversationId.current) void load(conversationId.current, true);
        throw refused;
      }
      // The stored branch is the truth (sibling lists, the user message's files, a stopped answer's text).
      const cid = conversationId.current;
      if (cid && (ended || taskId.current)) {
        const delay = ended ? 0 : 400; // a stopped answer is stored a moment after the stream closes
        window.setTimeout(() => {
          if (conversationId.current === cid && abort.current === null) void load(cid, true);
        }, delay);
      }
    },
    [agentId, flushText, load, patch, paths, t],
  );

  const send = useCallback(
    (query: string, opts: { inputs?: Record<string, unknown>; files?: ChatFile[] } = {}) => {
      const target = conversation?.agent_id || agentId;
      if (streaming || !target) return;
      const last = messages[messages.length - 1];
      const user = draftMessage("user", query, last?.id ?? null, opts.files ?? []);
      user.live = false;
      const body: ChatRequest = {
        query,
        conversation_id: conversationId.current,
        inputs: conversationId.current ? (conversation?.inputs ?? opts.inputs ?? {}) : (opts.inputs ?? {}),
        preview,
        files: (opts.files ?? []).map((f) => f.id),
      };
      void run(`${paths.agent(target)}/chat`, body, messages, user);
    },
    [agentId, conversation, messages, paths, preview, run, streaming],
  );

  /**
   * Answers the form of the paused answer the conversation ends with: `query` (the button's title) is the question
   * shown, and the workflow goes on with `reply`. Rejects when the server refuses (the form was answered already).
   */
  const respond = useCallback(
    async (query: string, reply: HumanInputReply) => {
      const target = conversation?.agent_id || agentId;
      const cid = conversationId.current;
      if (streaming || !target || !cid) return;
      const last = messages[messages.length - 1];
      const user = { ...draftMessage("user", query, last?.id ?? null), live: false };
      const body: ChatRequest = {
        query,
        conversation_id: cid,
        inputs: conversation?.inputs ?? {},
        preview,
        parent_id: last && !last.id.startsWith("local-") ? last.id : null,
        human_input: reply,
      };
      await run(`${paths.agent(target)}/chat`, body, messages, user, true);
    },
    [agentId, conversation, messages, paths, preview, run, streaming],
  );

  /** A new answer to the same question, shown instead of `message` (kept as its sibling). */
  const regenerate = useCallback(
    (message: ChatMessage) => {
      const cid = conversationId.current;
      if (streaming || !cid) return;
      const at = messages.findIndex((m) => m.id === message.id);
      if (at < 0) return;
      void run(`${paths.conversation(cid)}/messages/${encodeURIComponent(message.id)}/regenerate`, {}, messages.slice(0, at), null);
    },
    [messages, paths, run, streaming],
  );

  /** Sends an edited question as a new branch after the message the original followed. */
  const edit = useCallback(
    (message: ChatMessage, query: string) => {
      const cid = conversationId.current;
      const target = conversation?.agent_id || agentId;
      if (streaming || !cid || !target) return;
      const at = messages.findIndex((m) => m.id === message.id);
      if (at < 0) return;
      const user = draftMessage("user", query, message.parent_id, message.files);
      user.live = false;
      const body: ChatRequest = {
        query,
        conversation_id: cid,
        inputs: conversation?.inputs ?? {},
        preview,
        edit_of: message.id,
        files: message.files.map((f) => f.id),
      };
      void run(`${paths.agent(target)}/chat`, body, messages.slice(0, at), user);
    },
    [agentId, conversation, messages, paths, preview, run, streaming],
  );

  /** Shows the branch that goes through `messageId` (a sibling of a shown message). */
  const showBranch = useCallback(
    async (messageId: string) => {
      const cid = conversationId.current;
      if (streaming || !cid) return;
      const detail = await request<ConversationDetail>("POST", `${paths.conversation(cid)}/head`, { message_id: messageId });
      setConversation(detail);
      setMessages(detail.messages);
    },
    [paths, streaming],
  );

  const rate = useCallback(
    async (message: ChatMessage, rating: Rating | null, comment?: string) => {
      const cid = conversationId.current;
      if (!cid) return;
      const body: { rating: Rating | null; comment?: string } = { rating };
      if (comment) body.comment = comment;
      const saved = await request<MessagePublic>("POST", `${paths.conversation(cid)}/messages/${encodeURIComponent(message.id)}/feedback`, body);
      patch(message.id, (m) => ({ ...m, rating: saved.rating, feedback: saved.feedback }));
    },
    [patch, paths],
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
    void request("POST", paths.stop(task)).catch(() => controller.abort());
    window.setTimeout(() => {
      if (abort.current === controller) controller.abort();
    }, 3000);
  }, [paths]);

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
    regenerate,
    edit,
    showBranch,
    rate,
    stop,
  };
}

export type AgentChat = ReturnType<typeof useAgentChat>;
