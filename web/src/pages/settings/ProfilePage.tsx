import { useMutation } from "@tanstack/react-query";
import { App, Button, Descriptions, Divider, Form, Input, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { formatDateTime } from "../../components/format";
import { useWorkspace } from "../../components/workspace";

interface PasswordForm {
  current_password: string;
  new_password: string;
  confirm: string;
}

export const MIN_PASSWORD = 8;

export function ProfilePage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useWorkspace();
  const [form] = Form.useForm<PasswordForm>();
  const change = useMutation({
    mutationFn: ({ current_password, new_password }: PasswordForm) =>
      unwrap(api.POST("/api/auth/password", { body: { current_password, new_password } })),
    onSuccess: () => {
      form.resetFields();
      void message.success(t("profile.passwordChanged"));
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  return (
    <>
      <Descriptions
        column={{ xs: 1, md: 2 }}
        items={[
          { key: "username", label: t("users.username"), children: me.user.username },
          { key: "display", label: t("users.displayName"), children: me.user.display_name || "—" },
          {
            key: "kind",
            label: t("users.kind"),
            children: me.user.is_superuser ? <Tag color="purple">{t("users.superuser")}</Tag> : t("users.regular"),
          },
          { key: "created", label: t("common.createdAt"), children: formatDateTime(me.user.created_at) },
        ]}
      />
      <Divider />
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {t("profile.changePassword")}
      </Typography.Title>
      <Form<PasswordForm>
        form={form}
        layout="vertical"
        style={{ maxWidth: 400 }}
        onFinish={(values) => change.mutate(values)}
      >
        {/* lets password managers know whose password this is */}
        <input type="text" name="username" value={me.user.username} autoComplete="username" readOnly hidden />
        <Form.Item
          name="current_password"
          label={t("profile.currentPassword")}
          rules={[{ required: true, message: t("common.required") }]}
        >
          <Input.Password autoComplete="current-password" data-testid="profile-current-password" />
        </Form.Item>
        <Form.Item
          name="new_password"
          label={t("profile.newPassword")}
          rules={[
            { required: true, message: t("common.required") },
            { min: MIN_PASSWORD, message: t("common.passwordMin", { count: MIN_PASSWORD }) },
          ]}
        >
          <Input.Password autoComplete="new-password" data-testid="profile-new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t("profile.confirmPassword")}
          dependencies={["new_password"]}
          rules={[
            { required: true, message: t("common.required") },
            ({ getFieldValue }) => ({
              validator: (_, value) =>
                !value || getFieldValue("new_password") === value
                  ? Promise.resolve()
                  : Promise.reject(new Error(t("profile.mismatch"))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" data-testid="profile-confirm-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={change.isPending} data-testid="profile-submit">
          {t("profile.submit")}
        </Button>
      </Form>
    </>
  );
}
