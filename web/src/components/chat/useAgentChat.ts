import { useCallback, useMemo } from "react";
import { streamAgentChat } from "../../api/agentChat";
import { fetchConversation } from "../../api/agentQueries";
import { request, wsPaths, type ChatFile, type ChatRequest, type ConversationDetail, type ConversationPublic, type HumanInputReply, type MessagePublic } from "../../api/agents";
import { draftMessage, useChatSession, type ChatMessage, type ChatServer } from "./useChatSession";

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
 * One conversation with an agent in the console: its messages (the branch shown), sending and streaming answers,
 * stop, regenerate, edit-and-resend, switching branches and feedback.
 */
export function useAgentChat({ workspaceId, agentId, preview = false, onConversation, beforeSend }: Options) {
  const paths = useMemo(() => wsPaths(workspaceId), [workspaceId]);
  const server = useMemo<ChatServer>(
    () => ({
      conversation: (id) => fetchConversation(workspaceId, id),
      stream: (path, body, onEvent, signal) => streamAgentChat(path, body, onEvent, signal),
      stop: (task) => request("POST", paths.stop(task)),
      rate: (cid, messageId, rating, comment) =>
        request<MessagePublic>("POST", `${paths.conversation(cid)}/messages/${encodeURIComponent(messageId)}/feedback`, comment ? { rating, comment } : { rating }),
    }),
    [paths, workspaceId],
  );
  const session = useChatSession(server, { agentId, onConversation, beforeSend, reloadAfterAnswer: true });
  const { conversation, messages, streaming, run, conversationId, setConversation, setMessages } = session;

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
    [agentId, conversation, conversationId, messages, paths, preview, run, streaming],
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
      await run(`${paths.agent(target)}/chat`, body, messages, user, { refusable: true });
    },
    [agentId, conversation, conversationId, messages, paths, preview, run, streaming],
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
    [conversationId, messages, paths, run, streaming],
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
    [agentId, conversation, conversationId, messages, paths, preview, run, streaming],
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
    [conversationId, paths, setConversation, setMessages, streaming],
  );

  return {
    conversation,
    conversationId: conversation?.id ?? null,
    messages,
    streaming,
    loading: session.loading,
    loadError: session.loadError,
    load: session.load,
    reset: session.reset,
    send,
    respond,
    regenerate,
    edit,
    showBranch,
    rate: session.rate,
    stop: session.stop,
  };
}

export type AgentChat = ReturnType<typeof useAgentChat>;
