import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Button, Flex, Form, Input, Modal, Select, Switch, Typography, type ButtonProps } from "antd";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type DocumentPublic, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";

type Kind = "string" | "number" | "boolean";
type Value = string | number | boolean;

interface Pair {
  key: string;
  kind: Kind;
  text?: string;
  flag?: boolean;
}

function toPairs(metadata: Record<string, unknown>): Pair[] {
  return Object.entries(metadata).map(([key, v]) =>
    typeof v === "boolean"
      ? { key, kind: "boolean", flag: v }
      : { key, kind: typeof v === "number" ? "number" : "string", text: String(v) },
  );
}

function toMetadata(pairs: Pair[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const p of pairs) {
    const key = p.key.trim();
    if (!key) continue;
    out[key] = p.kind === "boolean" ? Boolean(p.flag) : p.kind === "number" ? Number(p.text) : (p.text ?? "");
  }
  return out;
}

/** Shows a document's metadata as typed key → value rows; editors save them (the server validates again). */
export function DocumentMetadataModal({
  workspace,
  kbId,
  doc,
  editor,
  onClose,
}: {
  workspace: WorkspaceRef;
  kbId: string;
  doc: DocumentPublic | null;
  editor: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ pairs: Pair[] }>();

  useEffect(() => {
    if (doc) form.setFieldsValue({ pairs: toPairs(doc.metadata ?? {}) });
  }, [doc, form]);

  const save = useMutation({
    mutationFn: (pairs: Pair[]) =>
      unwrap(
        api.PATCH("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}/documents/{doc_id}", {
          params: { path: { workspace_id: workspace.id, kb_id: kbId, doc_id: doc?.id ?? "" } },
          body: { metadata: toMetadata(pairs) },
        }),
      ),
    onSuccess: () => {
      void message.success(t("knowledge.metadata.saved"));
      void queryClient.invalidateQueries({ queryKey: queryKeys.documents(workspace.id, kbId) });
      onClose();
    },
  });

  return (
    <Modal
      open={doc !== null}
      title={doc ? t("knowledge.metadata.title", { name: doc.name }) : ""}
      onCancel={onClose}
      width={620}
      destroyOnHidden
      afterClose={() => save.reset()}
      okText={t("knowledge.metadata.save")}
      cancelText={t("common.cancel")}
      onOk={() => form.submit()}
      okButtonProps={{ loading: save.isPending, disabled: !editor, "data-testid": "metadata-save" } as ButtonProps}
    >
      <div data-testid="metadata-modal">
        <Typography.Paragraph type="secondary">{t("knowledge.metadata.hint")}</Typography.Paragraph>
        <Form form={form} onFinish={(v) => save.mutate(v.pairs ?? [])} disabled={!editor}>
          <Form.List name="pairs">
            {(fields, { add, remove }) => (
              <Flex vertical gap={8}>
                {fields.map((field) => (
                  <Flex key={field.key} gap={8} align="start" data-testid="metadata-row">
                    <Form.Item
                      name={[field.name, "key"]}
                      rules={[{ required: true, whitespace: true, message: t("common.required") }]}
                      style={{ marginBottom: 0, flex: 2 }}
                    >
                      <Input placeholder={t("knowledge.metadata.key")} maxLength={64} data-testid="metadata-key" />
                    </Form.Item>
                    <Form.Item name={[field.name, "kind"]} style={{ marginBottom: 0, width: 110 }}>
                      <Select
                        data-testid="metadata-kind"
                        options={[
                          { value: "string", label: t("knowledge.metadata.typeString") },
                          { value: "number", label: t("knowledge.metadata.typeNumber") },
                          { value: "boolean", label: t("knowledge.metadata.typeBoolean") },
                        ]}
                      />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate>
                      {() =>
                        form.getFieldValue(["pairs", field.name, "kind"]) === "boolean" ? (
                          <Form.Item name={[field.name, "flag"]} valuePropName="checked" style={{ marginBottom: 0, flex: 3 }}>
                            <Switch data-testid="metadata-flag" />
                          </Form.Item>
                        ) : (
                          <Form.Item
                            name={[field.name, "text"]}
                            style={{ marginBottom: 0, flex: 3 }}
                            rules={[
                              {
                                validator: (_, v: string | undefined) =>
                                  form.getFieldValue(["pairs", field.name, "kind"]) === "number" &&
                                  (v === undefined || v.trim() === "" || !Number.isFinite(Number(v)))
                                    ? Promise.reject(new Error(t("knowledge.metadata.notNumber")))
                                    : Promise.resolve(),
                              },
                            ]}
                          >
                            <Input placeholder={t("knowledge.metadata.value")} maxLength={1000} data-testid="metadata-value" />
                          </Form.Item>
                        )
                      }
                    </Form.Item>
                    {editor && (
                      <Button icon={<DeleteOutlined />} onClick={() => remove(field.name)} aria-label={t("common.delete")} />
                    )}
                  </Flex>
                ))}
                {fields.length === 0 && <Typography.Text type="secondary">{t("knowledge.metadata.none")}</Typography.Text>}
                {editor && (
                  <Button
                    type="dashed"
                    icon={<PlusOutlined />}
                    onClick={() => add({ key: "", kind: "string", text: "" })}
                    data-testid="metadata-add"
                  >
                    {t("knowledge.metadata.addPair")}
                  </Button>
                )}
              </Flex>
            )}
          </Form.List>
        </Form>
        {save.error && (
          <Typography.Text type="danger" data-testid="metadata-error">
            {errorMessage(save.error, t)}
          </Typography.Text>
        )}
      </div>
    </Modal>
  );
}
