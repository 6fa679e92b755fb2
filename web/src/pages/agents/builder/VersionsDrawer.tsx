import { HistoryOutlined, RollbackOutlined } from "@ant-design/icons";
import { Alert, App, Button, Drawer, Empty, Flex, List, Tag, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useAgentVersions } from "../../../api/agentQueries";
import type { AgentPublic, AgentVersionPublic } from "../../../api/agents";
import { errorMessage } from "../../../api/errors";
import { AgentAvatar } from "../../../components/agents/AgentAvatar";
import { formatDateTime } from "../../../components/format";

/** The agent's published versions, newest first; one can be copied back into the draft. */
export function VersionsDrawer({
  workspaceId,
  agent,
  open,
  onClose,
  onRestore,
  canEdit,
}: {
  workspaceId: string;
  agent: AgentPublic;
  open: boolean;
  onClose: () => void;
  onRestore: (version: AgentVersionPublic) => void;
  canEdit: boolean;
}) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const versions = useAgentVersions(workspaceId, agent.id, open);
  return (
    <Drawer
      open={open}
      onClose={onClose}
      size={460}
      title={
        <Flex gap={8} align="center">
          <HistoryOutlined />
          {t("builder.versions.title")}
        </Flex>
      }
      data-testid="builder-versions"
    >
      {versions.isError ? (
        <Alert type="error" showIcon title={errorMessage(versions.error, t)} />
      ) : (
        <List<AgentVersionPublic>
          loading={versions.isPending}
          dataSource={versions.data?.data ?? []}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("builder.versions.empty")} /> }}
          renderItem={(v) => (
            <List.Item
              data-testid={`builder-version-${v.version}`}
              actions={
                canEdit
                  ? [
                      <Button
                        key="restore"
                        size="small"
                        type="link"
                        icon={<RollbackOutlined />}
                        data-testid={`builder-version-restore-${v.version}`}
                        onClick={() =>
                          void modal.confirm({
                            title: t("builder.versions.confirmRestore", { version: v.version }),
                            content: t("builder.versions.restoreHint"),
                            okText: t("builder.versions.restore"),
                            cancelText: t("common.cancel"),
                            onOk: () => onRestore(v),
                          })
                        }
                      >
                        {t("builder.versions.restore")}
                      </Button>,
                    ]
                  : []
              }
            >
              <List.Item.Meta
                avatar={<AgentAvatar icon={v.icon} size={32} />}
                title={
                  <Flex gap={8} align="center" wrap>
                    <Tag color={v.version === agent.published_version ? "blue" : undefined} style={{ marginInlineEnd: 0 }}>
                      v{v.version}
                    </Tag>
                    <span>{v.name}</span>
                    {v.version === agent.published_version && <Typography.Text type="secondary">{t("builder.versions.current")}</Typography.Text>}
                  </Flex>
                }
                description={
                  <Flex vertical gap={2}>
                    {v.note && <Typography.Text data-testid="builder-version-note">{v.note}</Typography.Text>}
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {formatDateTime(v.created_at)} · {v.config.model}
                    </Typography.Text>
                  </Flex>
                }
              />
            </List.Item>
          )}
        />
      )}
    </Drawer>
  );
}
