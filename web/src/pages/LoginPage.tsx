import { LockOutlined, UserOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Flex, Form, Input, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useNavigate, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { errorMessage } from "../api/errors";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { Logo } from "../components/Logo";

interface LoginForm {
  username: string;
  password: string;
}

/** Only same-site paths: `?next=https://evil.example` must not become an open redirect. */
function safeNext(next: string | null): string {
  return next !== null && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login")
    ? next
    : "/dashboard";
}

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const login = useMutation({
    mutationFn: (body: LoginForm) => unwrap(api.POST("/api/auth/login", { body })),
    onSuccess: () => {
      // Nothing cached from an earlier session may leak into this one.
      queryClient.clear();
      navigate(safeNext(params.get("next")), { replace: true });
    },
  });

  return (
    <Flex vertical style={{ minHeight: "100vh", background: "linear-gradient(180deg, #e6f4ff 0%, #f5f5f5 55%)" }}>
      <Flex justify="flex-end" style={{ padding: "12px 24px" }}>
        <LanguageSwitch />
      </Flex>
      <Flex flex={1} align="center" justify="center" style={{ padding: 24 }}>
        <Card style={{ width: 400, boxShadow: "0 6px 24px rgba(0, 0, 0, 0.06)" }} styles={{ body: { padding: 32 } }}>
          <Flex vertical align="center" gap={4} style={{ marginBottom: 28 }}>
            <Logo size={40} />
            <Typography.Text type="secondary">{t("login.tagline")}</Typography.Text>
          </Flex>
          {login.isError && (
            <Alert
              type="error"
              showIcon
              title={errorMessage(login.error, t)}
              style={{ marginBottom: 20 }}
              data-testid="login-error"
            />
          )}
          <Form<LoginForm>
            layout="vertical"
            requiredMark={false}
            onFinish={(values) => login.mutate(values)}
            autoComplete="on"
          >
            <Form.Item
              name="username"
              label={t("login.username")}
              rules={[{ required: true, message: t("login.usernameRequired") }]}
            >
              <Input
                size="large"
                prefix={<UserOutlined />}
                autoComplete="username"
                autoFocus
                data-testid="login-username"
              />
            </Form.Item>
            <Form.Item
              name="password"
              label={t("login.password")}
              rules={[{ required: true, message: t("login.passwordRequired") }]}
            >
              <Input.Password
                size="large"
                prefix={<LockOutlined />}
                autoComplete="current-password"
                data-testid="login-password"
              />
            </Form.Item>
            <Form.Item style={{ marginBottom: 0, marginTop: 8 }}>
              <Button
                type="primary"
                htmlType="submit"
                size="large"
                block
                loading={login.isPending}
                data-testid="login-submit"
              >
                {t("login.submit")}
              </Button>
            </Form.Item>
          </Form>
        </Card>
      </Flex>
      <Typography.Text type="secondary" style={{ textAlign: "center", padding: 16, fontSize: 12 }}>
        {t("login.footer")}
      </Typography.Text>
    </Flex>
  );
}
