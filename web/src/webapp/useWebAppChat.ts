import { useCallback } from "react";
import { streamAgentChat } from "../api/agentChat";
import type { ConversationPublic, HumanInputReply } from "../api/agents";
import type { AgentChat } from "../components/chat/useAgentChat";
import { draftMessage, useChatSession, type ChatServer } from "../components/chat/useChatSession";
import { call, getConversation, headers, paths, rateMessage } from "./api";

/** A published app's server, as the visitor's browser reaches it (the visitor's token in `headers()`). */
const server: ChatServer = {
  conversation: getConversation,
  stream: (path, body, onEvent, signal) => streamAgentChat(path, body, onEvent, signal, headers()),
  stop: (task) => call("POST", paths.stop(task)),
  rate: (_conversation, messageId, rating, comment) => rateMessage(messageId, rating, comment),
};

/**
 * A visitor's conversation with a published app, in the shape the console's ChatView draws (`AgentChat`): send,
 * stream, stop, rate, open an earlier conversation, answer a paused chatflow's form. A web app has no branches, edits
 * or regenerating: those are no-ops here and ChatView is told not to offer them.
 */
export function useWebAppChat(onConversation: (c: ConversationPublic) => void): AgentChat {
  const session = useChatSession(server, { onConversation });
  const { conversation, messages, streaming, conversationId, patch, run } = session;

  /**
   * One turn: `query` asked (with `humanInput`, the answer to the form the conversation waits on), the answer
   * streamed in. A form's answer that the server refuses is taken back and its error thrown.
   */
  const turn = useCallback(
    async (query: string, opts: { inputs?: Record<string, unknown> }, humanInput?: HumanInputReply) => {
      if (streaming) return;
      const last = messages[messages.length - 1];
      const user = { ...draftMessage("user", query, last?.id ?? null), live: false };
      const inputs = conversationId.current ? (conversation?.inputs ?? {}) : (opts.inputs ?? {});
      const body = { query, inputs, conversation_id: conversationId.current, ...(humanInput ? { human_input: humanInput } : {}) };
      // The answer whose form this turn answered waits no longer (as the server now stores it).
      const onEnd = humanInput && last ? () => patch(last.id, (m) => (m.status === "paused" ? { ...m, status: "ok", form: null } : m)) : undefined;
      await run(paths.chat, body, messages, user, { refusable: Boolean(humanInput), onEnd });
    },
    [conversation, conversationId, messages, patch, run, streaming],
  );

  const send = useCallback((query: string, opts: { inputs?: Record<string, unknown> } = {}) => void turn(query, opts), [turn]);
  const respond = useCallback((query: string, reply: HumanInputReply) => turn(query, {}, reply), [turn]);
  const none = useCallback(() => undefined, []);
  const noBranch = useCallback(async () => undefined, []);

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
    regenerate: none,
    edit: none,
    showBranch: noBranch,
    rate: session.rate,
    stop: session.stop,
  };
}
