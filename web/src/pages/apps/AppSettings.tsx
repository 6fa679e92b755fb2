import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Flex, Form, Input, InputNumber, Radio, Select, Switch, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { request } from "../../api/agents";
import { appKeys, appPaths, CHANNELS, type AppPublic, type AppUpdate, type Channel } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import type { AppPaneProps } from "./types";

interface Values {
  name: string;
  access: AppPublic["access"];
  password?: string;
  allowed_origins: string[];
  rate_limit_rpm: number | null;
  token_limit_per_day: number | null;
}

const ORIGIN = /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/;

/** Switches (the app, each channel) take effect at once; the rest is saved with the button. */
export function AppSettings({ workspace, app, editor }: AppPaneProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const access = Form.useWatch("access", form) ?? app.access;

  const save = useMutation({
    mutationFn: (body: AppUpdate) => request<AppPublic>("PATCH", appPaths(workspace.id, app.id).app, body),
    onSuccess: (updated) => {
      queryClient.setQueryData(appKeys.app(workspace.id, app.id), updated);
      void queryClient.invalidateQueries({ queryKey: appKeys.all(workspace.id), exact: true });
      void message.success(t("common.saved"));
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const toggle = (channel: Channel, on: boolean) =>
    save.mutate({ channels: { ...app.channels, [channel]: on } as AppUpdate["channels"] });

  return (
    <Flex vertical gap={16} style={{ maxWidth: 760 }}>
      <Card size="small" title={t("apps.settings.switches")}>
        <Flex vertical gap={12}>
          <Flex justify="space-between" align="center" gap={16}>
            <div>
              <Typography.Text strong>{t("apps.settings.enabled")}</Typography.Text>
              <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
                {t("apps.settings.enabledHint")}
              </Typography.Paragraph>
            </div>
            <Switch checked={app.enabled} disabled={!editor} loading={save.isPending} onChange={(on) => save.mutate({ enabled: on })} data-testid="app-enabled" />
          </Flex>
          {CHANNELS.map((c) => (
            <Flex key={c} justify="space-between" align="center" gap={16}>
              <div>
                <Typography.Text>{t(`apps.channels.${c}`)}</Typography.Text>
                <Typography.Paragraph type="secondary" style={{ margin: 0, fontSize: 12 }}>
                  {t(`apps.channelHints.${c}`)}
                </Typography.Paragraph>
              </div>
              <Switch checked={Boolean(app.channels[c])} disabled={!editor} onChange={(on) => toggle(c, on)} data-testid={`app-channel-${c}`} />
            </Flex>
          ))}
        </Flex>
      </Card>
      <Card size="small" title={t("apps.settings.general")}>
        <Form<Values>
          form={form}
          layout="vertical"
          disabled={!editor}
          initialValues={{
            name: app.name,
            access: app.access,
            allowed_origins: app.allowed_origins,
            rate_limit_rpm: app.rate_limit_rpm ?? null,
            token_limit_per_day: app.token_limit_per_day ?? null,
          }}
          onFinish={(v) => {
            const body: AppUpdate = {
              name: v.name,
              access: v.access,
              allowed_origins: v.allowed_origins,
              rate_limit_rpm: v.rate_limit_rpm ?? 0,
              token_limit_per_day: v.token_limit_per_day ?? 0,
            };
            if (v.access === "password" && v.password) body.password = v.password;
            save.mutate(body, { onSuccess: () => form.setFieldValue("password", "") });
          }}
          data-testid="app-settings-form"
        >
          <Form.Item name="name" label={t("apps.name")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
            <Input maxLength={128} />
          </Form.Item>
          <Form.Item name="access" label={t("apps.settings.access")} extra={t("apps.settings.accessHint")}>
            <Radio.Group
              optionType="button"
              options={(["public", "password", "workspace"] as const).map((a) => ({ value: a, label: t(`apps.access.${a}`) }))}
              data-testid="app-access"
            />
          </Form.Item>
          {access === "password" && (
            <Form.Item
              name="password"
              label={t("apps.settings.password")}
              rules={app.has_password ? [{ min: 4, message: t("common.passwordMin", { count: 4 }) }] : [{ required: true, message: t("common.required") }, { min: 4, message: t("common.passwordMin", { count: 4 }) }]}
            >
              <Input.Password placeholder={app.has_password ? t("apps.settings.passwordKept") : ""} autoComplete="new-password" data-testid="app-password" />
            </Form.Item>
          )}
          <Form.Item
            name="allowed_origins"
            label={t("apps.settings.origins")}
            extra={t("apps.settings.originsHint")}
            rules={[{ validator: async (_, v: string[] | undefined) => { if ((v ?? []).some((o) => !ORIGIN.test(o))) throw new Error(t("apps.settings.originInvalid")); } }]}
          >
            <Select mode="tags" tokenSeparators={[",", " "]} open={false} suffixIcon={null} placeholder="https://intranet.example.com" data-testid="app-origins" />
          </Form.Item>
          <Flex gap={16} wrap>
            <Form.Item name="rate_limit_rpm" label={t("apps.settings.rpm")} extra={t("apps.settings.noLimit")}>
              <InputNumber min={0} max={1000000} style={{ width: 200 }} data-testid="app-rpm" />
            </Form.Item>
            <Form.Item name="token_limit_per_day" label={t("apps.settings.tokensPerDay")} extra={t("apps.settings.noLimit")}>
              <InputNumber min={0} style={{ width: 200 }} data-testid="app-tokens-per-day" />
            </Form.Item>
          </Flex>
          {editor && (
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="app-settings-save">
              {t("common.save")}
            </Button>
          )}
        </Form>
      </Card>
    </Flex>
  );
}
