import { ReloadOutlined } from "@ant-design/icons";
import { useInfiniteQuery } from "@tanstack/react-query";
import { Alert, Button, Flex, Segmented, Table, Tag, Typography } from "antd";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type AuditEntryPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { formatDateTime } from "../../components/format";
import { canManage } from "../../components/roles";
import { useWorkspace } from "../../components/workspace";

const PAGE = 50;
type Cursor = AuditEntryPublic["id"] | undefined;

/** Fetches the log newest first, one page at a time, `before_id` being the oldest entry seen. */
function useAuditLog(workspaceId: string | null) {
  return useInfiniteQuery({
    queryKey: queryKeys.audit(workspaceId),
    initialPageParam: undefined as Cursor,
    queryFn: ({ pageParam }) => {
      const query = { limit: PAGE, before_id: pageParam };
      return workspaceId === null
        ? unwrap(api.GET("/api/audit-log", { params: { query } }))
        : unwrap(api.GET("/api/workspaces/{workspace_id}/audit-log", { params: { path: { workspace_id: workspaceId }, query } }));
    },
    getNextPageParam: (last): Cursor => (last.data.length < PAGE ? undefined : last.data[last.data.length - 1]?.id),
  });
}

export function AuditLogPage() {
  const { t } = useTranslation();
  const { me, workspace } = useWorkspace();
  const manager = workspace !== null && canManage(workspace.role);
  const [scope, setScope] = useState<"workspace" | "all">(manager ? "workspace" : "all");

  if (!manager && !me.user.is_superuser) {
    return (
      <Alert type="info" showIcon title={workspace ? t("settings.managersOnly", { workspace: workspace.name }) : t("workspace.none")} />
    );
  }
  const workspaceId = scope === "workspace" && workspace !== null ? workspace.id : null;
  const scopeSwitch = me.user.is_superuser && (
    <Segmented<"workspace" | "all">
      value={scope}
      onChange={setScope}
      options={[
        { value: "workspace", label: t("audit.scopeWorkspace", { workspace: workspace?.name ?? "" }), disabled: !manager },
        { value: "all", label: t("audit.scopeAll") },
      ]}
      data-testid="audit-scope"
    />
  );
  return <AuditTable workspaceId={workspaceId} scopeSwitch={scopeSwitch} key={workspaceId ?? "all"} />;
}

function AuditTable({ workspaceId, scopeSwitch }: { workspaceId: string | null; scopeSwitch: ReactNode }) {
  const { t } = useTranslation();
  const log = useAuditLog(workspaceId);
  if (log.isError) return <Alert type="error" showIcon title={errorMessage(log.error, t)} />;
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <>
      <Flex justify="space-between" align="center" gap={16} style={{ marginBottom: 16 }}>
        <Flex align="center" gap={16} wrap>
          {scopeSwitch}
          <Typography.Text type="secondary">{workspaceId ? t("audit.description") : t("audit.descriptionAll")}</Typography.Text>
        </Flex>
        <Button icon={<ReloadOutlined />} onClick={() => void log.refetch()} loading={log.isRefetching}>
          {t("common.refresh")}
        </Button>
      </Flex>
      <Table<AuditEntryPublic>
        rowKey="id"
        size="middle"
        loading={log.isPending}
        dataSource={rows}
        pagination={false}
        scroll={{ x: "max-content" }}
        data-testid="audit-table"
        expandable={{
          rowExpandable: (e) => Object.keys(e.details ?? {}).length > 0,
          expandedRowRender: (e) => (
            <pre style={{ margin: 0, fontSize: 12, whiteSpace: "pre-wrap" }}>{JSON.stringify(e.details, null, 2)}</pre>
          ),
        }}
        columns={[
          { title: t("audit.time"), key: "at", render: (_, e) => formatDateTime(e.at), width: 200 },
          { title: t("audit.action"), key: "action", render: (_, e) => <Tag>{e.action}</Tag> },
          { title: t("audit.actor"), key: "actor", render: (_, e) => e.actor ?? <Typography.Text type="secondary">{t("audit.system")}</Typography.Text> },
          { title: t("audit.target"), key: "target", render: (_, e) => e.target ?? "—" },
          { title: t("audit.ip"), key: "ip", render: (_, e) => (e.ip ? <Typography.Text code>{e.ip}</Typography.Text> : "—") },
        ]}
      />
      {log.hasNextPage && (
        <Flex justify="center" style={{ marginTop: 16 }}>
          <Button onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
            {t("audit.loadMore")}
          </Button>
        </Flex>
      )}
    </>
  );
}
