import {
  CheckCircleFilled,
  CloseCircleFilled,
  CloudUploadOutlined,
  FileTextOutlined,
  InboxOutlined,
  LinkOutlined,
  QuestionCircleOutlined,
} from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Flex, Form, Input, List, Modal, Progress, Tabs, Typography, Upload } from "antd";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type DocumentPublic, type KnowledgeBasePublic, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { uploadRaw } from "../../api/upload";
import { formatBytes } from "../../components/format";

type Tab = "files" | "text" | "url" | "qa";
type Mode = "document" | "qa";

interface Item {
  uid: string;
  file: File;
  mode: Mode;
  state: "waiting" | "uploading" | "done" | "error";
  loaded: number;
  error?: string;
}

interface TextForm {
  name: string;
  text: string;
}

interface UrlForm {
  url: string;
  name?: string;
}

/** Q&A pairs come from spreadsheets only; the server checks again. */
const QA_ACCEPT = ".csv,.tsv,.xlsx,.xlsm";

/** One file as the raw body; `mode=qa` turns each question/answer row into its own chunk. */
function sendDocument(workspaceId: string, kbId: string, item: Item, onProgress: (loaded: number) => void) {
  const query = new URLSearchParams({ filename: item.file.name, mode: item.mode });
  const path = `/api/workspaces/${encodeURIComponent(workspaceId)}/knowledge-bases/${encodeURIComponent(kbId)}/documents`;
  return uploadRaw<DocumentPublic>(`${path}?${query.toString()}`, item.file, (p) => onProgress(p.loaded));
}

/** Files are sent a few at a time; each one's failure is its own. */
const PARALLEL = 3;

export function AddDocumentsModal({
  workspace,
  kb,
  open,
  onClose,
}: {
  workspace: WorkspaceRef;
  kb: KnowledgeBasePublic;
  open: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<Tab>("files");
  const [items, setItems] = useState<Item[]>([]);
  const aborts = useRef(new Map<string, () => void>());
  const [form] = Form.useForm<TextForm>();
  const [urlForm] = Form.useForm<UrlForm>();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: queryKeys.documents(workspace.id, kb.id) });
    void queryClient.invalidateQueries({ queryKey: queryKeys.knowledgeBases(workspace.id) });
  };
  const patch = (uid: string, change: Partial<Item>) =>
    setItems((all) => all.map((it) => (it.uid === uid ? { ...it, ...change } : it)));

  // Start waiting files while fewer than PARALLEL are on their way.
  useEffect(() => {
    const running = items.filter((it) => it.state === "uploading").length;
    const next = items.filter((it) => it.state === "waiting").slice(0, Math.max(0, PARALLEL - running));
    for (const it of next) {
      patch(it.uid, { state: "uploading" });
      const handle = sendDocument(workspace.id, kb.id, it, (loaded) => patch(it.uid, { loaded }));
      aborts.current.set(it.uid, handle.abort);
      handle.done
        .then(() => {
          patch(it.uid, { state: "done", loaded: it.file.size });
          refresh();
        })
        .catch((err: unknown) => patch(it.uid, { state: "error", error: errorMessage(err, t) }))
        .finally(() => aborts.current.delete(it.uid));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [items]);

  const addText = useMutation({
    mutationFn: (v: TextForm) =>
      unwrap(
        api.POST("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/text", {
          params: { path: { workspace_id: workspace.id, kb_id: kb.id } },
          body: { name: v.name.trim(), text: v.text },
        }),
      ),
    onSuccess: (doc) => {
      void message.success(t("knowledge.add.textAdded", { name: doc.name }));
      refresh();
      form.resetFields();
      onClose();
    },
  });

  const addUrl = useMutation({
    mutationFn: (v: UrlForm) =>
      unwrap(
        api.POST("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/url", {
          params: { path: { workspace_id: workspace.id, kb_id: kb.id } },
          body: { url: v.url.trim(), name: v.name?.trim() || null },
        }),
      ),
    onSuccess: (doc) => {
      void message.success(t("knowledge.add.urlAdded", { name: doc.name }));
      refresh();
      urlForm.resetFields();
      onClose();
    },
  });

  const dropzone = (mode: Mode) => (
    <Upload.Dragger
      multiple
      accept={mode === "qa" ? QA_ACCEPT : undefined}
      showUploadList={false}
      beforeUpload={(file) => {
        setItems((all) => [...all, { uid: file.uid, file, mode, state: "waiting", loaded: 0 }]);
        return false; // we send each one ourselves, as the raw body
      }}
      data-testid={mode === "qa" ? "add-qa-dropzone" : "add-docs-dropzone"}
    >
      <p className="ant-upload-drag-icon">{mode === "qa" ? <QuestionCircleOutlined /> : <InboxOutlined />}</p>
      <p className="ant-upload-text">{t(mode === "qa" ? "knowledge.add.qaDragText" : "knowledge.add.dragText")}</p>
      <p className="ant-upload-hint">{t(mode === "qa" ? "knowledge.add.qaDragHint" : "knowledge.add.dragHint")}</p>
    </Upload.Dragger>
  );

  // Each tab lists its own uploads (inactive tabs stay mounted, so one list in both would show twice).
  const uploadList = (mode: Mode) => (
    <>
      {items.some((it) => it.mode === mode) && (
        <List<Item>
          size="small"
          bordered
          dataSource={items.filter((it) => it.mode === mode)}
          style={{ maxHeight: 300, overflow: "auto" }}
          data-testid={mode === "qa" ? "add-qa-list" : "add-docs-list"}
          renderItem={(it) => (
            <List.Item data-testid={`upload-item-${it.file.name}`} data-state={it.state}>
              <Flex vertical gap={2} style={{ width: "100%" }}>
                <Flex justify="space-between" gap={8}>
                  <Typography.Text ellipsis style={{ maxWidth: 420 }}>
                    {it.state === "done" ? (
                      <CheckCircleFilled style={{ color: "#52c41a", marginInlineEnd: 6 }} />
                    ) : it.state === "error" ? (
                      <CloseCircleFilled style={{ color: "#ff4d4f", marginInlineEnd: 6 }} />
                    ) : (
                      <FileTextOutlined style={{ marginInlineEnd: 6 }} />
                    )}
                    {it.file.name}
                  </Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: "nowrap" }}>
                    {it.state === "waiting"
                      ? t("knowledge.add.waiting")
                      : it.state === "done"
                        ? t("knowledge.add.uploaded")
                        : formatBytes(it.file.size)}
                  </Typography.Text>
                </Flex>
                {it.state === "uploading" && (
                  <Progress
                    size="small"
                    status="active"
                    percent={it.file.size ? Math.floor((it.loaded / it.file.size) * 100) : 0}
                  />
                )}
                {it.state === "error" && (
                  <Typography.Text type="danger" style={{ fontSize: 12 }} data-testid="upload-error">
                    {it.error}
                  </Typography.Text>
                )}
              </Flex>
            </List.Item>
          )}
        />
      )}
    </>
  );

  const uploading = items.some((it) => it.state === "uploading" || it.state === "waiting");
  const close = () => {
    if (uploading) {
      for (const abort of aborts.current.values()) abort();
    }
    onClose();
  };

  return (
    <Modal
      open={open}
      title={t("knowledge.add.title", { name: kb.name })}
      onCancel={close}
      width={640}
      destroyOnHidden
      afterClose={() => {
        setItems([]);
        setTab("files");
        addText.reset();
        addUrl.reset();
      }}
      footer={
        <Flex justify="flex-end" gap={8}>
          <Button onClick={close} data-testid="add-docs-close">
            {uploading ? t("knowledge.add.cancelUploads") : t("knowledge.add.close")}
          </Button>
          {tab === "text" && (
            <Button type="primary" loading={addText.isPending} onClick={() => form.submit()} data-testid="add-text-submit">
              {t("knowledge.add.addText")}
            </Button>
          )}
          {tab === "url" && (
            <Button type="primary" loading={addUrl.isPending} onClick={() => urlForm.submit()} data-testid="add-url-submit">
              {t("knowledge.add.addUrl")}
            </Button>
          )}
        </Flex>
      }
    >
      <div data-testid="add-docs-modal">
        <Tabs
          activeKey={tab}
          onChange={(k) => setTab(k as Tab)}
          items={[
            {
              key: "files",
              label: (
                <span data-testid="add-docs-tab-files">
                  <CloudUploadOutlined /> {t("knowledge.add.tabFiles")}
                </span>
              ),
              children: (
                <Flex vertical gap={12}>
                  {dropzone("document")}
                  {uploadList("document")}
                </Flex>
              ),
            },
            {
              key: "text",
              label: (
                <span data-testid="add-docs-tab-text">
                  <FileTextOutlined /> {t("knowledge.add.tabText")}
                </span>
              ),
              children: (
                <Form<TextForm> form={form} layout="vertical" onFinish={(v) => addText.mutate(v)} preserve>
                  <Form.Item
                    name="name"
                    label={t("knowledge.add.textName")}
                    rules={[{ required: true, whitespace: true, message: t("common.required") }]}
                  >
                    <Input autoComplete="off" maxLength={255} placeholder={t("knowledge.add.textNamePlaceholder")} data-testid="add-text-name" />
                  </Form.Item>
                  <Form.Item
                    name="text"
                    label={t("knowledge.add.text")}
                    rules={[{ required: true, whitespace: true, message: t("common.required") }]}
                    style={{ marginBottom: 0 }}
                  >
                    <Input.TextArea autoSize={{ minRows: 8, maxRows: 16 }} data-testid="add-text-body" />
                  </Form.Item>
                  {addText.error && (
                    <Typography.Text type="danger" data-testid="add-text-error">
                      {errorMessage(addText.error, t)}
                    </Typography.Text>
                  )}
                </Form>
              ),
            },
            {
              key: "url",
              label: (
                <span data-testid="add-docs-tab-url">
                  <LinkOutlined /> {t("knowledge.add.tabUrl")}
                </span>
              ),
              children: (
                <Form<UrlForm> form={urlForm} layout="vertical" onFinish={(v) => addUrl.mutate(v)} preserve>
                  <Typography.Paragraph type="secondary">{t("knowledge.add.urlHint")}</Typography.Paragraph>
                  <Form.Item
                    name="url"
                    label={t("knowledge.add.url")}
                    rules={[{ required: true, whitespace: true, message: t("common.required") }]}
                  >
                    <Input autoComplete="off" maxLength={2000} placeholder={t("knowledge.add.urlPlaceholder")} data-testid="add-url-input" />
                  </Form.Item>
                  <Form.Item name="name" label={t("knowledge.add.urlName")} style={{ marginBottom: 0 }}>
                    <Input autoComplete="off" maxLength={255} placeholder={t("knowledge.add.urlNamePlaceholder")} data-testid="add-url-name" />
                  </Form.Item>
                  {addUrl.error && (
                    <Typography.Text type="danger" data-testid="add-url-error">
                      {errorMessage(addUrl.error, t)}
                    </Typography.Text>
                  )}
                </Form>
              ),
            },
            {
              key: "qa",
              label: (
                <span data-testid="add-docs-tab-qa">
                  <QuestionCircleOutlined /> {t("knowledge.add.tabQa")}
                </span>
              ),
              children: (
                <Flex vertical gap={12}>
                  {dropzone("qa")}
                  {uploadList("qa")}
                </Flex>
              ),
            },
          ]}
        />
      </div>
    </Modal>
  );
}
