import { PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Checkbox, Flex, Form, Input, Popconfirm, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type UserPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { FormModal } from "../../components/FormModal";
import { formatDateTime } from "../../components/format";
import { useWorkspace } from "../../components/workspace";
import { MIN_PASSWORD } from "./ProfilePage";

interface CreateForm {
  username: string;
  display_name?: string;
  password: string;
  is_superuser: boolean;
}

interface ResetForm {
  new_password: string;
}

type UserPatch = { display_name?: string; is_active?: boolean; is_superuser?: boolean };

export function UsersPage() {
  const { t } = useTranslation();
  const { me } = useWorkspace();
  if (!me.user.is_superuser) return <Alert type="info" showIcon title={t("users.superusersOnly")} />;
  return <UsersTable selfId={me.user.id} />;
}

function UsersTable({ selfId }: { selfId: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserPublic | null>(null);
  const [createForm] = Form.useForm<CreateForm>();
  const [resetForm] = Form.useForm<ResetForm>();
  const onError = (err: unknown) => void message.error(errorMessage(err, t));

  const users = useQuery({ queryKey: queryKeys.users, queryFn: () => unwrap(api.GET("/api/users")) });
  const create = useMutation({
    mutationFn: (body: CreateForm) =>
      unwrap(api.POST("/api/users", { body: { ...body, display_name: body.display_name?.trim() ?? "" } })),
    onSuccess: (user) => {
      setCreating(false);
      void message.success(t("users.created", { name: user.username }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.users });
    },
    onError,
  });
  const update = useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UserPatch }) =>
      unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: id } }, body: patch })),
    onSuccess: () => {
      void message.success(t("common.saved"));
      void queryClient.invalidateQueries({ queryKey: queryKeys.users });
    },
    onError,
  });
  const reset = useMutation({
    mutationFn: ({ id, body }: { id: string; body: ResetForm }) =>
      unwrap(api.POST("/api/users/{user_id}/password", { params: { path: { user_id: id } }, body })),
    onSuccess: () => {
      setResetting(null);
      void message.success(t("users.passwordReset"));
    },
    onError,
  });

  if (users.isError) return <Alert type="error" showIcon title={errorMessage(users.error, t)} />;

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("users.description")}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="user-create">
          {t("users.create")}
        </Button>
      </Flex>
      <Table<UserPublic>
        rowKey="id"
        loading={users.isPending}
        dataSource={users.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        data-testid="user-table"
        columns={[
          {
            title: t("users.username"),
            key: "username",
            render: (_, u) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text strong>{u.username}</Typography.Text>
                {u.display_name && <Typography.Text type="secondary">{u.display_name}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: t("users.kind"),
            key: "kind",
            render: (_, u) => (u.is_superuser ? <Tag color="purple">{t("users.superuser")}</Tag> : t("users.regular")),
          },
          {
            title: t("common.status"),
            key: "status",
            render: (_, u) =>
              u.is_active ? <Tag color="success">{t("users.active")}</Tag> : <Tag>{t("users.disabled")}</Tag>,
          },
          { title: t("common.createdAt"), key: "created", render: (_, u) => formatDateTime(u.created_at) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, u) => {
              const self = u.id === selfId;
              return (
                <Space size={0} wrap>
                  <Popconfirm
                    title={u.is_active ? t("users.confirmDisable", { name: u.username }) : t("users.confirmEnable", { name: u.username })}
                    onConfirm={() => update.mutate({ id: u.id, patch: { is_active: !u.is_active } })}
                    disabled={self}
                  >
                    <Button type="link" size="small" danger={u.is_active} disabled={self}>
                      {u.is_active ? t("users.disable") : t("users.enable")}
                    </Button>
                  </Popconfirm>
                  <Button type="link" size="small" onClick={() => setResetting(u)}>
                    {t("users.resetPassword")}
                  </Button>
                  <Popconfirm
                    title={
                      u.is_superuser
                        ? t("users.confirmRevokeSuperuser", { name: u.username })
                        : t("users.confirmMakeSuperuser", { name: u.username })
                    }
                    onConfirm={() => update.mutate({ id: u.id, patch: { is_superuser: !u.is_superuser } })}
                    disabled={self}
                  >
                    <Button type="link" size="small" disabled={self}>
                      {u.is_superuser ? t("users.revokeSuperuser") : t("users.makeSuperuser")}
                    </Button>
                  </Popconfirm>
                </Space>
              );
            },
          },
        ]}
      />

      <FormModal<CreateForm>
        open={creating}
        title={t("users.create")}
        form={createForm}
        onFinish={(values) => create.mutate(values)}
        onCancel={() => setCreating(false)}
        loading={create.isPending}
        okText={t("common.create")}
        initialValues={{ is_superuser: false }}
        testId="user-create-form"
      >
        <Form.Item name="username" label={t("users.username")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="display_name" label={t("users.displayName")}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="password"
          label={t("users.initialPassword")}
          rules={[
            { required: true, message: t("common.required") },
            { min: MIN_PASSWORD, message: t("common.passwordMin", { count: MIN_PASSWORD }) },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="is_superuser" valuePropName="checked" style={{ marginBottom: 0 }}>
          <Checkbox>{t("users.superuserHint")}</Checkbox>
        </Form.Item>
      </FormModal>

      <FormModal<ResetForm>
        open={resetting !== null}
        title={t("users.resetPasswordFor", { name: resetting?.username ?? "" })}
        form={resetForm}
        onFinish={(body) => resetting && reset.mutate({ id: resetting.id, body })}
        onCancel={() => setResetting(null)}
        loading={reset.isPending}
        testId="user-reset-form"
      >
        <Form.Item
          name="new_password"
          label={t("profile.newPassword")}
          rules={[
            { required: true, message: t("common.required") },
            { min: MIN_PASSWORD, message: t("common.passwordMin", { count: MIN_PASSWORD }) },
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </FormModal>
    </>
  );
}
