import { KeyOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Flex, Form, Input, Popconfirm, Table, Tag, Typography, type ButtonProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { request } from "../../api/agents";
import { appKeys, appPaths, useAppKeys, type ApiKeyPublic } from "../../api/apps";
import type { ApiKeyCreated } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { formatDateTime } from "../../components/format";
import { FormModal } from "../../components/FormModal";
import { KeyRevealModal } from "../../components/KeyRevealModal";
import type { AppPaneProps } from "./types";

/** The app's API keys: they reach this app's APIs only. A new key's secret is shown once. */
export function AppKeys({ workspace, app, editor }: AppPaneProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const keys = useAppKeys(workspace.id, app.id);
  const [form] = Form.useForm<{ name: string }>();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: appKeys.keys(workspace.id, app.id) });

  const create = useMutation({
    mutationFn: (name: string) => request<ApiKeyCreated>("POST", appPaths(workspace.id, app.id).keys, { name }),
    onSuccess: (key) => {
      setCreating(false);
      setCreated(key);
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const revoke = useMutation({
    mutationFn: (key: ApiKeyPublic) => request<void>("DELETE", appPaths(workspace.id, app.id).key(key.id)),
    onSuccess: (_, key) => {
      void message.success(t("apps.keys.revoked", { name: key.name }));
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const live = (keys.data?.data ?? []).filter((k) => !k.revoked_at);
  return (
    <>
      <Flex justify="space-between" align="center" gap={16} wrap style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("apps.keys.hint")}</Typography.Text>
        {editor && (
          <Button type="primary" icon={<KeyOutlined />} onClick={() => setCreating(true)} data-testid="app-key-create">
            {t("apps.keys.create")}
          </Button>
        )}
      </Flex>
      <Table<ApiKeyPublic>
        rowKey="id"
        size="small"
        loading={keys.isPending}
        dataSource={live}
        pagination={false}
        locale={{ emptyText: t("apps.keys.empty") }}
        data-testid="app-key-list"
        columns={[
          { title: t("apps.name"), dataIndex: "name", key: "name" },
          { title: t("apps.keys.prefix"), key: "prefix", render: (_, k) => <Typography.Text code>{k.prefix}…</Typography.Text> },
          { title: t("common.createdAt"), key: "created", render: (_, k) => formatDateTime(k.created_at) },
          { title: t("apps.keys.lastUsed"), key: "used", render: (_, k) => (k.last_used_at ? formatDateTime(k.last_used_at) : <Tag>{t("apps.keys.never")}</Tag>) },
          ...(editor
            ? [
                {
                  title: t("common.actions"),
                  key: "actions",
                  render: (_: unknown, k: ApiKeyPublic) => (
                    <Popconfirm title={t("apps.keys.confirmRevoke", { name: k.name })} onConfirm={() => revoke.mutateAsync(k)} okText={t("apps.keys.revoke")} cancelText={t("common.cancel")} okButtonProps={{ danger: true, "data-testid": "app-key-revoke-confirm" } as ButtonProps}>
                      <Button size="small" danger data-testid={`app-key-revoke-${k.name}`}>
                        {t("apps.keys.revoke")}
                      </Button>
                    </Popconfirm>
                  ),
                },
              ]
            : []),
        ]}
      />
      <FormModal<{ name: string }>
        open={creating}
        title={t("apps.keys.create")}
        form={form}
        onFinish={(v) => create.mutate(v.name.trim())}
        onCancel={() => setCreating(false)}
        loading={create.isPending}
        okText={t("common.create")}
        testId="app-key-form"
      >
        <Form.Item name="name" label={t("apps.name")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
          <Input maxLength={64} placeholder={t("apps.keys.namePlaceholder")} data-testid="app-key-name" />
        </Form.Item>
      </FormModal>
      <KeyRevealModal created={created} onClose={() => setCreated(null)} />
    </>
  );
}
