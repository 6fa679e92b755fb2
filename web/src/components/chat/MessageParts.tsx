import {
  DislikeFilled,
  DislikeOutlined,
  EditOutlined,
  ExclamationCircleOutlined,
  FileTextOutlined,
  LeftOutlined,
  LikeFilled,
  LikeOutlined,
  PaperClipOutlined,
  RedoOutlined,
  RightOutlined,
} from "@ant-design/icons";
import { Sources } from "@ant-design/x";
import { Alert, Button, Flex, Input, Space, Tag, Tooltip, Typography } from "antd";
import { lazy, Suspense, useState } from "react";
import { useTranslation } from "react-i18next";
import { errorText, type Citation } from "../../api/agents";
import { CopyButton } from "../CopyButton";
import { formatBytes } from "../format";
import { StepsChain } from "./StepsChain";
import type { ChatMessage } from "./useChatSession";

// Markdown, KaTeX and the highlighter are a chunk of their own, fetched with the first answer.
const Markdown = lazy(() => import("./Markdown"));

export function PlainText({ text }: { text: string }) {
  return <div style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>{text}</div>;
}

/** Markdown, or the plain text while its renderer loads. */
export function RichText({ text, citations, trailing }: { text: string; citations?: Citation[]; trailing?: React.ReactNode }) {
  return (
    <Suspense fallback={<PlainText text={text} />}>
      <Markdown text={text} citations={citations} trailing={trailing} />
    </Suspense>
  );
}

function SourcesPanel({ citations }: { citations: Citation[] }) {
  const { t } = useTranslation();
  return (
    <Sources
      data-testid="chat-sources"
      defaultExpanded={false}
      title={t("chat.sources", { count: citations.length })}
      style={{ marginTop: 8 }}
    >
      <Flex vertical gap={8} style={{ paddingTop: 4 }}>
        {citations.map((c) => (
          <div key={c.n} data-testid="chat-source" data-document={c.document_name} className="hezi-source">
            <Flex gap={6} align="baseline">
              <Tag style={{ marginInlineEnd: 0 }}>{c.n}</Tag>
              <FileTextOutlined />
              <Typography.Text strong ellipsis style={{ maxWidth: 420 }} data-testid="chat-source-document">
                {c.document_name}
              </Typography.Text>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {c.knowledge_base_name}
              </Typography.Text>
            </Flex>
            <Typography.Paragraph type="secondary" ellipsis={{ rows: 3, expandable: true }} style={{ margin: "2px 0 0", fontSize: 13, whiteSpace: "pre-wrap" }}>
              {c.text}
            </Typography.Paragraph>
          </div>
        ))}
      </Flex>
    </Sources>
  );
}

export function FileTags({ files }: { files: ChatMessage["files"] }) {
  if (files.length === 0) return null;
  return (
    <Flex gap={4} wrap style={{ marginBottom: 6 }}>
      {files.map((f) => (
        <Tag key={f.id} icon={<PaperClipOutlined />} data-testid="chat-message-file">
          {f.name} {f.size ? `· ${formatBytes(f.size)}` : ""}
        </Tag>
      ))}
    </Flex>
  );
}

/** An answer: its tool steps, the text (Markdown), any error, and the sources it cites. */
export function AssistantBody({ message }: { message: ChatMessage }) {
  const { t } = useTranslation();
  const waiting = message.live && !message.content && message.steps.length === 0 && (message.running ?? []).length === 0;
  return (
    <div data-testid="chat-answer" data-status={message.live ? "streaming" : message.status} style={{ minWidth: 0 }}>
      <StepsChain steps={message.steps} running={message.running ?? []} />
      {waiting ? (
        <Typography.Text type="secondary">
          {t("chat.thinking")}
          <span className="hezi-cursor" aria-hidden="true" />
        </Typography.Text>
      ) : (
        (message.content || message.live) && (
          <RichText
            text={message.content}
            citations={message.citations}
            trailing={message.live ? <span className="hezi-cursor" aria-hidden="true" /> : null}
          />
        )
      )}
      {message.status === "error" && (
        <Alert type="error" showIcon icon={<ExclamationCircleOutlined />} title={errorText(message.error) || t("chat.failed")} style={{ marginTop: 8 }} data-testid="chat-error" />
      )}
      {message.status === "stopped" && (
        <Tag color="warning" style={{ marginTop: 8 }} data-testid="chat-stopped">
          {t("chat.stopped")}
        </Tag>
      )}
      {message.citations.length > 0 && <SourcesPanel citations={message.citations} />}
    </div>
  );
}

/** A question, or the box that edits it into a new branch. */
export function UserBody({
  message,
  editing,
  onSubmitEdit,
  onCancelEdit,
}: {
  message: ChatMessage;
  editing: boolean;
  onSubmitEdit: (text: string) => void;
  onCancelEdit: () => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(message.content);
  if (editing) {
    return (
      <Flex vertical gap={8} style={{ minWidth: "min(520px, 70vw)" }} data-testid="chat-edit">
        <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} autoSize={{ minRows: 2, maxRows: 10 }} autoFocus data-testid="chat-edit-input" />
        <Flex gap={8} justify="flex-end">
          <Button size="small" onClick={onCancelEdit} data-testid="chat-edit-cancel">
            {t("common.cancel")}
          </Button>
          <Button size="small" type="primary" disabled={!text.trim()} onClick={() => onSubmitEdit(text.trim())} data-testid="chat-edit-send">
            {t("chat.editSend")}
          </Button>
        </Flex>
      </Flex>
    );
  }
  return (
    <div data-testid="chat-question">
      <FileTags files={message.files} />
      <PlainText text={message.content} />
    </div>
  );
}

/** `< 2/3 >`: the other answers to a question, or the other versions of an edited question. */
export function BranchSwitch({ message, disabled, onShow }: { message: ChatMessage; disabled: boolean; onShow: (id: string) => void }) {
  const { t } = useTranslation();
  const at = message.siblings.indexOf(message.id);
  if (message.siblings.length < 2 || at < 0) return null;
  return (
    <Space size={0} data-testid="chat-branch">
      <Button
        type="text"
        size="small"
        icon={<LeftOutlined />}
        disabled={disabled || at === 0}
        onClick={() => onShow(message.siblings[at - 1]!)}
        aria-label={t("chat.previousBranch")}
        data-testid="chat-branch-prev"
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="chat-branch-label">
        {at + 1}/{message.siblings.length}
      </Typography.Text>
      <Button
        type="text"
        size="small"
        icon={<RightOutlined />}
        disabled={disabled || at === message.siblings.length - 1}
        onClick={() => onShow(message.siblings[at + 1]!)}
        aria-label={t("chat.nextBranch")}
        data-testid="chat-branch-next"
      />
    </Space>
  );
}

export function UserActions({
  message,
  busy,
  onEdit,
  onShowBranch,
}: {
  message: ChatMessage;
  busy: boolean;
  /** Absent: questions cannot be edited here (a published web app). */
  onEdit?: () => void;
  onShowBranch: (id: string) => void;
}) {
  const { t } = useTranslation();
  if (message.id.startsWith("local-")) return null;
  return (
    <Flex gap={2} align="center" className="hezi-msg-actions">
      <BranchSwitch message={message} disabled={busy} onShow={onShowBranch} />
      <CopyButton text={message.content} />
      {onEdit && (
        <Tooltip title={t("chat.edit")}>
          <Button type="text" size="small" icon={<EditOutlined />} disabled={busy} onClick={onEdit} aria-label={t("chat.edit")} data-testid="chat-edit-button" />
        </Tooltip>
      )}
    </Flex>
  );
}

export function AssistantActions({
  message,
  busy,
  onRegenerate,
  onShowBranch,
  onRate,
}: {
  message: ChatMessage;
  busy: boolean;
  /** Absent: no regenerating here (a published web app). */
  onRegenerate?: () => void;
  onShowBranch: (id: string) => void;
  onRate: (rating: "like" | "dislike" | null) => void;
}) {
  const { t } = useTranslation();
  if (message.live || message.id.startsWith("local-")) return null;
  const stats = [
    // An answer no model wrote (a workflow's fixed reply) has no tokens to speak of.
    message.usage && message.usage.completion_tokens > 0 && t("chat.tokens", { n: message.usage.completion_tokens }),
    message.latency_ms !== null && message.latency_ms !== undefined && t("chat.latency", { s: (message.latency_ms / 1000).toFixed(1) }),
  ].filter(Boolean);
  return (
    <Flex gap={2} align="center" wrap className="hezi-msg-actions" data-testid="chat-answer-actions">
      <BranchSwitch message={message} disabled={busy} onShow={onShowBranch} />
      <CopyButton text={message.content} />
      {onRegenerate && (
        <Tooltip title={t("chat.regenerate")}>
          <Button type="text" size="small" icon={<RedoOutlined />} disabled={busy} onClick={onRegenerate} aria-label={t("chat.regenerate")} data-testid="chat-regenerate" />
        </Tooltip>
      )}
      <Tooltip title={t("chat.like")}>
        <Button
          type="text"
          size="small"
          icon={message.rating === "like" ? <LikeFilled style={{ color: "#1677ff" }} /> : <LikeOutlined />}
          onClick={() => onRate(message.rating === "like" ? null : "like")}
          aria-label={t("chat.like")}
          aria-pressed={message.rating === "like"}
          data-testid="chat-like"
        />
      </Tooltip>
      <Tooltip title={message.feedback ? `${t("chat.dislike")}: ${message.feedback}` : t("chat.dislike")}>
        <Button
          type="text"
          size="small"
          icon={message.rating === "dislike" ? <DislikeFilled style={{ color: "#ff4d4f" }} /> : <DislikeOutlined />}
          onClick={() => onRate(message.rating === "dislike" ? null : "dislike")}
          aria-label={t("chat.dislike")}
          aria-pressed={message.rating === "dislike"}
          data-testid="chat-dislike"
        />
      </Tooltip>
      {stats.length > 0 && (
        <Typography.Text type="secondary" style={{ fontSize: 12, marginInlineStart: 6 }} data-testid="chat-stats">
          {stats.join(" · ")}
        </Typography.Text>
      )}
    </Flex>
  );
}
