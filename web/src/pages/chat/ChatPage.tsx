import { HistoryOutlined, RobotOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Drawer, Empty, Flex, Grid, Select, Tag, Typography, theme } from "antd";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useAgents, useAgentVersions } from "../../api/agentQueries";
import type { WorkspaceRef } from "../../api/client";
import { queryKeys } from "../../api/queries";
import { AgentAvatar } from "../../components/agents/AgentAvatar";
import { ChatView, type ChatAgent } from "../../components/chat/ChatView";
import { useAgentChat } from "../../components/chat/useAgentChat";
import { useWorkspace } from "../../components/workspace";
import { HistorySidebar } from "./HistorySidebar";

const AGENT_KEY = "hezi.chat.agent";

function rememberedAgent(): string | null {
  try {
    return window.localStorage.getItem(AGENT_KEY);
  } catch {
    return null;
  }
}

/** Chat with the workspace's published agents: history on the left, the conversation on the right. */
export function ChatPage() {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  if (workspace === null) return <Alert type="info" showIcon title={t("workspace.none")} />;
  return <WorkspaceChat workspace={workspace} key={workspace.id} />;
}

function WorkspaceChat({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { conversationId: param } = useParams();
  const [search] = useSearchParams();
  const screens = Grid.useBreakpoint();
  const narrow = !screens.md;
  const [historyOpen, setHistoryOpen] = useState(false);
  const agents = useAgents(workspace.id);
  const published = useMemo(() => (agents.data?.data ?? []).filter((a) => a.published_version !== null), [agents.data]);
  const [chosen, setChosen] = useState<string | null>(() => search.get("agent") ?? rememberedAgent());

  const picked = published.some((a) => a.id === chosen) ? chosen : (published[0]?.id ?? null);
  const live = useAgentChat({
    workspaceId: workspace.id,
    agentId: picked,
    onConversation: () => void queryClient.invalidateQueries({ queryKey: queryKeys.conversations(workspace.id) }),
  });
  // A loaded conversation talks to its own agent; a new one to the agent picked.
  const agentId = live.conversation?.agent_id || picked;
  const agent = (agents.data?.data ?? []).find((a) => a.id === agentId) ?? null;
  const versions = useAgentVersions(workspace.id, agentId ?? "", agentId !== null && agent !== null && agent.published_version !== null);
  const version = versions.data?.data.find((v) => v.version === agent?.published_version) ?? versions.data?.data[0];
  // The published version speaks; a conversation whose agent was unpublished or deleted still shows its messages.
  const chatAgent: ChatAgent | null =
    agent && version
      ? { id: agent.id, name: version.name, icon: version.icon, description: version.description, config: version.config }
      : agent && agent.published_version === null
        ? { id: agent.id, name: agent.name, icon: agent.icon, description: agent.description, config: agent.config }
        : !agent && agents.isSuccess && live.conversation
          ? { id: live.conversation.agent_id, name: t("chat.unknownAgent"), icon: null, config: { user_input_form: [], opening_statement: "", suggested_questions: [] } }
          : null;

  // The address follows the conversation: /chat/:id opens one; a new conversation gets its address once started.
  const previous = useRef(param);
  useEffect(() => {
    if (param && param !== live.conversationId) void live.load(param);
    if (!param && previous.current) live.reset();
    previous.current = param;
    // Only a new address loads (not a new render): the conversation changing by itself is handled below.
  }, [param]);
  useEffect(() => {
    if (live.conversationId && live.conversationId !== param) navigate(`/chat/${live.conversationId}`, { replace: !param });
    // Only a conversation that changed by itself (a new one started) moves the address.
  }, [live.conversationId]);

  const pick = (id: string) => {
    setChosen(id);
    try {
      window.localStorage.setItem(AGENT_KEY, id);
    } catch {
      /* remembered for this tab only */
    }
    live.reset();
    if (param) navigate("/chat");
  };
  const startNew = () => {
    live.reset();
    setHistoryOpen(false);
    if (param) navigate("/chat");
  };

  const sidebar = (
    <HistorySidebar
      workspaceId={workspace.id}
      activeId={live.conversationId}
      onOpen={(c) => {
        setHistoryOpen(false);
        navigate(`/chat/${c.id}`);
      }}
      onNew={startNew}
      onDeleted={(id) => {
        if (id === live.conversationId) startNew();
      }}
    />
  );

  const toolbar = (
    <Flex
      align="center"
      gap={8}
      style={{ padding: "10px 16px", borderBottom: `1px solid ${token.colorBorderSecondary}`, background: token.colorBgContainer, minWidth: 0 }}
    >
      {narrow && <Button icon={<HistoryOutlined />} onClick={() => setHistoryOpen(true)} aria-label={t("chat.history.title")} data-testid="chat-history-toggle" />}
      <Select
        value={agentId ?? undefined}
        onChange={pick}
        disabled={live.streaming}
        loading={agents.isPending}
        placeholder={t("chat.pickAgent")}
        style={{ minWidth: narrow ? 0 : 240, flex: narrow ? 1 : undefined }}
        popupMatchSelectWidth={false}
        data-testid="chat-agent-picker"
        options={published.map((a) => ({
          value: a.id,
          label: (
            <Flex align="center" gap={8} data-testid={`chat-agent-option-${a.name}`}>
              <AgentAvatar icon={a.icon} size={20} />
              <span>{a.name}</span>
            </Flex>
          ),
        }))}
      />
      {agent && agent.published_version !== null && !narrow && (
        <Tag bordered={false} color="blue">
          {t("agents.versionTag", { version: live.conversation?.agent_version ?? agent.published_version })}
        </Tag>
      )}
      <Typography.Text strong ellipsis style={{ flex: 1, minWidth: 0, textAlign: "right" }} data-testid="chat-title">
        {live.conversation?.title}
      </Typography.Text>
    </Flex>
  );

  const empty =
    agents.isSuccess && published.length === 0 ? (
      <Empty
        image={<RobotOutlined style={{ fontSize: 48, color: token.colorTextQuaternary }} />}
        description={
          <Flex vertical gap={4}>
            <Typography.Text strong>{t("chat.noAgents")}</Typography.Text>
            <Typography.Text type="secondary">{t("chat.noAgentsHint")}</Typography.Text>
          </Flex>
        }
        data-testid="chat-no-agents"
      >
        <Link to="/agents">
          <Button type="primary">{t("chat.goToAgents")}</Button>
        </Link>
      </Empty>
    ) : null;

  return (
    <div className="hezi-chat-page" data-testid="chat-page" style={{ borderColor: token.colorBorderSecondary, background: token.colorBgContainer }}>
      {!narrow && <aside className="hezi-chat-sidebar" style={{ borderRight: `1px solid ${token.colorBorderSecondary}`, background: token.colorFillQuaternary }}>{sidebar}</aside>}
      {narrow && (
        <Drawer open={historyOpen} onClose={() => setHistoryOpen(false)} placement="left" size={300} title={t("chat.history.title")} styles={{ body: { padding: 0 } }}>
          {sidebar}
        </Drawer>
      )}
      <div style={{ flex: 1, minWidth: 0, display: "flex", flexDirection: "column" }}>
        <ChatView workspaceId={workspace.id} agent={chatAgent} chat={live} toolbar={toolbar} empty={empty} />
      </div>
    </div>
  );
}
