import { UserAddOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Flex, Form, Input, Popconfirm, Select, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type MemberPublic, type Role, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { FormModal } from "../../components/FormModal";
import { formatDateTime } from "../../components/format";
import { RoleTag } from "../../components/RoleTag";
import { assignableRoles, canManage } from "../../components/roles";
import { useWorkspace } from "../../components/workspace";

interface AddForm {
  username: string;
  role: Role;
}

export function MembersPage() {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  if (workspace === null) return <Alert type="info" showIcon title={t("workspace.none")} />;
  return <MembersTable workspace={workspace} key={workspace.id} />;
}

function MembersTable({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const { me } = useWorkspace();
  const [adding, setAdding] = useState(false);
  const [form] = Form.useForm<AddForm>();
  const manager = canManage(workspace.role);
  const roles = assignableRoles(workspace.role);
  const path = { workspace_id: workspace.id };
  const key = queryKeys.members(workspace.id);
  const onError = (err: unknown) => void message.error(errorMessage(err, t));
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: key });
    void queryClient.invalidateQueries({ queryKey: queryKeys.workspaces });
  };

  const members = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/workspaces/{workspace_id}/members", { params: { path } })),
  });
  const add = useMutation({
    mutationFn: (body: AddForm) =>
      unwrap(api.POST("/api/workspaces/{workspace_id}/members", { params: { path }, body })),
    onSuccess: (m) => {
      setAdding(false);
      void message.success(t("members.added", { name: m.username }));
      refresh();
    },
    onError,
  });
  const changeRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(
        api.PATCH("/api/workspaces/{workspace_id}/members/{user_id}", {
          params: { path: { ...path, user_id: userId } },
          body: { role },
        }),
      ),
    onSuccess: () => {
      void message.success(t("common.saved"));
      refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api.DELETE("/api/workspaces/{workspace_id}/members/{user_id}", {
          params: { path: { ...path, user_id: userId } },
        }),
      ),
    onSuccess: () => {
      void message.success(t("members.removed"));
      refresh();
    },
    onError,
  });

  if (members.isError) return <Alert type="error" showIcon title={errorMessage(members.error, t)} />;

  // An admin can't change or remove an owner; nobody edits their own membership here.
  const editable = (m: MemberPublic) =>
    manager && m.user_id !== me.user.id && (workspace.role === "owner" || m.role !== "owner");

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("members.description", { workspace: workspace.name })}</Typography.Text>
        {manager && (
          <Button type="primary" icon={<UserAddOutlined />} onClick={() => setAdding(true)} data-testid="member-add">
            {t("members.add")}
          </Button>
        )}
      </Flex>
      <Table<MemberPublic>
        rowKey="user_id"
        loading={members.isPending}
        dataSource={members.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        data-testid="member-table"
        columns={[
          {
            title: t("users.username"),
            key: "username",
            render: (_, m) => (
              <Space orientation="vertical" size={0}>
                <Space size={6}>
                  <Typography.Text strong>{m.username}</Typography.Text>
                  {m.user_id === me.user.id && <Tag>{t("members.you")}</Tag>}
                </Space>
                {m.display_name && <Typography.Text type="secondary">{m.display_name}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: t("members.role"),
            key: "role",
            render: (_, m) =>
              editable(m) ? (
                <Select<Role>
                  size="small"
                  value={m.role}
                  style={{ width: 140 }}
                  onChange={(role) => changeRole.mutate({ userId: m.user_id, role })}
                  options={roles.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
                  aria-label={t("members.role")}
                />
              ) : (
                <RoleTag role={m.role} />
              ),
          },
          { title: t("members.joinedAt"), key: "joined", render: (_, m) => formatDateTime(m.joined_at) },
          ...(manager
            ? [
                {
                  title: t("common.actions"),
                  key: "actions",
                  render: (_: unknown, m: MemberPublic) =>
                    editable(m) && (
                      <Popconfirm
                        title={t("members.confirmRemove", { name: m.username, workspace: workspace.name })}
                        okButtonProps={{ danger: true }}
                        okText={t("members.remove")}
                        onConfirm={() => remove.mutate(m.user_id)}
                      >
                        <Button type="link" size="small" danger>
                          {t("members.remove")}
                        </Button>
                      </Popconfirm>
                    ),
                },
              ]
            : []),
        ]}
      />

      <FormModal<AddForm>
        open={adding}
        title={t("members.add")}
        form={form}
        initialValues={{ role: "member" }}
        onFinish={(body) => add.mutate(body)}
        onCancel={() => setAdding(false)}
        loading={add.isPending}
        okText={t("members.addSubmit")}
        testId="member-add-form"
      >
        <Form.Item
          name="username"
          label={t("users.username")}
          extra={t("members.usernameHint")}
          rules={[{ required: true, whitespace: true, message: t("common.required") }]}
        >
          <Input autoComplete="off" data-testid="member-username-input" />
        </Form.Item>
        <Form.Item name="role" label={t("members.role")} rules={[{ required: true }]} style={{ marginBottom: 0 }}>
          <Select<Role> options={roles.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
        </Form.Item>
      </FormModal>
    </>
  );
}
