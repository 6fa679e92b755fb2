import {
  ArrowLeftOutlined,
  CheckCircleOutlined,
  ClearOutlined,
  CloudUploadOutlined,
  ExclamationCircleOutlined,
  HistoryOutlined,
  LoadingOutlined,
  MessageOutlined,
} from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Card, Col, Flex, Form, Input, Modal, Result, Row, Space, Tag, Tooltip, Typography, theme, type ButtonProps } from "antd";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { useAgent } from "../../api/agentQueries";
import { request, wsPaths, type AgentPublic, type AgentVersionPublic } from "../../api/agents";
import type { WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { AgentAvatar } from "../../components/agents/AgentAvatar";
import { ChatView } from "../../components/chat/ChatView";
import { useAgentChat } from "../../components/chat/useAgentChat";
import { useWorkspace } from "../../components/workspace";
import { currentLanguage } from "../../i18n";
import { canEditAgents } from "./AgentList";
import { AgentForm } from "./builder/AgentForm";
import { toConfig, toUpdate, toValues, type BuilderValues } from "./builder/config";
import { VersionsDrawer } from "./builder/VersionsDrawer";
import { isWorkflow, type WorkflowAgent } from "../workflows/api";

// A workflow or chatflow agent opens the canvas (its own chunk: @xyflow/react, dagre).
const WorkflowEditor = lazy(() => import("../workflows/WorkflowEditor").then((m) => ({ default: m.WorkflowEditor })));

/** Edits stop for this long before the draft is saved. */
const AUTOSAVE_MS = 800;

type SaveState = { state: "saved" | "dirty" | "saving" | "invalid" | "error"; message?: string; at?: Date };

export function AgentBuilderPage() {
  const { t } = useTranslation();
  const { workspace } = useWorkspace();
  if (workspace === null) return <Alert type="info" showIcon title={t("workspace.none")} />;
  return <Builder workspace={workspace} key={workspace.id} />;
}

function Builder({ workspace }: { workspace: WorkspaceRef }) {
  const { t } = useTranslation();
  const { agentId = "" } = useParams();
  const agent = useAgent(workspace.id, agentId);
  const back = (
    <Link to="/agents" data-testid="builder-back">
      <ArrowLeftOutlined /> {t("builder.back")}
    </Link>
  );
  if (agent.isPending) return <Card loading />;
  if (agent.isError) {
    return (
      <Card>
        <Result status="404" title={t("builder.notFound")} subTitle={errorMessage(agent.error, t)} extra={back} />
      </Card>
    );
  }
  if (isWorkflow(agent.data))
    return (
      <Suspense fallback={<Card loading />}>
        <WorkflowEditor workspace={workspace} initial={agent.data as WorkflowAgent} back={back} editable={canEditAgents(workspace)} key={agent.data.id} />
      </Suspense>
    );
  return <BuilderForm workspace={workspace} initial={agent.data} back={back} key={agent.data.id} />;
}

function SaveIndicator({ save }: { save: SaveState }) {
  const { t } = useTranslation();
  const icon = {
    saved: <CheckCircleOutlined style={{ color: "#52c41a" }} />,
    dirty: <LoadingOutlined />,
    saving: <LoadingOutlined />,
    invalid: <ExclamationCircleOutlined style={{ color: "#faad14" }} />,
    error: <ExclamationCircleOutlined style={{ color: "#ff4d4f" }} />,
  }[save.state];
  const text = {
    saved: save.at ? t("builder.save.savedAt", { time: save.at.toLocaleTimeString(currentLanguage(), { hour12: false }) }) : t("builder.save.saved"),
    dirty: t("builder.save.saving"),
    saving: t("builder.save.saving"),
    invalid: t("builder.save.invalid"),
    error: t("builder.save.failed"),
  }[save.state];
  return (
    <Tooltip title={save.message}>
      <Typography.Text type="secondary" data-testid="builder-save-status" data-state={save.state} style={{ whiteSpace: "nowrap" }}>
        <Space size={4}>
          {icon}
          {text}
        </Space>
      </Typography.Text>
    </Tooltip>
  );
}

function BuilderForm({ workspace, initial, back }: { workspace: WorkspaceRef; initial: AgentPublic; back: React.ReactNode }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const editable = canEditAgents(workspace);
  const [form] = Form.useForm<BuilderValues>();
  const [values, setValues] = useState<BuilderValues>(() => toValues(initial));
  const [agent, setAgent] = useState<AgentPublic>(initial);
  const [save, setSave] = useState<SaveState>({ state: "saved" });
  const [publishing, setPublishing] = useState(false);
  const [publishOpen, setPublishOpen] = useState(false);
  const [note, setNote] = useState("");
  const [versionsOpen, setVersionsOpen] = useState(false);
  const paths = useMemo(() => wsPaths(workspace.id), [workspace.id]);

  // Autosave: one PATCH at a time; edits made while one is in flight are saved right after it.
  const timer = useRef<number | null>(null);
  const inFlight = useRef<Promise<void> | null>(null);
  const dirty = useRef(false);
  const base = useRef(initial.config);

  const saveNow = useCallback(async (): Promise<void> => {
    if (timer.current !== null) {
      window.clearTimeout(timer.current);
      timer.current = null;
    }
    if (inFlight.current) {
      await inFlight.current;
      if (!dirty.current) return;
    }
    if (!dirty.current || !editable) return;
    const job = (async (): Promise<boolean> => {
      try {
        await form.validateFields({ validateOnly: true });
      } catch {
        setSave({ state: "invalid", message: t("builder.save.invalidHint") });
        return false;
      }
      dirty.current = false;
      setSave({ state: "saving" });
      const body = toUpdate(form.getFieldsValue(true) as BuilderValues, base.current);
      try {
        const saved = await request<AgentPublic>("PATCH", paths.agent(initial.id), body);
        base.current = saved.config;
        setAgent(saved);
        queryClient.setQueryData(queryKeys.agent(workspace.id, saved.id), saved);
        void queryClient.invalidateQueries({ queryKey: queryKeys.agents(workspace.id) });
        setSave(dirty.current ? { state: "dirty" } : { state: "saved", at: new Date() });
        return true;
      } catch (err) {
        dirty.current = true;
        setSave({ state: "error", message: errorMessage(err, t) });
        return false;
      }
    })();
    const done = job.then(() => undefined);
    inFlight.current = done;
    let ok = false;
    try {
      ok = await job;
    } finally {
      if (inFlight.current === done) inFlight.current = null;
    }
    // Edits made during the save go out next; a refused save waits for the next edit instead of retrying.
    if (ok && dirty.current) timer.current = window.setTimeout(() => void saveNow(), AUTOSAVE_MS);
  }, [editable, form, initial.id, paths, queryClient, t, workspace.id]);
  const latestSave = useRef(saveNow);
  latestSave.current = saveNow;

  const onValuesChange = (_: unknown, all: BuilderValues) => {
    setValues(all);
    if (!editable) return;
    dirty.current = true;
    setSave({ state: "dirty" });
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void saveNow(), AUTOSAVE_MS);
  };

  // Leaving the page saves what is pending; closing the tab with unsaved edits asks first.
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (dirty.current || inFlight.current) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => {
      window.removeEventListener("beforeunload", warn);
      if (dirty.current) void latestSave.current();
    };
  }, []);

  const chat = useAgentChat({
    workspaceId: workspace.id,
    agentId: initial.id,
    preview: true,
    beforeSend: saveNow,
  });

  const publish = async () => {
    setPublishing(true);
    try {
      await saveNow();
      if (dirty.current) throw new Error(t("builder.save.invalidHint"));
      const v = await request<AgentVersionPublic>("POST", `${paths.agent(initial.id)}/publish`, note.trim() ? { note: note.trim() } : {});
      setAgent((a) => ({ ...a, published_version: v.version }));
      setPublishOpen(false);
      setNote("");
      void message.success(t("builder.publish.done", { version: v.version }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.agents(workspace.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.agentVersions(workspace.id, initial.id) });
    } catch (err) {
      void message.error(errorMessage(err, t));
    } finally {
      setPublishing(false);
    }
  };

  const restore = (v: AgentVersionPublic) => {
    const next = toValues({ name: v.name, icon: v.icon, description: v.description, config: v.config });
    form.setFieldsValue(next);
    base.current = v.config;
    onValuesChange(null, form.getFieldsValue(true) as BuilderValues);
    setVersionsOpen(false);
    void message.success(t("builder.versions.restored", { version: v.version }));
  };

  const preview = { id: initial.id, name: values.name || initial.name, icon: values.icon, description: values.description, config: toConfig(values, base.current) };

  return (
    <>
      <div style={{ marginBottom: 8 }}>{back}</div>
      <Flex justify="space-between" align="center" gap={12} wrap style={{ marginBottom: 16 }}>
        <Flex align="center" gap={12} style={{ minWidth: 0 }}>
          <AgentAvatar icon={values.icon} size={40} />
          <div style={{ minWidth: 0 }}>
            <Typography.Title level={4} style={{ margin: 0 }} ellipsis data-testid="builder-title">
              {values.name || initial.name}
            </Typography.Title>
            <Space size={8} wrap>
              {agent.published_version !== null ? (
                <Tag color="blue" bordered={false} data-testid="builder-published">
                  {t("agents.versionTag", { version: agent.published_version })}
                </Tag>
              ) : (
                <Tag bordered={false} data-testid="builder-published">
                  {t("agents.unpublished")}
                </Tag>
              )}
              {editable && <SaveIndicator save={save} />}
            </Space>
          </div>
        </Flex>
        <Space wrap>
          <Button icon={<HistoryOutlined />} onClick={() => setVersionsOpen(true)} data-testid="builder-versions-open">
            {t("builder.versions.button")}
          </Button>
          {agent.published_version !== null && (
            <Button icon={<MessageOutlined />} onClick={() => navigate(`/chat?agent=${initial.id}`)} data-testid="builder-open-chat">
              {t("builder.openChat")}
            </Button>
          )}
          {editable && (
            <Button type="primary" icon={<CloudUploadOutlined />} onClick={() => setPublishOpen(true)} data-testid="builder-publish">
              {t("builder.publish.button")}
            </Button>
          )}
        </Space>
      </Flex>
      {!editable && <Alert type="info" showIcon title={t("builder.readOnly", { workspace: workspace.name })} style={{ marginBottom: 16 }} />}

      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card styles={{ body: { padding: 8 } }} className="hezi-builder-form">
            <Form<BuilderValues>
              form={form}
              layout="vertical"
              initialValues={values}
              onValuesChange={onValuesChange}
              disabled={!editable}
              data-testid="builder-form"
            >
              <AgentForm workspace={workspace} values={values} disabled={!editable} />
            </Form>
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <div className="hezi-builder-preview" style={{ border: `1px solid ${token.colorBorderSecondary}`, borderRadius: token.borderRadiusLG, background: token.colorBgContainer }} data-testid="builder-preview">
            <ChatView
              workspaceId={workspace.id}
              agent={preview}
              chat={chat}
              toolbar={
                <Flex
                  justify="space-between"
                  align="center"
                  style={{ padding: "8px 12px 8px 16px", borderBottom: `1px solid ${token.colorBorderSecondary}` }}
                >
                  <Space size={8}>
                    <Typography.Text strong>{t("builder.preview.title")}</Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t("builder.preview.hint")}
                    </Typography.Text>
                  </Space>
                  <Tooltip title={t("builder.preview.restart")}>
                    <Button
                      type="text"
                      icon={<ClearOutlined />}
                      onClick={chat.reset}
                      disabled={chat.streaming || chat.messages.length === 0}
                      aria-label={t("builder.preview.restart")}
                      data-testid="builder-preview-restart"
                    />
                  </Tooltip>
                </Flex>
              }
            />
          </div>
        </Col>
      </Row>

      <Modal
        open={publishOpen}
        title={t("builder.publish.title", { name: values.name })}
        okText={t("builder.publish.button")}
        cancelText={t("common.cancel")}
        confirmLoading={publishing}
        onOk={() => void publish()}
        onCancel={() => setPublishOpen(false)}
        okButtonProps={{ "data-testid": "builder-publish-submit" } as ButtonProps}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{t("builder.publish.hint")}</Typography.Paragraph>
        <Input.TextArea
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder={t("builder.publish.note")}
          autoSize={{ minRows: 2, maxRows: 6 }}
          maxLength={500}
          data-testid="builder-publish-note"
        />
      </Modal>
      <VersionsDrawer
        workspaceId={workspace.id}
        agent={agent}
        open={versionsOpen}
        onClose={() => setVersionsOpen(false)}
        onRestore={restore}
        canEdit={editable}
      />
    </>
  );
}
