import { DownOutlined, KeyOutlined, LogoutOutlined, UserOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Avatar, Button, Dropdown, Space } from "antd";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, unwrap } from "../api/client";
import { errorMessage } from "../api/errors";
import { useWorkspace } from "./workspace";

export function UserMenu() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { me } = useWorkspace();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/logout")),
    onSuccess: () => {
      queryClient.clear();
      navigate("/login", { replace: true });
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const name = me.user.display_name || me.user.username;

  return (
    <Dropdown
      trigger={["click"]}
      placement="bottomRight"
      menu={{
        items: [
          {
            key: "password",
            icon: <KeyOutlined />,
            label: <span data-testid="user-menu-password">{t("header.changePassword")}</span>,
          },
          { type: "divider" },
          {
            key: "logout",
            icon: <LogoutOutlined />,
            label: <span data-testid="user-menu-logout">{t("header.logout")}</span>,
          },
        ],
        onClick: ({ key }) => {
          if (key === "password") navigate("/settings/profile");
          if (key === "logout") logout.mutate();
        },
      }}
    >
      <Button type="text" data-testid="user-menu" style={{ height: 40 }}>
        <Space size={8}>
          <Avatar size={28} icon={<UserOutlined />} style={{ backgroundColor: "#1677ff" }} />
          <span className="hezi-hide-narrow">{name}</span>
          <DownOutlined style={{ fontSize: 10 }} />
        </Space>
      </Button>
    </Dropdown>
  );
}
