import { CloudUploadOutlined, FileOutlined, FolderOpenOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Flex, Form, Input, Modal, Progress, Tabs, Typography, Upload } from "antd";
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type ModelPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { looksLikeGguf, uploadModel, type UploadProgress } from "../../api/upload";
import { formatBytes } from "../../components/format";

type Tab = "upload" | "path";

interface PathForm {
  path: string;
  name?: string;
}

interface UploadForm {
  name?: string;
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === "AbortError";

/** Adds a GGUF model: uploaded from this computer, or registered where it already lies on the server. */
export function ImportModal({
  open,
  onClose,
  onImported,
}: {
  open: boolean;
  onClose: () => void;
  onImported: (model: ModelPublic) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<Tab>("upload");
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const abortUpload = useRef<(() => void) | null>(null);
  const [pathForm] = Form.useForm<PathForm>();
  const [uploadForm] = Form.useForm<UploadForm>();

  const done = (model: ModelPublic) => {
    void message.success(t("import.imported", { name: model.name }));
    void queryClient.invalidateQueries({ queryKey: queryKeys.models });
    onClose();
    onImported(model);
  };

  const byPath = useMutation({
    mutationFn: (body: PathForm) =>
      unwrap(api.POST("/api/models/import-path", { body: { path: body.path.trim(), name: body.name?.trim() || null } })),
    onSuccess: done,
  });

  const upload = useMutation({
    mutationFn: async ({ file, name }: { file: File; name?: string }) => {
      const handle = uploadModel(file, name?.trim() || undefined, setProgress);
      abortUpload.current = handle.abort;
      try {
        return await handle.done;
      } finally {
        abortUpload.current = null;
      }
    },
    onSuccess: done,
    onSettled: () => setProgress(null),
  });

  const busy = byPath.isPending || upload.isPending;
  const error = tab === "path" ? byPath.error : upload.error && !isAbort(upload.error) ? upload.error : null;

  const reset = () => {
    setTab("upload");
    setFile(null);
    setFileError(null);
    setProgress(null);
    byPath.reset();
    upload.reset();
  };

  const cancel = () => {
    abortUpload.current?.();
    onClose();
  };

  const chooseFile = async (chosen: File) => {
    upload.reset();
    setFile(chosen);
    setFileError((await looksLikeGguf(chosen)) ? null : t("import.notGguf", { name: chosen.name }));
  };

  const submit = () => {
    if (tab === "path") {
      pathForm.submit();
      return;
    }
    if (file === null) {
      setFileError(t("import.chooseFile"));
      return;
    }
    if (fileError) return;
    void uploadForm.validateFields().then((values) => upload.mutate({ file, name: values.name }));
  };

  const percent = progress && progress.total > 0 ? Math.floor((progress.loaded / progress.total) * 100) : 0;
  const serverChecking = upload.isPending && progress !== null && progress.loaded >= progress.total;

  return (
    <Modal
      open={open}
      title={t("import.title")}
      width={600}
      onCancel={cancel}
      afterClose={reset}
      destroyOnHidden
      mask={{ closable: !busy }}
      keyboard={!busy}
      data-testid="import-modal"
      footer={
        <Flex justify="flex-end" gap={8}>
          <Button onClick={cancel} data-testid="import-cancel">
            {upload.isPending ? t("import.cancelUpload") : t("common.cancel")}
          </Button>
          <Button type="primary" onClick={submit} loading={busy} data-testid="import-submit">
            {t("import.submit")}
          </Button>
        </Flex>
      }
    >
      <Tabs
        activeKey={tab}
        onChange={(key) => !busy && setTab(key as Tab)}
        items={[
          {
            key: "upload",
            label: (
              <span data-testid="import-tab-upload">
                <CloudUploadOutlined /> {t("import.tabUpload")}
              </span>
            ),
            disabled: busy && tab !== "upload",
            children: (
              <Flex vertical gap={16}>
                <Upload.Dragger
                  accept=".gguf"
                  multiple={false}
                  showUploadList={false}
                  disabled={busy}
                  beforeUpload={(chosen) => {
                    void chooseFile(chosen);
                    return false; // we send it ourselves, as the raw body
                  }}
                  data-testid="import-dropzone"
                >
                  {file ? (
                    <Flex vertical align="center" gap={4} style={{ padding: "8px 16px" }}>
                      <FileOutlined style={{ fontSize: 32, color: "#1677ff" }} />
                      <Typography.Text strong data-testid="import-file-name">
                        {file.name}
                      </Typography.Text>
                      <Typography.Text type="secondary">{formatBytes(file.size)}</Typography.Text>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {t("import.replaceFile")}
                      </Typography.Text>
                    </Flex>
                  ) : (
                    <>
                      <p className="ant-upload-drag-icon">
                        <CloudUploadOutlined />
                      </p>
                      <p className="ant-upload-text">{t("import.dragText")}</p>
                      <p className="ant-upload-hint">{t("import.dragHint")}</p>
                    </>
                  )}
                </Upload.Dragger>
                {fileError && <Alert type="warning" showIcon title={fileError} data-testid="import-file-error" />}
                {progress !== null && (
                  <div data-testid="import-progress">
                    <Progress percent={percent} status="active" />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {serverChecking
                        ? t("import.checking")
                        : t("import.progress", { loaded: formatBytes(progress.loaded), total: formatBytes(progress.total) })}
                    </Typography.Text>
                  </div>
                )}
                <Form<UploadForm> form={uploadForm} layout="vertical" disabled={busy}>
                  <Form.Item name="name" label={t("import.name")} extra={t("import.nameHint")} style={{ marginBottom: 0 }}>
                    <Input autoComplete="off" maxLength={128} data-testid="import-upload-name" />
                  </Form.Item>
                </Form>
              </Flex>
            ),
          },
          {
            key: "path",
            label: (
              <span data-testid="import-tab-path">
                <FolderOpenOutlined /> {t("import.tabPath")}
              </span>
            ),
            disabled: busy && tab !== "path",
            children: (
              <Form<PathForm>
                form={pathForm}
                layout="vertical"
                disabled={busy}
                onFinish={(values) => byPath.mutate(values)}
              >
                <Form.Item
                  name="path"
                  label={t("import.path")}
                  extra={t("import.pathHint")}
                  rules={[
                    { required: true, whitespace: true, message: t("common.required") },
                    { pattern: /^\s*[/~]/, message: t("import.pathAbsolute") },
                  ]}
                >
                  <Input
                    autoComplete="off"
                    placeholder="/data/models/qwen2.5-7b-instruct-q4_k_m.gguf"
                    style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" }}
                    data-testid="import-path-input"
                  />
                </Form.Item>
                <Form.Item name="name" label={t("import.name")} extra={t("import.nameHint")} style={{ marginBottom: 0 }}>
                  <Input autoComplete="off" maxLength={128} data-testid="import-path-name" />
                </Form.Item>
                <button type="submit" hidden aria-hidden="true" />
              </Form>
            ),
          },
        ]}
      />
      {error && (
        <Alert type="error" showIcon title={errorMessage(error, t)} style={{ marginTop: 16 }} data-testid="import-error" />
      )}
    </Modal>
  );
}
