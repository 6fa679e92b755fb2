import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Col, Form, Input, InputNumber, Radio, Row, Select } from "antd";
import { useTranslation } from "react-i18next";
import { api, unwrap, type KnowledgeBasePublic, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys, useModels } from "../../api/queries";
import { FormModal } from "../../components/FormModal";

/** The embedding model the server uses when none is named. */
export const DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small";

interface CreateForm {
  name: string;
  description?: string;
  embedding_model?: string;
  mode: "automatic" | "custom";
  separator?: string;
  max_tokens: number;
  overlap_tokens: number;
}

/** "\n\n" typed in the form means two line breaks, as in Dify's separator field. */
export function unescapeSeparator(s: string): string {
  return s.replace(/\\(n|t|r|\\)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r", "\\": "\\" })[c] ?? c);
}

export function CreateKnowledgeBaseModal({
  workspace,
  open,
  onClose,
  onCreated,
}: {
  workspace: WorkspaceRef;
  open: boolean;
  onClose: () => void;
  onCreated: (kb: KnowledgeBasePublic) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<CreateForm>();
  const mode = Form.useWatch("mode", form);
  const models = useModels();
  const embedders = (models.data?.data ?? []).filter(
    (m) => m.kind === "embedding" && m.deployment?.desired === "running" && m.deployment.status === "ready",
  );
  const defaultModel = embedders.some((m) => m.name === DEFAULT_EMBEDDING_MODEL)
    ? DEFAULT_EMBEDDING_MODEL
    : embedders[0]?.name;

  const create = useMutation({
    mutationFn: (v: CreateForm) =>
      unwrap(
        api.POST("/api/workspaces/{workspace_id}/knowledge-bases", {
          params: { path: { workspace_id: workspace.id } },
          body: {
            name: v.name.trim(),
            description: v.description?.trim() ?? "",
            embedding_model: v.embedding_model || null,
            chunking:
              v.mode === "custom"
                ? {
                    mode: "custom",
                    separator: unescapeSeparator(v.separator ?? ""),
                    max_tokens: v.max_tokens,
                    overlap_tokens: v.overlap_tokens,
                  }
                : { mode: "automatic", max_tokens: v.max_tokens, overlap_tokens: v.overlap_tokens },
          },
        }),
      ),
    onSuccess: (kb) => {
      void message.success(t("knowledge.created", { name: kb.name }));
      void queryClient.invalidateQueries({ queryKey: queryKeys.knowledgeBases(workspace.id) });
      onClose();
      onCreated(kb);
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  return (
    <FormModal<CreateForm>
      open={open}
      title={t("knowledge.create")}
      form={form}
      onFinish={(v) => create.mutate(v)}
      onCancel={onClose}
      loading={create.isPending}
      okText={t("common.create")}
      initialValues={{ mode: "automatic", max_tokens: 200, overlap_tokens: 30, separator: "\\n\\n", embedding_model: defaultModel }}
      testId="kb-create-form"
      width={560}
    >
      <Form.Item name="name" label={t("knowledge.name")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
        <Input autoComplete="off" maxLength={128} data-testid="kb-name-input" />
      </Form.Item>
      <Form.Item name="description" label={t("knowledge.descriptionLabel")}>
        <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={2000} data-testid="kb-description-input" />
      </Form.Item>
      <Form.Item
        name="embedding_model"
        label={t("knowledge.embeddingModel")}
        extra={embedders.length === 0 && !models.isPending ? t("knowledge.noEmbedder") : t("knowledge.embeddingModelHint")}
      >
        <Select
          loading={models.isPending}
          placeholder={DEFAULT_EMBEDDING_MODEL}
          options={embedders.map((m) => ({ value: m.name, label: m.name }))}
          data-testid="kb-embedding-select"
        />
      </Form.Item>
      <Form.Item name="mode" label={t("knowledge.chunking")}>
        <Radio.Group
          optionType="button"
          options={[
            { value: "automatic", label: <span data-testid="kb-chunking-automatic">{t("knowledge.chunkingMode.automatic")}</span> },
            { value: "custom", label: <span data-testid="kb-chunking-custom">{t("knowledge.chunkingMode.custom")}</span> },
          ]}
        />
      </Form.Item>
      <Row gutter={12}>
        {mode === "custom" && (
          <Col span={8}>
            <Form.Item
              name="separator"
              label={t("knowledge.separator")}
              tooltip={t("knowledge.separatorHint")}
              rules={[{ required: true, message: t("common.required") }]}
            >
              <Input autoComplete="off" style={{ fontFamily: "ui-monospace, monospace" }} data-testid="kb-separator-input" />
            </Form.Item>
          </Col>
        )}
        <Col span={mode === "custom" ? 8 : 12}>
          <Form.Item name="max_tokens" label={t("knowledge.maxTokens")} rules={[{ required: true, message: t("common.required") }]}>
            <InputNumber min={10} max={4000} style={{ width: "100%" }} data-testid="kb-max-tokens" />
          </Form.Item>
        </Col>
        <Col span={mode === "custom" ? 8 : 12}>
          <Form.Item
            name="overlap_tokens"
            label={t("knowledge.overlapTokens")}
            dependencies={["max_tokens"]}
            rules={[
              { required: true, message: t("common.required") },
              ({ getFieldValue }) => ({
                validator: (_, value: number) =>
                  value < getFieldValue("max_tokens") ? Promise.resolve() : Promise.reject(new Error(t("knowledge.overlapTooBig"))),
              }),
            ]}
            style={{ marginBottom: 0 }}
          >
            <InputNumber min={0} max={2000} style={{ width: "100%" }} data-testid="kb-overlap-tokens" />
          </Form.Item>
        </Col>
      </Row>
    </FormModal>
  );
}
