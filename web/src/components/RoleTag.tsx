import { Tag } from "antd";
import { useTranslation } from "react-i18next";
import type { Role } from "../api/client";

const COLORS: Record<Role, string> = { owner: "gold", admin: "blue", editor: "cyan", member: "default" };

export function RoleTag({ role }: { role: Role }) {
  const { t } = useTranslation();
  return <Tag color={COLORS[role]}>{t(`roles.${role}`)}</Tag>;
}
