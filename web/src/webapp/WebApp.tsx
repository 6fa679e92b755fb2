import { CloseOutlined, DeleteOutlined, EditOutlined, EllipsisOutlined, ExportOutlined, GlobalOutlined, HistoryOutlined, LockOutlined, PlusOutlined, UserOutlined } from "@ant-design/icons";
import { Conversations, type ConversationItemType } from "@ant-design/x";
import { App as AntApp, Button, Card, ConfigProvider, Drawer, Dropdown, Empty, Flex, Form, Grid, Input, Modal, Result, Spin, Tooltip, Typography, theme, type ButtonProps } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { ConversationPublic } from "../api/agents";
import { ApiError, setUnauthorizedHandler } from "../api/client";
import { errorMessage } from "../api/errors";
import { AgentAvatar } from "../components/agents/AgentAvatar";
import { ChatView, type ChatAgent } from "../components/chat/ChatView";
import { appToken, deleteConversation, embedded, enterPassword, fetchApp, listConversations, renameConversation, signIn, type AppInfo } from "./api";
import { changeLanguage, currentLanguage, LANGUAGES, type Language } from "./i18n";
import { useWebAppChat } from "./useWebAppChat";

// A 401 in the web app means "sign in to the app again", which the page handles itself: never the console's login.
setUnauthorizedHandler(() => undefined);

const NAMES: Record<Language, string> = { "zh-CN": "简体中文", en: "English" };

export function WebAppRoot() {
  const { i18n } = useTranslation();
  const zh = i18n.language === "zh-CN";
  return (
    <ConfigProvider locale={zh ? zhCN : enUS}>
      <AntApp>
        <WebApp />
      </AntApp>
    </ConfigProvider>
  );
}

function LanguageMenu() {
  const { t } = useTranslation();
  const lang = currentLanguage();
  return (
    <Dropdown
      trigger={["click"]}
      menu={{
        selectable: true,
        selectedKeys: [lang],
        items: LANGUAGES.map((l) => ({ key: l, label: <span data-testid={`webapp-lang-${l}`}>{NAMES[l]}</span> })),
        onClick: ({ key }) => void changeLanguage(key as Language),
      }}
    >
      <Button type="text" icon={<GlobalOutlined />} aria-label={t("webapp.language")} data-testid="webapp-lang">
        {!embedded && <span className="hezi-hide-narrow">{NAMES[lang]}</span>}
      </Button>
    </Dropdown>
  );
}

/** The page: who the visitor is first (the app's door), then the chat. */
function WebApp() {
  const { t } = useTranslation();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<unknown>(null);

  const refresh = useCallback(async () => {
    try {
      setInfo(await fetchApp());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    document.title = info ? info.name : "hezi";
  }, [info]);

  if (error) {
    const code = error instanceof ApiError ? error.code : "";
    const [status, title, hint]: ["404" | "403" | "error", string, string] =
      code === "app_not_found"
        ? ["404", t("webapp.notFound"), t("webapp.notFoundHint")]
        : code === "app_unavailable"
          ? ["403", t("webapp.unavailable"), t("webapp.unavailableHint")]
          : ["error", t("webapp.failed"), errorMessage(error, t)];
    return (
      <div className="hezi-webapp-gate" data-testid="webapp-unavailable" data-code={code}>
        <Result
          status={status}
          title={title}
          subTitle={hint}
          extra={
            status === "error" ? (
              <Button onClick={() => void refresh()} data-testid="webapp-retry">
                {t("webapp.retry")}
              </Button>
            ) : (
              <LanguageMenu />
            )
          }
        />
      </div>
    );
  }
  if (!info) {
    return (
      <div className="hezi-webapp-gate">
        <Spin aria-label={t("webapp.loading")} />
      </div>
    );
  }
  if (info.needs === "password") return <PasswordGate info={info} onEntered={refresh} />;
  if (info.needs === "sign_in") return <SignInGate info={info} onEntered={refresh} />;
  if (info.needs === "membership") {
    return (
      <div className="hezi-webapp-gate" data-testid="webapp-membership">
        <Result status="403" title={t("webapp.membership.title")} subTitle={t("webapp.membership.hint")} extra={<LanguageMenu />} />
      </div>
    );
  }
  return <ChatShell info={info} onLost={refresh} />;
}

function GateCard({ info, children }: { info: AppInfo; children: ReactNode }) {
  return (
    <div className="hezi-webapp-gate">
      <Card style={{ width: "100%", maxWidth: 380 }} extra={<LanguageMenu />} title={
        <Flex align="center" gap={10} style={{ minWidth: 0 }}>
          <AgentAvatar icon={info.icon} size={32} />
          <Typography.Text strong ellipsis data-testid="webapp-name">{info.name}</Typography.Text>
        </Flex>
      }>
        {children}
      </Card>
    </div>
  );
}

function PasswordGate({ info, onEntered }: { info: AppInfo; onEntered: () => Promise<void> }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const submit = async () => {
    if (!password) return;
    setBusy(true);
    try {
      await enterPassword(password);
      await onEntered();
    } catch (err) {
      setFailure(err instanceof ApiError && err.code === "wrong_app_password" ? t("webapp.password.wrong") : errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <GateCard info={info}>
      <Form layout="vertical" onFinish={() => void submit()} data-testid="webapp-password">
        <Typography.Paragraph>{t("webapp.password.title")}</Typography.Paragraph>
        <Form.Item validateStatus={failure ? "error" : undefined} help={failure ? <span data-testid="webapp-password-error">{failure}</span> : undefined}>
          <Input.Password
            prefix={<LockOutlined />}
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setFailure(null);
            }}
            placeholder={t("webapp.password.placeholder")}
            autoFocus
            data-testid="webapp-password-input"
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} disabled={!password} data-testid="webapp-password-submit">
          {t("webapp.password.submit")}
        </Button>
      </Form>
    </GateCard>
  );
}

function SignInGate({ info, onEntered }: { info: AppInfo; onEntered: () => Promise<void> }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    try {
      await signIn(username, password);
      await onEntered();
    } catch (err) {
      setFailure(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <GateCard info={info}>
      <Form layout="vertical" onFinish={() => void submit()} data-testid="webapp-sign-in">
        <Typography.Paragraph>
          <Typography.Text strong>{t("webapp.signIn.title")}</Typography.Text>
          <br />
          <Typography.Text type="secondary">{t("webapp.signIn.hint")}</Typography.Text>
        </Typography.Paragraph>
        <Form.Item label={t("webapp.signIn.username")}>
          <Input prefix={<UserOutlined />} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" data-testid="webapp-sign-in-username" />
        </Form.Item>
        <Form.Item label={t("webapp.signIn.password")} validateStatus={failure ? "error" : undefined} help={failure ?? undefined}>
          <Input.Password prefix={<LockOutlined />} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" data-testid="webapp-sign-in-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} disabled={!username || !password} data-testid="webapp-sign-in-submit">
          {t("webapp.signIn.submit")}
        </Button>
        {embedded && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 12 }}>
            {t("webapp.signIn.elsewhere")}{" "}
            <a href={`/app/${encodeURIComponent(appToken)}`} target="_blank" rel="noopener">
              {t("webapp.openInTab")}
            </a>
          </Typography.Paragraph>
        )}
      </Form>
    </GateCard>
  );
}

function ChatShell({ info, onLost }: { info: AppInfo; onLost: () => Promise<void> }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const { message, modal } = AntApp.useApp();
  const screens = Grid.useBreakpoint();
  const narrow = embedded || !screens.md;
  const [conversations, setConversations] = useState<ConversationPublic[]>([]);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [renaming, setRenaming] = useState<ConversationPublic | null>(null);
  const [title, setTitle] = useState("");

  const reload = useCallback(async () => {
    try {
      setConversations((await listConversations()).data);
    } catch (err) {
      // The cookie expired, the password changed or the app was closed meanwhile: back to the door.
      if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.code === "app_unavailable")) void onLost();
    }
  }, [onLost]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const chat = useWebAppChat(
    useCallback((c: ConversationPublic) => {
      setConversations((prev) => [c, ...prev.filter((x) => x.id !== c.id)]);
    }, []),
  );

  const agent: ChatAgent = useMemo(
    () => ({
      id: appToken,
      name: info.name,
      icon: info.icon,
      description: info.description,
      config: {
        user_input_form: info.user_input_form ?? [],
        opening_statement: info.opening_statement ?? "",
        suggested_questions: info.suggested_questions ?? [],
      },
    }),
    [info],
  );

  const startNew = () => {
    chat.reset();
    setHistoryOpen(false);
  };

  const remove = (c: ConversationPublic) =>
    void modal.confirm({
      title: t("webapp.confirmDelete"),
      okText: t("webapp.delete"),
      okButtonProps: { danger: true, "data-testid": "webapp-delete-confirm" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: async () => {
        try {
          await deleteConversation(c.id);
          setConversations((prev) => prev.filter((x) => x.id !== c.id));
          if (chat.conversationId === c.id) chat.reset();
          void message.success(t("webapp.deleted"));
        } catch (err) {
          void message.error(errorMessage(err, t));
        }
      },
    });

  const saveTitle = async () => {
    const c = renaming;
    if (!c || !title.trim()) return;
    try {
      const saved = await renameConversation(c.id, title.trim());
      setConversations((prev) => prev.map((x) => (x.id === saved.id ? saved : x)));
      setRenaming(null);
    } catch (err) {
      void message.error(errorMessage(err, t));
    }
  };

  const byId = new Map(conversations.map((c) => [c.id, c]));
  const items: ConversationItemType[] = conversations.map((c) => ({
    key: c.id,
    label: (
      <span data-testid="webapp-history-item" data-id={c.id} title={c.title || t("webapp.untitled")}>
        {c.title || t("webapp.untitled")}
      </span>
    ),
  }));

  const history = (
    <Flex vertical style={{ height: "100%", minHeight: 0 }} data-testid="webapp-history">
      <div style={{ padding: 12 }}>
        <Button type="primary" ghost icon={<PlusOutlined />} block onClick={startNew} disabled={chat.streaming} data-testid="webapp-new">
          {t("webapp.newChat")}
        </Button>
      </div>
      <div style={{ flex: 1, minHeight: 0, overflowY: "auto", padding: "0 4px 12px" }}>
        {items.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("webapp.noHistory")} />
        ) : (
          <Conversations
            items={items}
            activeKey={chat.conversationId ?? undefined}
            onActiveChange={(key) => {
              if (chat.streaming) return;
              setHistoryOpen(false);
              void chat.load(String(key));
            }}
            menu={(item) => ({
              trigger: <EllipsisOutlined data-testid="webapp-history-menu" />,
              items: [
                { key: "rename", label: <span data-testid="webapp-history-rename">{t("webapp.rename")}</span>, icon: <EditOutlined /> },
                { key: "delete", label: <span data-testid="webapp-history-delete">{t("webapp.delete")}</span>, icon: <DeleteOutlined />, danger: true },
              ],
              onClick: ({ key, domEvent }) => {
                domEvent.stopPropagation();
                const c = byId.get(String(item.key));
                if (!c) return;
                if (key === "rename") {
                  setTitle(c.title);
                  setRenaming(c);
                } else remove(c);
              },
            })}
          />
        )}
      </div>
    </Flex>
  );

  return (
    <div className="hezi-webapp" data-testid="webapp" data-embed={embedded ? "1" : "0"} style={{ background: token.colorBgContainer }}>
      <header className="hezi-webapp-header" style={{ borderBottom: `1px solid ${token.colorBorderSecondary}` }}>
        {narrow && (
          <Tooltip title={t("webapp.history")}>
            <Button type="text" icon={<HistoryOutlined />} onClick={() => setHistoryOpen(true)} aria-label={t("webapp.history")} data-testid="webapp-history-toggle" />
          </Tooltip>
        )}
        <AgentAvatar icon={info.icon} size={embedded ? 24 : 28} />
        <Typography.Text strong ellipsis style={{ flex: 1, minWidth: 0, fontSize: embedded ? 14 : 16 }} data-testid="webapp-name">
          {info.name}
        </Typography.Text>
        {narrow && (
          <Tooltip title={t("webapp.newChat")}>
            <Button type="text" icon={<PlusOutlined />} onClick={startNew} disabled={chat.streaming} aria-label={t("webapp.newChat")} data-testid="webapp-new-top" />
          </Tooltip>
        )}
        {embedded && (
          <Tooltip title={t("webapp.openInTab")}>
            <Button type="text" icon={<ExportOutlined />} href={`/app/${encodeURIComponent(appToken)}`} target="_blank" aria-label={t("webapp.openInTab")} />
          </Tooltip>
        )}
        <LanguageMenu />
        {embedded && window.parent !== window && (
          <Tooltip title={t("webapp.close")}>
            <Button
              type="text"
              icon={<CloseOutlined />}
              onClick={() => window.parent.postMessage({ type: "hezi:close" }, "*")}
              aria-label={t("webapp.close")}
              data-testid="webapp-close"
            />
          </Tooltip>
        )}
      </header>
      <div className="hezi-webapp-body">
        {!narrow && (
          <aside className="hezi-webapp-sider" style={{ borderRight: `1px solid ${token.colorBorderSecondary}`, background: token.colorFillQuaternary }}>
            {history}
          </aside>
        )}
        {narrow && (
          <Drawer open={historyOpen} onClose={() => setHistoryOpen(false)} placement="left" size={280} title={t("webapp.history")} styles={{ body: { padding: 0 } }}>
            {history}
          </Drawer>
        )}
        <main className="hezi-webapp-main">
          <ChatView workspaceId="" agent={agent} chat={chat} features={{ attach: false, edit: false, regenerate: false }} />
          {!embedded && (
            <Typography.Text type="secondary" className="hezi-webapp-footer">
              {t("webapp.poweredBy")}
            </Typography.Text>
          )}
        </main>
      </div>
      <Modal
        open={renaming !== null}
        title={t("webapp.renameTitle")}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
        okButtonProps={{ disabled: !title.trim(), "data-testid": "webapp-rename-submit" } as ButtonProps}
        onCancel={() => setRenaming(null)}
        onOk={() => void saveTitle()}
        destroyOnHidden
      >
        <Input value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} onPressEnter={() => void saveTitle()} autoFocus data-testid="webapp-rename-input" />
      </Modal>
    </div>
  );
}
