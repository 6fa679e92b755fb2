import { AppstoreAddOutlined, ReloadOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Empty, Flex, Space, Table, Tag, Tooltip, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { CHANNELS, useApps, type AppPublic } from "../../api/apps";
import type { WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { formatDateTime } from "../../components/format";
import { PageHeader } from "../../components/PageHeader";
import { atLeast } from "../../components/roles";
import { useWorkspace } from "../../components/workspace";
import { PublishAppModal } from "./PublishAppModal";

/** Owners, admins and editors publish and change apps; every member sees them, their logs and analytics. */
export const canEditApps = (ws: WorkspaceRef) => atLeast(ws.role, "editor");

/** The workspace's apps: each serves a published agent version through the channels its owner opens. */
export function AppsPage() {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  return (
    <>
      <PageHeader title={t("nav.apps")} description={t("apps.description")} />
      {workspace === null ? <Alert type="info" showIcon title={t("workspace.none")} /> : <AppList workspace={workspace} key={workspace.id} />}
    </>
  );
}

export function ChannelTags({ app }: { app: AppPublic }) {
  const { t } = useTranslation();
  const open = CHANNELS.filter((c) => app.channels[c]);
  if (open.length === 0) return <Typography.Text type="secondary">{t("apps.noChannels")}</Typography.Text>;
  return (
    <Space size={[4, 4]} wrap>
      {open.map((c) => (
        <Tag key={c} bordered={false} color="geekblue">
          {t(`apps.channels.${c}`)}
        </Tag>
      ))}
    </Space>
  );
}

function AppList({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const apps = useApps(workspace.id);
  const [publishing, setPublishing] = useState(false);
  const editor = canEditApps(workspace);
  if (apps.isError) return <Alert type="error" showIcon title={errorMessage(apps.error, t)} />;
  const list = apps.data?.data ?? [];

  return (
    <Card>
      <Flex justify="space-between" align="center" gap={16} wrap style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">{editor ? t("apps.listHint") : t("apps.readOnly", { workspace: workspace.name })}</Typography.Text>
        <Space>
          <Tooltip title={t("common.refresh")}>
            <Button icon={<ReloadOutlined />} onClick={() => void apps.refetch()} aria-label={t("common.refresh")} />
          </Tooltip>
          {editor && (
            <Button type="primary" icon={<AppstoreAddOutlined />} onClick={() => setPublishing(true)} data-testid="app-publish">
              {t("apps.publish")}
            </Button>
          )}
        </Space>
      </Flex>
      {!apps.isPending && list.length === 0 ? (
        <Empty description={editor ? t("apps.empty") : t("apps.emptyReadOnly")} data-testid="app-empty">
          {editor && (
            <Button type="primary" icon={<AppstoreAddOutlined />} onClick={() => setPublishing(true)}>
              {t("apps.publish")}
            </Button>
          )}
        </Empty>
      ) : (
        <Table<AppPublic>
          rowKey="id"
          loading={apps.isPending}
          dataSource={list}
          pagination={false}
          data-testid="app-list"
          onRow={(app) => ({ onClick: () => navigate(`/apps/${app.id}`), style: { cursor: "pointer" } })}
          columns={[
            {
              title: t("apps.name"),
              key: "name",
              render: (_, app) => (
                <Flex vertical>
                  <Link to={`/apps/${app.id}`} data-testid={`app-row-${app.slug}`} onClick={(e) => e.stopPropagation()}>
                    {app.name}
                  </Link>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {app.model}
                  </Typography.Text>
                </Flex>
              ),
            },
            {
              title: t("apps.agent"),
              key: "agent",
              render: (_, app) => (
                <Space size={4} wrap>
                  <span>{app.agent_name}</span>
                  <Tag bordered={false} color="blue">
                    {t("apps.versionTag", { version: app.agent_version })}
                  </Tag>
                  {app.latest_version !== null && app.latest_version !== undefined && app.latest_version > app.agent_version && (
                    <Tag bordered={false} color="orange">
                      {t("apps.newerVersion", { version: app.latest_version })}
                    </Tag>
                  )}
                </Space>
              ),
            },
            { title: t("apps.channelsTitle"), key: "channels", render: (_, app) => <ChannelTags app={app} /> },
            {
              title: t("common.status"),
              key: "status",
              render: (_, app) =>
                app.enabled ? <Tag color="green">{t("apps.enabled")}</Tag> : <Tag>{t("apps.disabled")}</Tag>,
            },
            { title: t("common.createdAt"), key: "created", render: (_, app) => formatDateTime(app.created_at) },
          ]}
        />
      )}
      <PublishAppModal workspace={workspace} open={publishing} onClose={() => setPublishing(false)} onCreated={(app) => navigate(`/apps/${app.id}`)} />
    </Card>
  );
}
