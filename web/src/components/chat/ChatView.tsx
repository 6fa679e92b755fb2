import { BulbOutlined, MessageOutlined, PaperClipOutlined, UserOutlined } from "@ant-design/icons";
import { Bubble, Prompts, Sender, Welcome, XProvider, type BubbleItemType } from "@ant-design/x";
import xEnUS from "@ant-design/x/locale/en_US";
import xZhCN from "@ant-design/x/locale/zh_CN";
import antdEnUS from "antd/locale/en_US";
import antdZhCN from "antd/locale/zh_CN";
import { App, Avatar, Button, Flex, Form, Input, Modal, Spin, Tag, Tooltip, Typography, theme, type ButtonProps } from "antd";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { uploadChatFile, type AgentConfig, type ChatFile, type HumanInputReply } from "../../api/agents";
import { ApiError } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { AgentAvatar } from "../agents/AgentAvatar";
import { formatBytes } from "../format";
import { formDefaults, HumanInputForm } from "./HumanInputForm";
import { defaultInputs, formFields, InputsForm, missingInputs, type Inputs } from "./InputsForm";
import { AssistantActions, AssistantBody, RichText, UserActions, UserBody } from "./MessageParts";
import type { AgentChat } from "./useAgentChat";
import type { ChatMessage } from "./useChatSession";

export interface ChatAgent {
  id: string;
  name: string;
  icon: string | null;
  description?: string | null;
  config: Pick<AgentConfig, "user_input_form" | "opening_statement" | "suggested_questions">;
}

interface Props {
  workspaceId: string;
  agent: ChatAgent | null;
  chat: AgentChat;
  /** Shown instead of the welcome when there is no agent to talk to. */
  empty?: ReactNode;
  /** Above the messages: the agent picker, the history button… */
  toolbar?: ReactNode;
  /** What this chat offers besides asking and rating; all on unless turned off (a published web app has none). */
  features?: { attach?: boolean; edit?: boolean; regenerate?: boolean };
}

/**
 * A conversation with an agent, on @ant-design/x: the welcome (opening statement, suggested questions, the
 * input form), the messages with tool steps, Markdown answers, citations and sources, and the sender with
 * file attachments. The chat page and the builder's preview both use it.
 */
export function ChatView({ workspaceId, agent, chat, empty, toolbar, features = {} }: Props) {
  const { t, i18n } = useTranslation();
  const { token } = theme.useToken();
  const { message } = App.useApp();
  // @ant-design/x's own words (button labels) in the console's language, with antd's kept.
  const locale = i18n.language === "en" ? { ...antdEnUS, ...xEnUS } : { ...antdZhCN, ...xZhCN };
  const [text, setText] = useState("");
  const [files, setFiles] = useState<ChatFile[]>([]);
  const [uploading, setUploading] = useState(0);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [dislikeFor, setDislikeFor] = useState<ChatMessage | null>(null);
  const [comment, setComment] = useState("");
  // What is typed into a paused answer's form, by message: kept while its answer is sent (and when refused).
  const [formValues, setFormValues] = useState<Record<string, Record<string, string>>>({});
  const [answering, setAnswering] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const form = agent?.config.user_input_form ?? [];
  const formKey = JSON.stringify(form);
  const [inputs, setInputs] = useState<Inputs>(() => defaultInputs(form));
  const started = chat.conversationId !== null || chat.messages.length > 0;

  // A new form (another agent, or the builder changed it) starts from its defaults, keeping what still fits.
  useEffect(() => {
    setInputs((prev) => ({ ...defaultInputs(form), ...Object.fromEntries(Object.entries(prev).filter(([k]) => formFields(form).some((f) => f.spec.variable === k))) }));
    // `formKey` stands for `form`: a new array with the same fields is no change.
  }, [formKey]);

  const submit = (query: string) => {
    const q = query.trim();
    if (!q || chat.streaming || !agent) return;
    if (!started) {
      const missing = missingInputs(form, inputs);
      if (missing.length > 0) {
        void message.warning(t("chat.inputs.missing", { fields: missing.join(", ") }));
        return;
      }
    }
    chat.send(q, { inputs, files });
    setText("");
    setFiles([]);
  };

  const attach = async (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) {
      setUploading((n) => n + 1);
      try {
        const uploaded = await uploadChatFile(workspaceId, file);
        setFiles((prev) => [...prev, uploaded]);
      } catch (err) {
        void message.error(t("chat.attachFailed", { name: file.name, reason: errorMessage(err, t) }));
      } finally {
        setUploading((n) => n - 1);
      }
    }
    if (fileInput.current) fileInput.current.value = "";
  };

  const rate = (m: ChatMessage, rating: "like" | "dislike" | null) => {
    if (rating === "dislike") {
      setComment("");
      setDislikeFor(m);
      return;
    }
    chat.rate(m, rating).catch((err: unknown) => void message.error(errorMessage(err, t)));
  };

  const showBranch = (id: string) => {
    chat.showBranch(id).catch((err: unknown) => void message.error(errorMessage(err, t)));
  };

  const last = chat.messages[chat.messages.length - 1];
  const followUps = last && last.role === "assistant" && !last.live && !chat.streaming ? last.suggested : [];
  // Only the answer the conversation ends with can still be answered: the run goes on from there.
  const waiting = last && last.role === "assistant" && !last.live && last.status === "paused" && last.form ? last : null;

  const respond = (answered: ChatMessage, query: string, reply: HumanInputReply) => {
    if (chat.streaming) return;
    setAnswering(answered.id);
    chat
      .respond(query, reply)
      .catch((err: unknown) => {
        // Answered meanwhile (another tab, another person): the conversation has been read again.
        const gone = err instanceof ApiError && err.code === "not_waiting_for_input";
        void message.error(gone ? t("chat.humanInput.answered") : errorMessage(err, t));
      })
      .finally(() => setAnswering(null));
  };

  const items: BubbleItemType[] = chat.messages.map((m) =>
    m.role === "user"
      ? {
          key: m.id,
          role: "user",
          content: (
            <UserBody
              key={`${m.id}-${editingId === m.id}`}
              message={m}
              editing={editingId === m.id}
              onCancelEdit={() => setEditingId(null)}
              onSubmitEdit={(q) => {
                setEditingId(null);
                chat.edit(m, q);
              }}
            />
          ),
          footer:
            editingId === m.id ? null : (
              <UserActions message={m} busy={chat.streaming} onEdit={features.edit === false ? undefined : () => setEditingId(m.id)} onShowBranch={showBranch} />
            ),
        }
      : {
          key: m.id,
          role: "ai",
          content:
            // The form stays, disabled, while its answer is sent and the run goes on.
            (m === waiting || m.id === answering) && m.form ? (
              <>
                <AssistantBody message={m} />
                <HumanInputForm
                  form={m.form}
                  values={formValues[m.id] ?? formDefaults(m.form)}
                  onChange={(v) => setFormValues((prev) => ({ ...prev, [m.id]: v }))}
                  disabled={chat.streaming || answering !== null}
                  onSubmit={(query, reply) => respond(m, query, reply)}
                />
              </>
            ) : (
              <AssistantBody message={m} />
            ),
          footer: (
            <Flex vertical gap={4}>
              <AssistantActions
                message={m}
                busy={chat.streaming}
                onRegenerate={features.regenerate === false ? undefined : () => chat.regenerate(m)}
                onShowBranch={showBranch}
                onRate={(r) => rate(m, r)}
              />
              {m === last && followUps.length > 0 && (
                <Prompts
                  data-testid="chat-follow-ups"
                  wrap
                  items={followUps.map((q, i) => ({ key: String(i), icon: <BulbOutlined />, description: q }))}
                  onItemClick={({ data }) => submit(String(data.description ?? ""))}
                />
              )}
            </Flex>
          ),
        },
  );

  const welcome = agent && (
    <Flex vertical gap={16} style={{ maxWidth: 760, margin: "0 auto", padding: "24px 16px" }} data-testid="chat-welcome">
      <Welcome
        variant="borderless"
        icon={<AgentAvatar icon={agent.icon} size={48} />}
        title={<span data-testid="chat-agent-name">{agent.name}</span>}
        description={
          agent.config.opening_statement ? (
            <div data-testid="chat-opening">
              <RichText text={agent.config.opening_statement} />
            </div>
          ) : (
            agent.description || t("chat.welcomeHint")
          )
        }
      />
      {form.length > 0 && (
        <div style={{ border: `1px solid ${token.colorBorderSecondary}`, borderRadius: token.borderRadiusLG, padding: "12px 16px 4px", background: token.colorBgContainer }}>
          <Typography.Text type="secondary" style={{ display: "block", marginBottom: 8 }}>
            {t("chat.inputs.title")}
          </Typography.Text>
          <InputsForm form={form} values={inputs} onChange={setInputs} />
        </div>
      )}
      {(agent.config.suggested_questions ?? []).filter((q) => q.trim()).length > 0 && (
        <Prompts
          title={t("chat.suggested")}
          data-testid="chat-suggested"
          wrap
          items={(agent.config.suggested_questions ?? [])
            .filter((q) => q.trim())
            .map((q, i) => ({ key: String(i), icon: <MessageOutlined style={{ color: token.colorPrimary }} />, description: q }))}
          onItemClick={({ data }) => submit(String(data.description ?? ""))}
        />
      )}
    </Flex>
  );

  const conversationInputs = chat.conversation?.inputs ?? {};
  const shownInputs = Object.entries(conversationInputs).filter(([, v]) => v !== null && v !== "");

  return (
    <XProvider locale={locale}>
      <Flex vertical className="hezi-chat" style={{ height: "100%", minHeight: 0 }} data-testid="chat-view">
        {toolbar}
        <div style={{ flex: 1, minHeight: 0, position: "relative", display: "flex", flexDirection: "column" }} data-testid="chat-messages">
          {chat.loading ? (
            <Flex align="center" justify="center" style={{ flex: 1 }}>
              <Spin />
            </Flex>
          ) : chat.loadError ? (
            <Flex align="center" justify="center" style={{ flex: 1, padding: 24 }}>
              <Typography.Text type="danger">{chat.loadError}</Typography.Text>
            </Flex>
          ) : !agent ? (
            <Flex align="center" justify="center" style={{ flex: 1, padding: 24 }}>
              {empty}
            </Flex>
          ) : chat.messages.length === 0 ? (
            <div style={{ flex: 1, overflowY: "auto" }}>{welcome}</div>
          ) : (
            <Bubble.List
              items={items}
              style={{ flex: 1, minHeight: 0 }}
              styles={{ scroll: { paddingInline: 16, paddingBlock: 16 } }}
              role={{
                ai: {
                  placement: "start",
                  variant: "borderless",
                  avatar: <AgentAvatar icon={agent.icon} size={32} />,
                  styles: { content: { minWidth: 0, maxWidth: "100%" }, body: { minWidth: 0, maxWidth: "min(860px, 100%)" } },
                },
                user: {
                  placement: "end",
                  variant: "filled",
                  avatar: <Avatar icon={<UserOutlined />} style={{ background: token.colorTextQuaternary, flex: "none" }} />,
                  styles: { body: { maxWidth: "80%" } },
                },
              }}
            />
          )}
        </div>
        {agent && (
          <div className="hezi-chat-sender" style={{ padding: "8px 16px 16px" }}>
            {started && shownInputs.length > 0 && (
              <Flex gap={4} wrap style={{ marginBottom: 6 }} data-testid="chat-inputs-summary">
                {shownInputs.map(([k, v]) => (
                  <Tag key={k}>
                    {k}: {String(v)}
                  </Tag>
                ))}
              </Flex>
            )}
            <div data-testid="chat-sender" style={{ maxWidth: 860, margin: "0 auto" }}>
              <Sender
                value={text}
                onChange={(v) => setText(v)}
                onSubmit={submit}
                onCancel={chat.stop}
                loading={chat.streaming}
                placeholder={t("chat.placeholder")}
                autoSize={{ minRows: 1, maxRows: 8 }}
                header={
                  files.length > 0 || uploading > 0 ? (
                    <Flex gap={4} wrap style={{ padding: "8px 12px 0" }} data-testid="chat-attachments">
                      {files.map((f) => (
                        <Tag
                          key={f.id}
                          icon={<PaperClipOutlined />}
                          closable
                          onClose={() => setFiles((prev) => prev.filter((x) => x.id !== f.id))}
                          data-testid="chat-attachment"
                        >
                          {f.name} · {formatBytes(f.size)}
                        </Tag>
                      ))}
                      {uploading > 0 && <Spin size="small" />}
                    </Flex>
                  ) : undefined
                }
                prefix={
                  features.attach === false ? undefined : (
                  <Tooltip title={t("chat.attach")}>
                    <Button
                      type="text"
                      icon={<PaperClipOutlined />}
                      onClick={() => fileInput.current?.click()}
                      disabled={chat.streaming}
                      aria-label={t("chat.attach")}
                      data-testid="chat-attach"
                    />
                  </Tooltip>
                  )
                }
                suffix={(_, { components: { SendButton, LoadingButton } }) =>
                  chat.streaming ? (
                    <Tooltip title={t("chat.stop")}>
                      <LoadingButton data-testid="chat-stop" aria-label={t("chat.stop")} />
                    </Tooltip>
                  ) : (
                    <SendButton type="primary" data-testid="chat-send" aria-label={t("chat.send")} disabled={!text.trim() || uploading > 0} />
                  )
                }
              />
              <input
                ref={fileInput}
                type="file"
                multiple
                hidden
                onChange={(e) => void attach(e.target.files)}
                data-testid="chat-file-input"
              />
            </div>
          </div>
        )}
        <Modal
          open={dislikeFor !== null}
          title={t("chat.dislikeTitle")}
          okText={t("chat.dislikeSubmit")}
          cancelText={t("common.cancel")}
          onCancel={() => setDislikeFor(null)}
          okButtonProps={{ "data-testid": "chat-feedback-submit" } as ButtonProps}
          onOk={() => {
            const m = dislikeFor;
            setDislikeFor(null);
            if (m) chat.rate(m, "dislike", comment.trim() || undefined).catch((err: unknown) => void message.error(errorMessage(err, t)));
          }}
          destroyOnHidden
        >
          <Form layout="vertical">
            <Form.Item label={t("chat.dislikeComment")} extra={t("chat.dislikeHint")}>
              <Input.TextArea value={comment} onChange={(e) => setComment(e.target.value)} autoSize={{ minRows: 3, maxRows: 8 }} maxLength={2000} data-testid="chat-feedback-comment" />
            </Form.Item>
          </Form>
        </Modal>
      </Flex>
    </XProvider>
  );
}
