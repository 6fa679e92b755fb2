import { RollbackOutlined, SendOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Card, Flex, Popconfirm, Select, Table, Tag, Typography, type ButtonProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useAgentVersions } from "../../api/agentQueries";
import { request } from "../../api/agents";
import { appKeys, appPaths, useReleases, type AppPublic, type ReleasePublic } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import { formatDateTime } from "../../components/format";
import type { AppPaneProps } from "./types";

/** The version the app serves, another one released in one step, a rollback in one click, every switch kept. */
export function AppReleases({ workspace, app, editor }: AppPaneProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const releases = useReleases(workspace.id, app.id);
  const versions = useAgentVersions(workspace.id, app.agent_id, true);
  const [chosen, setChosen] = useState<number | null>(null);
  const history = releases.data?.data ?? [];
  const canRollBack = history.some((r) => r.agent_version !== app.agent_version);

  const done = (updated: AppPublic, text: string) => {
    queryClient.setQueryData(appKeys.app(workspace.id, app.id), updated);
    void queryClient.invalidateQueries({ queryKey: appKeys.releases(workspace.id, app.id) });
    void queryClient.invalidateQueries({ queryKey: appKeys.all(workspace.id), exact: true });
    void message.success(text);
  };
  const release = useMutation({
    mutationFn: (version: number) => request<AppPublic>("POST", appPaths(workspace.id, app.id).release, { agent_version: version }),
    onSuccess: (updated) => done(updated, t("apps.releases.released", { version: updated.agent_version })),
    onError: (err) => void message.error(errorMessage(err, t)),
  });
  const rollback = useMutation({
    mutationFn: () => request<AppPublic>("POST", appPaths(workspace.id, app.id).rollback),
    onSuccess: (updated) => done(updated, t("apps.releases.rolledBack", { version: updated.agent_version })),
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  return (
    <Flex vertical gap={16}>
      <Card size="small">
        <Flex justify="space-between" align="center" gap={16} wrap>
          <Typography.Text data-testid="app-serving">
            {t("apps.releases.serving", { agent: app.agent_name, version: app.agent_version })}
          </Typography.Text>
          {editor && (
            <Flex gap={8} wrap>
              <Select<number>
                style={{ width: 260 }}
                placeholder={t("apps.releases.pick")}
                loading={versions.isPending}
                value={chosen ?? undefined}
                onChange={setChosen}
                data-testid="app-release-version"
                options={(versions.data?.data ?? []).map((v) => ({
                  value: v.version,
                  label: `v${v.version}${v.note ? ` · ${v.note}` : ""}${v.version === app.agent_version ? ` (${t("apps.releases.current")})` : ""}`,
                  disabled: v.version === app.agent_version,
                }))}
              />
              <Button type="primary" icon={<SendOutlined />} disabled={chosen === null} loading={release.isPending} onClick={() => chosen !== null && release.mutate(chosen)} data-testid="app-release">
                {t("apps.releases.release")}
              </Button>
              <Popconfirm title={t("apps.releases.confirmRollback")} onConfirm={() => rollback.mutateAsync()} okText={t("apps.releases.rollback")} cancelText={t("common.cancel")} okButtonProps={{ "data-testid": "app-rollback-confirm" } as ButtonProps}>
                <Button icon={<RollbackOutlined />} disabled={!canRollBack} loading={rollback.isPending} data-testid="app-rollback">
                  {t("apps.releases.rollback")}
                </Button>
              </Popconfirm>
            </Flex>
          )}
        </Flex>
      </Card>
      <Table<ReleasePublic>
        rowKey={(r) => `${r.created_at}-${r.agent_version}`}
        size="small"
        loading={releases.isPending}
        dataSource={history}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        data-testid="app-release-history"
        columns={[
          { title: t("apps.releases.version"), key: "v", render: (_, r) => <Tag color="blue" bordered={false}>v{r.agent_version}</Tag> },
          { title: t("apps.releases.kind"), key: "k", render: (_, r) => (r.rollback ? <Tag color="orange">{t("apps.releases.kindRollback")}</Tag> : <Tag>{t("apps.releases.kindRelease")}</Tag>) },
          { title: t("apps.releases.by"), key: "by", render: (_, r) => r.created_by ?? "—" },
          { title: t("apps.releases.when"), key: "at", render: (_, r) => formatDateTime(r.created_at) },
        ]}
      />
    </Flex>
  );
}
