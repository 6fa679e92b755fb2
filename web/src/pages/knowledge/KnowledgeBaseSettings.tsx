import { SettingOutlined } from "@ant-design/icons";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Col, Divider, Drawer, Flex, Form, Input, InputNumber, Radio, Row, Segmented, Select, Tooltip } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap, type KnowledgeBasePublic, type RetrieveMode, type Schemas, type WorkspaceRef } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys, useModels } from "../../api/queries";
import { formatNumber } from "../../components/format";
import { unescapeSeparator } from "./CreateKnowledgeBaseModal";
import { canEditKnowledge } from "./KnowledgeListPage";
import { RetrievalOptions } from "./retrieval/RetrievalOptions";

type Settings = Schemas["RetrievalSettings"];
type ChunkingMode = "automatic" | "custom" | "parent_child";
const CHUNKING_MODES: ChunkingMode[] = ["automatic", "custom", "parent_child"];
const MODES: RetrieveMode[] = ["hybrid", "vector", "full_text"];

interface Chunking {
  mode: ChunkingMode;
  separator: string;
  max_tokens: number;
  overlap_tokens: number;
  parent_max_tokens: number;
  child_max_tokens: number;
  child_overlap_tokens: number;
}

interface SettingsForm {
  name: string;
  description: string;
  embedding_model: string;
  chunking: Chunking;
  retrieval: Settings;
}

/** A separator as typed in the form: line breaks and tabs written as \n and \t (the reverse of unescapeSeparator). */
export function escapeSeparator(s: string): string {
  return s.replace(/[\\\n\t\r]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r" })[c] ?? c);
}

const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);

/** The stored chunking settings, with every mode's fields filled so switching modes starts from sensible sizes. */
function chunkingForm(c: Record<string, unknown>): Chunking {
  const mode = CHUNKING_MODES.includes(c.mode as ChunkingMode) ? (c.mode as ChunkingMode) : "automatic";
  return {
    mode,
    separator: escapeSeparator(typeof c.separator === "string" ? c.separator : "\n\n"),
    max_tokens: num(c.max_tokens, 200),
    overlap_tokens: num(c.overlap_tokens, 30),
    parent_max_tokens: num(c.parent_max_tokens, 1000),
    child_max_tokens: num(c.child_max_tokens, 200),
    child_overlap_tokens: num(c.child_overlap_tokens, 20),
  };
}

/** What the server stores for the chosen mode (chunking.py's rules), and nothing of the other modes. */
function chunkingBody(c: Chunking): Record<string, unknown> {
  if (c.mode === "parent_child") {
    return { mode: c.mode, parent_max_tokens: c.parent_max_tokens, child_max_tokens: c.child_max_tokens, child_overlap_tokens: c.child_overlap_tokens };
  }
  const sizes = { max_tokens: c.max_tokens, overlap_tokens: c.overlap_tokens };
  return c.mode === "custom" ? { mode: c.mode, separator: unescapeSeparator(c.separator), ...sizes } : { mode: c.mode, ...sizes };
}

const retrievalBody = (r: Settings): Settings => ({
  mode: r.mode,
  top_k: r.top_k,
  score_threshold: r.score_threshold ?? null,
  fusion: r.fusion,
  vector_weight: r.vector_weight,
  rerank_model: r.rerank_model || null,
});

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The "Settings" button of a knowledge base's page and the drawer it opens; only editors and above may save. */
export function KnowledgeBaseSettings({ workspace, kb }: { workspace: WorkspaceRef; kb: KnowledgeBasePublic }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const editor = canEditKnowledge(workspace);
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<SettingsForm>();
  const initial: SettingsForm = {
    name: kb.name,
    description: kb.description,
    embedding_model: kb.embedding_model,
    chunking: chunkingForm(kb.chunking),
    retrieval: retrievalBody(kb.retrieval),
  };
  const chunkingMode = (Form.useWatch(["chunking", "mode"], form) as ChunkingMode | undefined) ?? initial.chunking.mode;
  const retrievalMode = (Form.useWatch(["retrieval", "mode"], form) as RetrieveMode | undefined) ?? initial.retrieval.mode;
  const model = (Form.useWatch("embedding_model", form) as string | undefined) ?? kb.embedding_model;
  const models = useModels();
  const embedders = (models.data?.data ?? [])
    .filter((m) => m.kind === "embedding" && m.deployment?.desired === "running" && m.deployment.status === "ready")
    .map((m) => m.name);
  const modelOptions = [...new Set([kb.embedding_model, ...embedders])].map((m) => ({ value: m, label: m }));

  const save = useMutation({
    mutationFn: (v: SettingsForm) => {
      // Only what changed is sent: a new model starts re-embedding, and the audit log names the changed fields.
      const body: Schemas["KnowledgeBaseUpdate"] = {};
      if (v.name.trim() !== kb.name) body.name = v.name.trim();
      if ((v.description ?? "").trim() !== kb.description) body.description = (v.description ?? "").trim();
      if (v.embedding_model !== kb.embedding_model) body.embedding_model = v.embedding_model;
      const chunking = chunkingBody(v.chunking);
      if (!same(chunking, chunkingBody(initial.chunking))) body.chunking = chunking;
      const retrieval = retrievalBody(v.retrieval);
      if (!same(retrieval, initial.retrieval)) body.retrieval = retrieval;
      return unwrap(
        api.PATCH("/api/workspaces/{workspace_id}/knowledge-bases/{kb_id}", {
          params: { path: { workspace_id: workspace.id, kb_id: kb.id } },
          body,
        }),
      ).then((saved) => ({ saved, reembedding: body.embedding_model !== undefined }));
    },
    onSuccess: ({ saved, reembedding }) => {
      void message.success(reembedding ? t("knowledge.settings.savedReembedding", { model: saved.embedding_model }) : t("knowledge.settings.saved"));
      void queryClient.invalidateQueries({ queryKey: queryKeys.knowledgeBases(workspace.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.documents(workspace.id, kb.id) });
      setOpen(false);
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  const size = (name: keyof Chunking, label: string, max: number) => (
    <Form.Item name={["chunking", name]} label={label} rules={[{ required: true, message: t("common.required") }]}>
      <InputNumber min={name.includes("overlap") ? 0 : 10} max={max} style={{ width: "100%" }} data-testid={`kb-settings-${name}`} />
    </Form.Item>
  );
  const smaller = (what: keyof Chunking, than: keyof Chunking, text: string, orEqual = false) => ({
    dependencies: [["chunking", than]],
    rules: [
      { required: true, message: t("common.required") },
      ({ getFieldValue }: { getFieldValue: (n: string[]) => unknown }) => ({
        validator: (_: unknown, value: number) => {
          const limit = getFieldValue(["chunking", than]) as number;
          return value < limit || (orEqual && value === limit) ? Promise.resolve() : Promise.reject(new Error(text));
        },
      }),
    ],
    name: ["chunking", what],
  });

  return (
    <>
      <Button icon={<SettingOutlined />} onClick={() => setOpen(true)} data-testid="kb-settings">
        {t("knowledge.settings.button")}
      </Button>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        size={600}
        destroyOnHidden
        title={t("knowledge.settings.title", { name: kb.name })}
        data-testid="kb-settings-drawer"
        footer={
          <Flex justify="end" gap={8}>
            <Button onClick={() => setOpen(false)} data-testid="kb-settings-cancel">
              {t("common.cancel")}
            </Button>
            <Tooltip title={editor ? undefined : t("knowledge.settings.editorsOnly")}>
              <Button type="primary" disabled={!editor} loading={save.isPending} onClick={() => form.submit()} data-testid="kb-settings-save">
                {t("common.save")}
              </Button>
            </Tooltip>
          </Flex>
        }
      >
        <Form<SettingsForm>
          form={form}
          layout="vertical"
          initialValues={initial}
          disabled={!editor}
          onFinish={(v) => save.mutate(v)}
          data-testid="kb-settings-form"
        >
          {!editor && <Alert type="info" showIcon title={t("knowledge.settings.readOnly", { workspace: workspace.name })} style={{ marginBottom: 16 }} />}
          <Form.Item name="name" label={t("knowledge.name")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
            <Input autoComplete="off" maxLength={128} data-testid="kb-settings-name" />
          </Form.Item>
          <Form.Item name="description" label={t("knowledge.descriptionLabel")}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={2000} data-testid="kb-settings-description" />
          </Form.Item>
          <Form.Item
            name="embedding_model"
            label={t("knowledge.embeddingModel")}
            extra={embedders.length === 0 && !models.isPending ? t("knowledge.noEmbedder") : t("knowledge.settings.embeddingHint")}
            style={{ marginBottom: model !== kb.embedding_model ? 8 : undefined }}
          >
            <Select loading={models.isPending} options={modelOptions} data-testid="kb-settings-embedding" />
          </Form.Item>
          {model !== kb.embedding_model && (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 24 }}
              title={t("knowledge.settings.reembedTitle")}
              description={t("knowledge.settings.reembedWarning", { chunks: formatNumber(kb.chunks), documents: formatNumber(kb.documents), model })}
              data-testid="kb-settings-reembed-warning"
            />
          )}

          <Divider titlePlacement="start" style={{ marginTop: 8 }}>
            {t("knowledge.settings.chunkingSection")}
          </Divider>
          <Form.Item name={["chunking", "mode"]} extra={t("knowledge.settings.chunkingHint")}>
            <Radio.Group
              optionType="button"
              options={CHUNKING_MODES.map((m) => ({ value: m, label: <span data-testid={`kb-settings-chunking-${m}`}>{t(`knowledge.chunkingMode.${m}`)}</span> }))}
            />
          </Form.Item>
          {chunkingMode === "parent_child" ? (
            <Row gutter={12}>
              <Col span={8}>{size("parent_max_tokens", t("knowledge.settings.parentMaxTokens"), 8000)}</Col>
              <Col span={8}>
                <Form.Item
                  {...smaller("child_max_tokens", "parent_max_tokens", t("knowledge.settings.childTooBig"), true)}
                  label={t("knowledge.settings.childMaxTokens")}
                >
                  <InputNumber min={10} max={4000} style={{ width: "100%" }} data-testid="kb-settings-child_max_tokens" />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item {...smaller("child_overlap_tokens", "child_max_tokens", t("knowledge.overlapTooBig"))} label={t("knowledge.overlapTokens")}>
                  <InputNumber min={0} max={2000} style={{ width: "100%" }} data-testid="kb-settings-child_overlap_tokens" />
                </Form.Item>
              </Col>
            </Row>
          ) : (
            <Row gutter={12}>
              {chunkingMode === "custom" && (
                <Col span={8}>
                  <Form.Item
                    name={["chunking", "separator"]}
                    label={t("knowledge.separator")}
                    tooltip={t("knowledge.separatorHint")}
                    rules={[{ required: true, message: t("common.required") }]}
                  >
                    <Input autoComplete="off" style={{ fontFamily: "ui-monospace, monospace" }} data-testid="kb-settings-separator" />
                  </Form.Item>
                </Col>
              )}
              <Col span={chunkingMode === "custom" ? 8 : 12}>{size("max_tokens", t("knowledge.maxTokens"), 4000)}</Col>
              <Col span={chunkingMode === "custom" ? 8 : 12}>
                <Form.Item {...smaller("overlap_tokens", "max_tokens", t("knowledge.overlapTooBig"))} label={t("knowledge.overlapTokens")}>
                  <InputNumber min={0} max={2000} style={{ width: "100%" }} data-testid="kb-settings-overlap_tokens" />
                </Form.Item>
              </Col>
            </Row>
          )}
          {chunkingMode === "parent_child" && (
            <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t("knowledge.settings.parentChildHint")} />
          )}

          <Divider titlePlacement="start">{t("knowledge.settings.retrievalSection")}</Divider>
          <Flex gap={16} align="start" wrap>
            <Form.Item name={["retrieval", "mode"]} label={t("knowledge.hit.mode")}>
              <Segmented<RetrieveMode>
                options={MODES.map((m) => ({ value: m, label: <span data-testid={`kb-settings-mode-${m}`}>{t(`knowledge.hit.modes.${m}`)}</span> }))}
              />
            </Form.Item>
            <Form.Item name={["retrieval", "top_k"]} label={t("knowledge.hit.topK")} rules={[{ required: true, message: t("common.required") }]}>
              <InputNumber min={1} max={100} style={{ width: 96 }} data-testid="kb-settings-top-k" />
            </Form.Item>
          </Flex>
          <RetrievalOptions workspace={workspace} prefix={["retrieval"]} hybrid={retrievalMode === "hybrid"} />
          {/* Enter in a field submits the form */}
          <button type="submit" hidden aria-hidden="true" />
        </Form>
      </Drawer>
    </>
  );
}
