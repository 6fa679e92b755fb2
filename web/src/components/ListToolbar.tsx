import { ReloadOutlined } from "@ant-design/icons";
import { Button, Flex, Space, Tooltip, Typography } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

interface ListAction {
  label: ReactNode;
  icon: ReactNode;
  onClick: () => void;
  testId: string;
}

/** The line above a list: a hint on the left; refresh and the main action (when allowed) on the right. */
export function ListToolbar({
  hint,
  onRefresh,
  refreshing,
  refreshTestId,
  action,
}: {
  hint: ReactNode;
  onRefresh: () => void;
  refreshing: boolean;
  refreshTestId: string;
  action?: ListAction | false;
}) {
  const { t } = useTranslation();
  return (
    <Flex justify="space-between" align="center" gap={16} style={{ marginBottom: 16 }}>
      <Typography.Text type="secondary">{hint}</Typography.Text>
      <Space>
        <Tooltip title={t("common.refresh")}>
          <Button
            icon={<ReloadOutlined />}
            onClick={onRefresh}
            loading={refreshing}
            aria-label={t("common.refresh")}
            data-testid={refreshTestId}
          />
        </Tooltip>
        {action && (
          <Button type="primary" icon={action.icon} onClick={action.onClick} data-testid={action.testId}>
            {action.label}
          </Button>
        )}
      </Space>
    </Flex>
  );
}
