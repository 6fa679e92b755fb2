import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Form, Input } from "antd";
import { useTranslation } from "react-i18next";
import { request } from "../../api/agents";
import { appPaths, type AnnotationPublic } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import { FormModal } from "../../components/FormModal";
import type { AppPaneProps } from "./types";

export interface AnnotationDraft {
  id?: string; // editing this annotation
  message_id?: string; // saving this logged answer as one
  question: string;
  answer: string;
}

interface Values {
  question: string;
  answer: string;
}

/** Write (or edit) the ideal answer to a question; from the logs, the answer given starts it. */
export function AnnotationModal({
  workspace,
  app,
  draft,
  onClose,
}: Pick<AppPaneProps, "workspace" | "app"> & { draft: AnnotationDraft | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const paths = appPaths(workspace.id, app.id);

  const save = useMutation({
    mutationFn: (v: Values) =>
      draft?.id
        ? request<AnnotationPublic>("PATCH", paths.annotation(draft.id), v)
        : request<AnnotationPublic>("POST", paths.annotations, { ...v, ...(draft?.message_id ? { message_id: draft.message_id } : {}) }),
    onSuccess: () => {
      void message.success(t("apps.annotations.saved"));
      void queryClient.invalidateQueries({ queryKey: ["workspaces", workspace.id, "apps", app.id] });
      onClose();
    },
    onError: (err) => void message.error(errorMessage(err, t)),
  });

  return (
    <FormModal<Values>
      open={draft !== null}
      title={draft?.id ? t("apps.annotations.edit") : t("apps.annotations.add")}
      form={form}
      onFinish={(v) => save.mutate({ question: v.question.trim(), answer: v.answer.trim() })}
      onCancel={onClose}
      loading={save.isPending}
      initialValues={draft ? { question: draft.question, answer: draft.answer } : undefined}
      testId="annotation-form"
      width={640}
    >
      <Form.Item name="question" label={t("apps.annotations.question")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
        <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} maxLength={10000} data-testid="annotation-question" />
      </Form.Item>
      <Form.Item name="answer" label={t("apps.annotations.answer")} extra={t("apps.annotations.answerHint")} rules={[{ required: true, whitespace: true, message: t("common.required") }]}>
        <Input.TextArea autoSize={{ minRows: 4, maxRows: 12 }} maxLength={10000} data-testid="annotation-answer" />
      </Form.Item>
    </FormModal>
  );
}
