import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Checkbox, Form, Input, Select } from "antd";
import { useTranslation } from "react-i18next";
import { useAgents } from "../../api/agentQueries";
import { request } from "../../api/agents";
import { appKeys, appPaths, CHANNELS, type AppCreate, type AppPublic, type Channel } from "../../api/apps";
import type { WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { FormModal } from "../../components/FormModal";

interface Values {
  agent_id: string;
  name?: string;
  slug?: string;
  channels: Channel[];
}

const DEFAULT_CHANNELS: Channel[] = ["web_app", "api", "openai"];

/** Publish an agent as an app: it serves the agent's latest published version until another is released. */
export function PublishAppModal({
  workspace,
  open,
  onClose,
  onCreated,
  agentId,
}: {
  workspace: WorkspaceRef;
  open: boolean;
  onClose: () => void;
  onCreated: (app: AppPublic) => void;
  agentId?: string;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const queryClient = useQueryClient();
  const agents = useAgents(workspace.id);
  const published = (agents.data?.data ?? []).filter((a) => a.published_version !== null);

  const create = useMutation({
    mutationFn: (v: Values) => {
      const body: AppCreate = {
        agent_id: v.agent_id,
        access: "public",
        channels: Object.fromEntries(CHANNELS.map((c) => [c, v.channels.includes(c)])) as Record<Channel, boolean>,
      };
      if (v.name?.trim()) body.name = v.name.trim();
      if (v.slug?.trim()) body.slug = v.slug.trim();
      return request<AppPublic>("POST", appPaths(workspace.id).apps, body);
    },
    onSuccess: (app) => {
      void message.success(t("apps.published", { name: app.name }));
      void queryClient.invalidateQueries({ queryKey: appKeys.all(workspace.id) });
      onClose();
      onCreated(app);
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  return (
    <FormModal<Values>
      open={open}
      title={t("apps.publishTitle")}
      form={form}
      onFinish={(v) => create.mutate(v)}
      onCancel={onClose}
      loading={create.isPending}
      okText={t("apps.publishOk")}
      initialValues={{ channels: DEFAULT_CHANNELS, agent_id: agentId }}
      testId="app-publish-form"
      width={560}
    >
      {!agents.isPending && published.length === 0 && <Alert type="info" showIcon title={t("apps.noPublishedAgents")} style={{ marginBottom: 16 }} />}
      <Form.Item name="agent_id" label={t("apps.agent")} rules={[{ required: true, message: t("common.required") }]} extra={t("apps.agentHint")}>
        <Select
          showSearch={{ optionFilterProp: "label" }}
          loading={agents.isPending}
          data-testid="app-publish-agent"
          options={published.map((a) => ({ value: a.id, label: `${a.name} · v${a.published_version}` }))}
          onChange={(id: string) => {
            if (!form.getFieldValue("name")) form.setFieldValue("name", published.find((a) => a.id === id)?.name ?? "");
          }}
        />
      </Form.Item>
      <Form.Item name="name" label={t("apps.name")}>
        <Input maxLength={128} data-testid="app-publish-name" />
      </Form.Item>
      <Form.Item name="slug" label={t("apps.slug")} extra={t("apps.slugHint")} rules={[{ pattern: /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/, message: t("apps.slugInvalid") }]}>
        <Input maxLength={64} placeholder="hr-helper" data-testid="app-publish-slug" />
      </Form.Item>
      <Form.Item name="channels" label={t("apps.channelsTitle")}>
        <Checkbox.Group options={CHANNELS.map((c) => ({ value: c, label: t(`apps.channels.${c}`) }))} />
      </Form.Item>
    </FormModal>
  );
}
