import { PlusOutlined } from "@ant-design/icons";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  Alert,
  App,
  Button,
  Checkbox,
  Col,
  DatePicker,
  Flex,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from "antd";
import type { Dayjs } from "dayjs";
import dayjs from "dayjs";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type ApiKeyCreated, type ApiKeyPublic, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { FormModal } from "../../components/FormModal";
import { formatDateTime, formatNumber } from "../../components/format";
import { KeyRevealModal } from "../../components/KeyRevealModal";
import { NeedsManager } from "../../components/NeedsRole";

interface CreateForm {
  name: string;
  scopes: string[];
  expires_at?: Dayjs | null;
  rate_limit_rpm?: number | null;
  token_limit_per_day?: number | null;
}

// The scopes the server knows (accounts/api_keys.py KNOWN_SCOPES).
const SCOPES = ["api", "datasets"] as const;
// The largest limits the server accepts (accounts/schemas.py RequestsPerMinute, TokensPerDay).
const MAX_RPM = 1_000_000;
const MAX_TOKENS_PER_DAY = 1_000_000_000_000;

export function ApiKeysPage() {
  return <NeedsManager>{(workspace) => <ApiKeys workspace={workspace} key={workspace.id} />}</NeedsManager>;
}

function KeyStatus({ k }: { k: ApiKeyPublic }) {
  const { t } = useTranslation();
  if (k.revoked_at) {
    return (
      <Tooltip title={t("apiKeys.revokedAt", { time: formatDateTime(k.revoked_at) })}>
        <Tag color="default">{t("apiKeys.revoked")}</Tag>
      </Tooltip>
    );
  }
  if (k.expires_at && new Date(k.expires_at) <= new Date()) return <Tag color="warning">{t("apiKeys.expired")}</Tag>;
  return <Tag color="success">{t("apiKeys.active")}</Tag>;
}

/** "30 req/min" over "50,000 tokens/day", only the limits that are set; "Unlimited" when none is. */
function KeyLimits({ k }: { k: ApiKeyPublic }) {
  const { t } = useTranslation();
  const parts: string[] = [];
  if (k.rate_limit_rpm != null) parts.push(t("apiKeys.rpmValue", { value: formatNumber(k.rate_limit_rpm) }));
  if (k.token_limit_per_day != null) parts.push(t("apiKeys.tokensValue", { value: formatNumber(k.token_limit_per_day) }));
  if (parts.length === 0) {
    return (
      <Typography.Text type="secondary" data-testid="apikey-limits">
        {t("apiKeys.unlimited")}
      </Typography.Text>
    );
  }
  // One limit a line, like the Created column: the table stays narrow enough to show every column.
  return (
    <Space orientation="vertical" size={0} data-testid="apikey-limits">
      {parts.map((p) => (
        <span key={p}>{p}</span>
      ))}
    </Space>
  );
}

function ApiKeys({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [form] = Form.useForm<CreateForm>();
  const path = { workspace_id: workspace.id };
  const key = queryKeys.apiKeys(workspace.id);
  const onError = (err: unknown) => void message.error(errorMessage(err, t));

  const keys = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET("/api/workspaces/{workspace_id}/api-keys", { params: { path } })),
  });
  const create = useMutation({
    mutationFn: ({ name, scopes, expires_at, rate_limit_rpm, token_limit_per_day }: CreateForm) =>
      unwrap(
        api.POST("/api/workspaces/{workspace_id}/api-keys", {
          params: { path },
          body: {
            name,
            scopes,
            expires_at: expires_at ? expires_at.endOf("day").toISOString() : null,
            rate_limit_rpm: rate_limit_rpm ?? null,
            token_limit_per_day: token_limit_per_day ?? null,
          },
        }),
      ),
    onSuccess: (k) => {
      setCreating(false);
      setCreated(k);
      void queryClient.invalidateQueries({ queryKey: key });
    },
    onError,
  });
  const revoke = useMutation({
    mutationFn: (keyId: string) =>
      unwrap(
        api.DELETE("/api/workspaces/{workspace_id}/api-keys/{key_id}", {
          params: { path: { ...path, key_id: keyId } },
        }),
      ),
    onSuccess: () => {
      void message.success(t("apiKeys.revokedOk"));
      void queryClient.invalidateQueries({ queryKey: key });
    },
    onError,
  });

  if (keys.isError) return <Alert type="error" showIcon title={errorMessage(keys.error, t)} />;

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{t("apiKeys.description", { workspace: workspace.name })}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="apikey-create">
          {t("apiKeys.create")}
        </Button>
      </Flex>
      <Table<ApiKeyPublic>
        rowKey="id"
        loading={keys.isPending}
        dataSource={keys.data?.data}
        pagination={{ hideOnSinglePage: true, pageSize: 20 }}
        scroll={{ x: "max-content" }}
        data-testid="apikey-table"
        locale={{ emptyText: t("apiKeys.empty") }}
        columns={[
          { title: t("apiKeys.name"), dataIndex: "name", key: "name", render: (name: string) => <Typography.Text strong>{name}</Typography.Text> },
          {
            title: t("apiKeys.prefix"),
            key: "prefix",
            render: (_, k) => (
              <Typography.Text code data-testid="apikey-prefix">
                {k.prefix}…
              </Typography.Text>
            ),
          },
          {
            title: t("apiKeys.scopes"),
            key: "scopes",
            render: (_, k) => (
              <Space size={[0, 4]} wrap>
                {k.scopes.map((s) => (
                  <Tag key={s}>{s}</Tag>
                ))}
              </Space>
            ),
          },
          { title: t("apiKeys.limits"), key: "limits", render: (_, k) => <KeyLimits k={k} /> },
          { title: t("common.status"), key: "status", render: (_, k) => <KeyStatus k={k} /> },
          {
            title: t("common.createdAt"),
            key: "created",
            render: (_, k) => (
              <Space orientation="vertical" size={0}>
                <span>{formatDateTime(k.created_at)}</span>
                {k.created_by && <Typography.Text type="secondary">{k.created_by}</Typography.Text>}
              </Space>
            ),
          },
          {
            title: t("apiKeys.lastUsed"),
            key: "last_used",
            render: (_, k) => (k.last_used_at ? formatDateTime(k.last_used_at) : <Typography.Text type="secondary">{t("apiKeys.never")}</Typography.Text>),
          },
          {
            title: t("apiKeys.expires"),
            key: "expires",
            render: (_, k) => (k.expires_at ? formatDateTime(k.expires_at) : <Typography.Text type="secondary">{t("apiKeys.noExpiry")}</Typography.Text>),
          },
          {
            title: t("common.actions"),
            key: "actions",
            fixed: "right",
            render: (_, k) =>
              k.revoked_at ? null : (
                <Popconfirm
                  title={t("apiKeys.confirmRevoke", { name: k.name })}
                  description={t("apiKeys.revokeWarning")}
                  okButtonProps={{ danger: true }}
                  okText={t("apiKeys.revoke")}
                  onConfirm={() => revoke.mutate(k.id)}
                >
                  <Button type="link" size="small" danger data-testid={`apikey-revoke-${k.prefix}`}>
                    {t("apiKeys.revoke")}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />

      <FormModal<CreateForm>
        open={creating}
        title={t("apiKeys.create")}
        form={form}
        onFinish={(values) => create.mutate(values)}
        onCancel={() => setCreating(false)}
        loading={create.isPending}
        okText={t("common.create")}
        initialValues={{ scopes: ["api"] }}
        testId="apikey-create-form"
      >
        <Form.Item
          name="name"
          label={t("apiKeys.name")}
          extra={t("apiKeys.nameHint")}
          rules={[{ required: true, whitespace: true, message: t("common.required") }, { max: 100 }]}
        >
          <Input autoComplete="off" data-testid="apikey-name-input" />
        </Form.Item>
        <Form.Item
          name="scopes"
          label={t("apiKeys.scopes")}
          rules={[{ required: true, type: "array", min: 1, message: t("apiKeys.scopesRequired") }]}
        >
          <Checkbox.Group
            options={SCOPES.map((s) => ({ value: s, label: <>{t(`apiKeys.scope.${s}`)} <Typography.Text type="secondary" code>{s}</Typography.Text></> }))}
          />
        </Form.Item>
        <Form.Item name="expires_at" label={t("apiKeys.expires")} extra={t("apiKeys.expiresHint")}>
          <DatePicker
            style={{ width: "100%" }}
            disabledDate={(d) => d.isBefore(dayjs(), "day")}
            placeholder={t("apiKeys.noExpiry")}
          />
        </Form.Item>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="rate_limit_rpm" label={t("apiKeys.rpm")} extra={t("apiKeys.rpmHint")} style={{ marginBottom: 0 }}>
              <InputNumber<number>
                min={1}
                max={MAX_RPM}
                precision={0}
                style={{ width: "100%" }}
                placeholder={t("apiKeys.unlimited")}
                data-testid="apikey-rpm-input"
              />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              name="token_limit_per_day"
              label={t("apiKeys.tokensPerDay")}
              extra={t("apiKeys.tokensHint")}
              style={{ marginBottom: 0 }}
            >
              <InputNumber<number>
                min={1}
                max={MAX_TOKENS_PER_DAY}
                precision={0}
                style={{ width: "100%" }}
                placeholder={t("apiKeys.unlimited")}
                data-testid="apikey-tokens-input"
              />
            </Form.Item>
          </Col>
        </Row>
      </FormModal>

      <KeyRevealModal created={created} onClose={() => setCreated(null)} />
    </>
  );
}
