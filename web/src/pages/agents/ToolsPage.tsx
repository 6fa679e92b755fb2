import { ApiOutlined, DeleteOutlined, LockOutlined, MinusCircleOutlined, PlusOutlined, ReloadOutlined, SyncOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Col, Flex, Form, Input, Radio, Row, Select, Space, Table, Tag, Tooltip, Typography, type ButtonProps } from "antd";
import { useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { useToolProviders } from "../../api/agentQueries";
import { request, wsPaths, type ToolAuthType, type ToolProviderCreate, type ToolProviderKind, type ToolProviderPublic } from "../../api/agents";
import type { WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { formatDateTime } from "../../components/format";
import { FormModal } from "../../components/FormModal";
import { canManage } from "../../components/roles";

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

interface ProviderForm {
  name: string;
  kind: ToolProviderKind;
  source: "paste" | "url";
  spec: string;
  spec_url: string;
  server_url: string;
  url: string;
  headers: { name: string; value: string }[];
  auth_type: ToolAuthType;
  auth_header: string;
  auth_value: string;
}

function toCreate(v: ProviderForm): ToolProviderCreate {
  const body: ToolProviderCreate = { name: v.name.trim(), kind: v.kind, auth: { type: v.kind === "openapi" ? v.auth_type : "none" } };
  if (v.kind === "openapi") {
    if (v.source === "paste") body.spec = v.spec;
    else body.spec_url = v.spec_url.trim();
    if (v.server_url?.trim()) body.server_url = v.server_url.trim();
    if (v.auth_type === "api_key") body.auth.header = v.auth_header.trim();
    if (v.auth_type !== "none") body.auth.value = v.auth_value;
  } else {
    body.url = v.url.trim();
    const headers = (v.headers ?? []).filter((h) => h?.name?.trim());
    if (headers.length > 0) body.headers = Object.fromEntries(headers.map((h) => [h.name.trim(), h.value ?? ""]));
  }
  return body;
}

function AddProviderModal({ workspace, open, onClose }: { workspace: WorkspaceRef; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<ProviderForm>();
  const kind = (Form.useWatch("kind", form) as ToolProviderKind | undefined) ?? "openapi";
  const source = (Form.useWatch("source", form) as string | undefined) ?? "paste";
  const authType = (Form.useWatch("auth_type", form) as ToolAuthType | undefined) ?? "none";
  const add = useMutation({
    mutationFn: (v: ProviderForm) => request<ToolProviderPublic>("POST", wsPaths(workspace.id).providers, toCreate(v)),
    onSuccess: (p) => {
      void message.success(t("tools.added", { name: p.name, count: p.tools.length }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.toolProviders(workspace.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tools(workspace.id) });
      onClose();
    },
  });
  const required = { required: true, whitespace: true, message: t("common.required") };
  return (
    <FormModal<ProviderForm>
      open={open}
      title={t("tools.addTitle")}
      form={form}
      onFinish={(v) => add.mutate(v)}
      onCancel={() => {
        add.reset();
        onClose();
      }}
      loading={add.isPending}
      okText={t("tools.add")}
      testId="tool-provider-form"
      width={680}
      initialValues={{ kind: "openapi", source: "paste", auth_type: "none", auth_header: "X-API-Key", headers: [] }}
    >
      {add.isError && <Alert type="error" showIcon title={errorMessage(add.error, t)} style={{ marginBottom: 16 }} data-testid="tool-provider-error" />}
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <Form.Item name="name" label={t("tools.name")} rules={[required]}>
            <Input maxLength={64} autoComplete="off" data-testid="tool-provider-name" />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="kind" label={t("tools.kind")}>
            <Radio.Group
              optionType="button"
              options={[
                { value: "openapi", label: <span data-testid="tool-provider-kind-openapi">OpenAPI</span> },
                { value: "mcp", label: <span data-testid="tool-provider-kind-mcp">MCP</span> },
              ]}
            />
          </Form.Item>
        </Col>
      </Row>
      {kind === "openapi" ? (
        <>
          <Form.Item name="source" label={t("tools.specSource")}>
            <Radio.Group
              options={[
                { value: "paste", label: <span data-testid="tool-provider-source-paste">{t("tools.paste")}</span> },
                { value: "url", label: <span data-testid="tool-provider-source-url">{t("tools.fromUrl")}</span> },
              ]}
            />
          </Form.Item>
          {source === "paste" ? (
            <Form.Item name="spec" label={t("tools.spec")} rules={[required]} extra={t("tools.specHint")}>
              <Input.TextArea autoSize={{ minRows: 6, maxRows: 16 }} style={{ fontFamily: MONO, fontSize: 12 }} data-testid="tool-provider-spec" />
            </Form.Item>
          ) : (
            <Form.Item name="spec_url" label={t("tools.specUrl")} rules={[required, { type: "url", message: t("tools.badUrl") }]}>
              <Input placeholder="https://example.com/openapi.json" data-testid="tool-provider-spec-url" />
            </Form.Item>
          )}
          <Form.Item name="server_url" label={t("tools.serverUrl")} rules={[{ type: "url", message: t("tools.badUrl") }]} extra={t("tools.serverUrlHint")}>
            <Input placeholder="https://api.example.com" data-testid="tool-provider-server-url" />
          </Form.Item>
          <Row gutter={16}>
            <Col xs={24} sm={8}>
              <Form.Item name="auth_type" label={t("tools.auth")}>
                <Select
                  data-testid="tool-provider-auth"
                  options={(["none", "api_key", "bearer"] as const).map((a) => ({ value: a, label: t(`tools.authTypes.${a}`) }))}
                />
              </Form.Item>
            </Col>
            {authType === "api_key" && (
              <Col xs={24} sm={8}>
                <Form.Item name="auth_header" label={t("tools.authHeader")} rules={[required]}>
                  <Input data-testid="tool-provider-auth-header" />
                </Form.Item>
              </Col>
            )}
            {authType !== "none" && (
              <Col xs={24} sm={authType === "api_key" ? 8 : 16}>
                <Form.Item name="auth_value" label={authType === "bearer" ? t("tools.token") : t("tools.key")} rules={[required]} extra={t("tools.secretHint")}>
                  <Input.Password autoComplete="new-password" data-testid="tool-provider-auth-value" />
                </Form.Item>
              </Col>
            )}
          </Row>
        </>
      ) : (
        <>
          <Form.Item name="url" label={t("tools.mcpUrl")} rules={[required, { type: "url", message: t("tools.badUrl") }]} extra={t("tools.mcpHint")}>
            <Input placeholder="https://example.com/mcp" data-testid="tool-provider-url" />
          </Form.Item>
          <Form.Item label={t("tools.headers")} extra={t("tools.secretHint")}>
            <Form.List name="headers">
              {(items, { add: addRow, remove }) => (
                <Flex vertical gap={6}>
                  {items.map((item) => (
                    <Flex key={item.key} gap={6}>
                      <Form.Item name={[item.name, "name"]} noStyle>
                        <Input placeholder={t("tools.headerName")} style={{ flex: 1 }} data-testid="tool-provider-header-name" />
                      </Form.Item>
                      <Form.Item name={[item.name, "value"]} noStyle>
                        <Input.Password placeholder={t("tools.headerValue")} autoComplete="new-password" style={{ flex: 1 }} data-testid="tool-provider-header-value" />
                      </Form.Item>
                      <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(item.name)} aria-label={t("common.delete")} />
                    </Flex>
                  ))}
                  <Button size="small" icon={<PlusOutlined />} onClick={() => addRow({ name: "", value: "" })} style={{ alignSelf: "flex-start" }} data-testid="tool-provider-header-add">
                    {t("tools.addHeader")}
                  </Button>
                </Flex>
              )}
            </Form.List>
          </Form.Item>
        </>
      )}
    </FormModal>
  );
}

function ToolList({ provider }: { provider: ToolProviderPublic }) {
  const { t } = useTranslation();
  if (provider.tools.length === 0) return <Typography.Text type="secondary">{t("tools.noTools")}</Typography.Text>;
  return (
    <Flex vertical gap={6} data-testid={`tool-provider-tools-${provider.name}`}>
      {provider.tools.map((tool) => {
        const props = Object.keys(((tool.parameters as { properties?: object })?.properties ?? {}) as object);
        return (
          <Flex key={tool.name} gap={8} align="baseline" wrap data-testid="tool-provider-tool">
            <Tag style={{ fontFamily: MONO }}>{tool.name}</Tag>
            <Typography.Text type="secondary" style={{ flex: 1, minWidth: 200 }}>
              {tool.description}
            </Typography.Text>
            {props.length > 0 && (
              <Typography.Text type="secondary" style={{ fontSize: 12, fontFamily: MONO }}>
                ({props.join(", ")})
              </Typography.Text>
            )}
          </Flex>
        );
      })}
    </Flex>
  );
}

/** Custom tool providers of the workspace: OpenAPI documents and MCP servers whose tools agents can use. */
export function ToolsPage({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const queryClient = useQueryClient();
  // Tool providers hold credentials: owners and admins manage them; everyone sees what is there.
  const editor = canManage(workspace.role);
  const providers = useToolProviders(workspace.id);
  const [adding, setAdding] = useState(false);
  const paths = wsPaths(workspace.id);
  const invalidate = () => {
    void queryClient.invalidateQueries({ queryKey: queryKeys.toolProviders(workspace.id) });
    void queryClient.invalidateQueries({ queryKey: queryKeys.tools(workspace.id) });
  };
  const refresh = useMutation({
    mutationFn: (p: ToolProviderPublic) => request<ToolProviderPublic>("POST", `${paths.provider(p.id)}/refresh`),
    onSuccess: (p) => {
      void message.success(t("tools.refreshed", { name: p.name, count: p.tools.length }));
      invalidate();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const remove = useMutation({
    mutationFn: (p: ToolProviderPublic) => request<void>("DELETE", paths.provider(p.id)),
    onSuccess: (_, p) => {
      void message.success(t("tools.deleted", { name: p.name }));
      invalidate();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  if (providers.isError) return <Alert type="error" showIcon title={errorMessage(providers.error, t)} />;

  return (
    <>
      <Flex justify="space-between" align="center" gap={16} wrap style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{editor ? t("tools.hint") : t("tools.adminsOnly")}</Typography.Text>
        <Space>
          <Tooltip title={t("common.refresh")}>
            <Button icon={<ReloadOutlined />} onClick={() => void providers.refetch()} loading={providers.isFetching && !providers.isPending} aria-label={t("common.refresh")} data-testid="tool-providers-reload" />
          </Tooltip>
          {editor && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="tool-provider-add">
              {t("tools.add")}
            </Button>
          )}
        </Space>
      </Flex>
      <Table<ToolProviderPublic>
        rowKey="id"
        loading={providers.isPending}
        dataSource={providers.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        scroll={{ x: "max-content" }}
        data-testid="tool-provider-table"
        locale={{ emptyText: t("tools.empty") }}
        onRow={(p) => ({ "data-testid": `tool-provider-row-${p.name}` }) as HTMLAttributes<HTMLElement>}
        expandable={{ expandedRowRender: (p) => <ToolList provider={p} />, rowExpandable: () => true }}
        columns={[
          {
            title: t("tools.name"),
            key: "name",
            render: (_, p) => (
              <Space>
                <ApiOutlined />
                <Typography.Text strong>{p.name}</Typography.Text>
              </Space>
            ),
          },
          { title: t("tools.kind"), key: "kind", render: (_, p) => <Tag>{p.kind === "mcp" ? "MCP" : "OpenAPI"}</Tag> },
          {
            title: t("tools.toolsCount"),
            key: "tools",
            align: "right",
            render: (_, p) => <span data-testid="tool-provider-count">{p.tools.length}</span>,
          },
          {
            title: t("tools.auth"),
            key: "auth",
            render: (_, p) => (
              <Space size={4}>
                {t(`tools.authTypes.${p.auth.type as ToolAuthType}`)}
                {p.auth.header && <Typography.Text type="secondary" style={{ fontFamily: MONO, fontSize: 12 }}>{p.auth.header}</Typography.Text>}
                {p.auth.has_secret && (
                  <Tooltip title={t("tools.secretStored")}>
                    <LockOutlined data-testid="tool-provider-secret" />
                  </Tooltip>
                )}
              </Space>
            ),
          },
          { title: t("common.updatedAt"), key: "updated", render: (_, p) => formatDateTime(p.updated_at) },
          {
            title: t("common.actions"),
            key: "actions",
            fixed: "right",
            render: (_, p) => (
              <Space size={0} wrap={false}>
                {editor && (
                  <Button
                    type="link"
                    size="small"
                    icon={<SyncOutlined spin={refresh.isPending && refresh.variables?.id === p.id} />}
                    onClick={() => refresh.mutate(p)}
                    data-testid={`tool-provider-refresh-${p.name}`}
                  >
                    {t("tools.refresh")}
                  </Button>
                )}
                {editor && (
                  <Button
                    type="link"
                    size="small"
                    danger
                    icon={<DeleteOutlined />}
                    data-testid={`tool-provider-delete-${p.name}`}
                    onClick={() =>
                      void modal.confirm({
                        title: t("tools.confirmDelete", { name: p.name }),
                        content: t("tools.deleteWarning"),
                        okText: t("common.delete"),
                        okButtonProps: { danger: true, "data-testid": "tool-provider-delete-confirm" } as ButtonProps,
                        cancelText: t("common.cancel"),
                        onOk: () => remove.mutateAsync(p).catch(() => undefined),
                      })
                    }
                  >
                    {t("common.delete")}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <AddProviderModal workspace={workspace} open={adding} onClose={() => setAdding(false)} />
    </>
  );
}
