import { RobotOutlined } from "@ant-design/icons";
import { Avatar, theme } from "antd";

/** An agent's icon: the emoji or short text it was given (as text, never markup), or a robot. */
export function AgentAvatar({ icon, size = 32 }: { icon: string | null | undefined; size?: number }) {
  const { token } = theme.useToken();
  const text = icon?.trim();
  return (
    <Avatar
      size={size}
      icon={text ? undefined : <RobotOutlined />}
      style={{
        background: token.colorPrimaryBg,
        color: token.colorPrimary,
        fontSize: text ? size * 0.55 : undefined,
        flex: "none",
      }}
    >
      {text ? [...text].slice(0, 2).join("") : null}
    </Avatar>
  );
}
