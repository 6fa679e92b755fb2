import { DeleteOutlined, EditOutlined, EllipsisOutlined, PlusOutlined, SearchOutlined } from "@ant-design/icons";
import { Conversations, type ConversationItemType } from "@ant-design/x";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Empty, Flex, Form, Input, Modal, Spin, theme, type ButtonProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useConversations } from "../../api/agentQueries";
import { request, wsPaths, type ConversationPublic } from "../../api/agents";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { useDebounced } from "../../components/useDebounced";

const DAY = 24 * 3600 * 1000;

function groupOf(iso: string): "today" | "week" | "earlier" {
  const then = new Date(iso).getTime();
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  if (then >= midnight.getTime()) return "today";
  if (then >= midnight.getTime() - 6 * DAY) return "week";
  return "earlier";
}

/** The person's conversations, newest first: search, open, rename, delete, and start a new one. */
export function HistorySidebar({
  workspaceId,
  activeId,
  onOpen,
  onNew,
  onDeleted,
}: {
  workspaceId: string;
  activeId: string | null;
  onOpen: (c: ConversationPublic) => void;
  onNew: () => void;
  onDeleted: (id: string) => void;
}) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim(), 300);
  const list = useConversations(workspaceId, { q: q || undefined });
  const [renaming, setRenaming] = useState<ConversationPublic | null>(null);
  const [title, setTitle] = useState("");
  const paths = wsPaths(workspaceId);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: queryKeys.conversations(workspaceId) });

  const rename = useMutation({
    mutationFn: ({ id, title }: { id: string; title: string }) => request<ConversationPublic>("PATCH", paths.conversation(id), { title }),
    onSuccess: () => {
      setRenaming(null);
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const remove = useMutation({
    mutationFn: (c: ConversationPublic) => request<void>("DELETE", paths.conversation(c.id)),
    onSuccess: (_, c) => {
      void message.success(t("chat.history.deleted"));
      refresh();
      onDeleted(c.id);
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const conversations = list.data?.data ?? [];
  const byId = new Map(conversations.map((c) => [c.id, c]));
  const items: ConversationItemType[] = conversations.map((c) => ({
    key: c.id,
    group: t(`chat.history.groups.${groupOf(c.updated_at)}`),
    label: (
      <span data-testid="chat-history-item" data-id={c.id} title={c.title || t("chat.history.untitled")}>
        {c.title || t("chat.history.untitled")}
      </span>
    ),
  }));

  return (
    <Flex vertical style={{ height: "100%", minHeight: 0 }} data-testid="chat-history">
      <Flex vertical gap={8} style={{ padding: 12 }}>
        <Button type="primary" ghost icon={<PlusOutlined />} block onClick={onNew} data-testid="chat-new">
          {t("chat.history.new")}
        </Button>
        <Input
          allowClear
          prefix={<SearchOutlined style={{ color: token.colorTextQuaternary }} />}
          placeholder={t("chat.history.search")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="chat-history-search"
        />
      </Flex>
      <div style={{ flex: 1, minHeight: 0, overflowY: "auto", padding: "0 4px 12px" }}>
        {list.isPending ? (
          <Flex justify="center" style={{ padding: 24 }}>
            <Spin size="small" />
          </Flex>
        ) : items.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={q ? t("chat.history.noMatch") : t("chat.history.empty")} />
        ) : (
          <Conversations
            items={items}
            activeKey={activeId ?? undefined}
            groupable
            onActiveChange={(key) => {
              const c = byId.get(String(key));
              if (c) onOpen(c);
            }}
            menu={(item) => ({
              trigger: <EllipsisOutlined data-testid="chat-history-menu" />,
              items: [
                { key: "rename", label: <span data-testid="chat-history-rename">{t("chat.history.rename")}</span>, icon: <EditOutlined /> },
                { key: "delete", label: <span data-testid="chat-history-delete">{t("common.delete")}</span>, icon: <DeleteOutlined />, danger: true },
              ],
              onClick: ({ key, domEvent }) => {
                domEvent.stopPropagation();
                const c = byId.get(String(item.key));
                if (!c) return;
                if (key === "rename") {
                  setTitle(c.title);
                  setRenaming(c);
                } else {
                  void modal.confirm({
                    title: t("chat.history.confirmDelete", { title: c.title || t("chat.history.untitled") }),
                    content: t("chat.history.deleteWarning"),
                    okText: t("common.delete"),
                    okButtonProps: { danger: true, "data-testid": "chat-history-delete-confirm" } as ButtonProps,
                    cancelText: t("common.cancel"),
                    onOk: () => remove.mutateAsync(c).catch(() => undefined),
                  });
                }
              },
            })}
          />
        )}
      </div>
      <Modal
        open={renaming !== null}
        title={t("chat.history.rename")}
        okText={t("common.save")}
        cancelText={t("common.cancel")}
        confirmLoading={rename.isPending}
        okButtonProps={{ disabled: !title.trim(), "data-testid": "chat-rename-submit" } as ButtonProps}
        onCancel={() => setRenaming(null)}
        onOk={() => renaming && rename.mutate({ id: renaming.id, title: title.trim() })}
        destroyOnHidden
      >
        <Form layout="vertical" onFinish={() => renaming && title.trim() && rename.mutate({ id: renaming.id, title: title.trim() })}>
          <Form.Item label={t("chat.history.title")}>
            <Input value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} autoFocus data-testid="chat-rename-input" />
          </Form.Item>
          <button type="submit" hidden aria-hidden="true" />
        </Form>
      </Modal>
    </Flex>
  );
}
