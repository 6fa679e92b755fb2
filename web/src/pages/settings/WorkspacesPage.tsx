import { PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Flex, Form, Input, Popconfirm, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type WorkspacePublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { FormModal } from "../../components/FormModal";
import { formatDateTime } from "../../components/format";
import { RoleTag } from "../../components/RoleTag";
import { canManage } from "../../components/roles";
import { useWorkspace } from "../../components/workspace";

interface NameForm {
  name: string;
}

export function WorkspacesPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const { workspace: current, select } = useWorkspace();
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<WorkspacePublic | null>(null);
  const [createForm] = Form.useForm<NameForm>();
  const [renameForm] = Form.useForm<NameForm>();
  const onError = (err: unknown) => void message.error(errorMessage(err, t));
  // The header's switcher reads the workspaces from /api/auth/me: refresh both.
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.workspaces }),
      queryClient.invalidateQueries({ queryKey: queryKeys.me }),
    ]);

  const workspaces = useQuery({
    queryKey: queryKeys.workspaces,
    queryFn: () => unwrap(api.GET("/api/workspaces")),
  });
  const create = useMutation({
    mutationFn: (body: NameForm) => unwrap(api.POST("/api/workspaces", { body })),
    onSuccess: async (ws) => {
      setCreating(false);
      await refresh();
      select(ws.id);
      void message.success(t("workspaces.created", { name: ws.name }));
    },
    onError,
  });
  const rename = useMutation({
    mutationFn: ({ id, body }: { id: string; body: NameForm }) =>
      unwrap(api.PATCH("/api/workspaces/{workspace_id}", { params: { path: { workspace_id: id } }, body })),
    onSuccess: () => {
      setRenaming(null);
      void message.success(t("common.saved"));
      void refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/workspaces/{workspace_id}", { params: { path: { workspace_id: id } } })),
    onSuccess: () => {
      void message.success(t("workspaces.deleted"));
      void refresh();
    },
    onError,
  });

  if (workspaces.isError) return <Alert type="error" showIcon title={errorMessage(workspaces.error, t)} />;

  const nameRules = [{ required: true, whitespace: true, message: t("common.required") }, { max: 100 }];

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("workspaces.description")}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="workspace-create">
          {t("workspaces.create")}
        </Button>
      </Flex>
      <Table<WorkspacePublic>
        rowKey="id"
        loading={workspaces.isPending}
        dataSource={workspaces.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        data-testid="workspace-table"
        columns={[
          {
            title: t("workspaces.name"),
            key: "name",
            render: (_, w) => (
              <Space>
                <Typography.Text strong>{w.name}</Typography.Text>
                {w.id === current?.id && <Tag color="processing">{t("workspaces.current")}</Tag>}
              </Space>
            ),
          },
          { title: t("workspaces.myRole"), key: "role", render: (_, w) => <RoleTag role={w.role} /> },
          { title: t("workspaces.members"), dataIndex: "member_count", key: "members" },
          { title: t("common.createdAt"), key: "created", render: (_, w) => formatDateTime(w.created_at) },
          {
            title: t("common.actions"),
            key: "actions",
            render: (_, w) => (
              <Space size={0} wrap>
                {w.id !== current?.id && (
                  <Button type="link" size="small" onClick={() => select(w.id)}>
                    {t("workspaces.switchTo")}
                  </Button>
                )}
                {canManage(w.role) && (
                  <Button type="link" size="small" onClick={() => setRenaming(w)}>
                    {t("workspaces.rename")}
                  </Button>
                )}
                {w.role === "owner" && (
                  <Popconfirm
                    title={t("workspaces.confirmDelete", { name: w.name })}
                    description={t("workspaces.deleteWarning")}
                    okButtonProps={{ danger: true }}
                    okText={t("common.delete")}
                    onConfirm={() => remove.mutate(w.id)}
                  >
                    <Button type="link" size="small" danger>
                      {t("common.delete")}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />

      <FormModal<NameForm>
        open={creating}
        title={t("workspaces.create")}
        form={createForm}
        onFinish={(body) => create.mutate(body)}
        onCancel={() => setCreating(false)}
        loading={create.isPending}
        okText={t("common.create")}
        testId="workspace-create-form"
      >
        <Form.Item name="name" label={t("workspaces.name")} rules={nameRules} style={{ marginBottom: 0 }}>
          <Input autoComplete="off" data-testid="workspace-name-input" />
        </Form.Item>
      </FormModal>

      <FormModal<NameForm>
        open={renaming !== null}
        title={t("workspaces.rename")}
        form={renameForm}
        initialValues={{ name: renaming?.name }}
        onFinish={(body) => renaming && rename.mutate({ id: renaming.id, body })}
        onCancel={() => setRenaming(null)}
        loading={rename.isPending}
        testId="workspace-rename-form"
      >
        <Form.Item name="name" label={t("workspaces.name")} rules={nameRules} style={{ marginBottom: 0 }}>
          <Input autoComplete="off" />
        </Form.Item>
      </FormModal>
    </>
  );
}
