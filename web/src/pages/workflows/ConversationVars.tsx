/**
 * A chatflow's conversation variables (graph.ConversationVar), listed in the editor's side panel and edited in a
 * dialog: name, type, default value (typed), description. Every change is one edit of the graph (undo, autosave).
 */
import { CloseOutlined, DeleteOutlined, EditOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Empty, Flex, Form, Input, InputNumber, Modal, Select, Switch, Tag, Tooltip, Typography, type ButtonProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { CONVERSATION_VAR_TYPES, emptyValue, renameConversationVar, VAR_NAME, type ConversationVar, type Graph } from "./model";
import { isJsonType, jsonProblem } from "./panels/values";

const MONO = { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13 };
const clip = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

interface FormValues {
  name: string;
  type: string;
  /** The typed value; JSON text for objects and arrays. */
  value: unknown;
  description: string;
}

const formValue = (type: string, value: unknown) => (isJsonType(type) ? JSON.stringify(value ?? emptyValue(type), null, 2) : (value ?? emptyValue(type)));

function VarDialog({
  editing,
  taken,
  onSave,
  onClose,
}: {
  /** The variable edited, or null for a new one. */
  editing: ConversationVar | null;
  taken: string[];
  onSave: (v: ConversationVar) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<FormValues>();
  const type = Form.useWatch("type", form) ?? editing?.type ?? "string";
  const initial: FormValues = editing
    ? { name: editing.name, type: editing.type, value: formValue(editing.type, editing.value), description: editing.description }
    : { name: "", type: "string", value: "", description: "" };
  const submit = (v: FormValues) => {
    const value = isJsonType(v.type) ? (JSON.parse(String(v.value)) as unknown) : v.type === "string" ? String(v.value ?? "") : v.value;
    onSave({ name: v.name.trim(), type: v.type, value, description: (v.description ?? "").trim() });
  };
  return (
    <Modal
      open
      title={editing ? t("workflow.convVars.edit", { name: editing.name }) : t("workflow.convVars.add")}
      okText={t("common.save")}
      cancelText={t("common.cancel")}
      onOk={() => form.submit()}
      onCancel={onClose}
      okButtonProps={{ "data-testid": "wf-convvar-submit" } as ButtonProps}
      cancelButtonProps={{ "data-testid": "wf-convvar-cancel" } as ButtonProps}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={submit}
        onValuesChange={(changed: Partial<FormValues>) => {
          // Another type: its own empty value, not the last one's.
          if (changed.type !== undefined) form.setFieldValue("value", formValue(changed.type, emptyValue(changed.type)));
        }}
        data-testid="wf-convvar-form"
      >
        <Form.Item
          name="name"
          label={t("workflow.convVars.name")}
          extra={t("workflow.convVars.nameHint")}
          rules={[
            { required: true, whitespace: true, message: t("common.required") },
            { pattern: VAR_NAME, message: t("workflow.convVars.badName") },
            {
              validator: (_, v: string) => (v && taken.includes(v.trim()) ? Promise.reject(new Error(t("workflow.convVars.taken", { name: v.trim() }))) : Promise.resolve()),
            },
          ]}
        >
          <Input style={MONO} maxLength={64} autoFocus data-testid="wf-convvar-name" />
        </Form.Item>
        <Form.Item name="type" label={t("workflow.convVars.type")}>
          <Select
            options={CONVERSATION_VAR_TYPES.map((v) => ({ value: v, label: <span data-testid={`wf-convvar-type-${v}`}>{v}</span> }))}
            data-testid="wf-convvar-type"
          />
        </Form.Item>
        <Form.Item
          name="value"
          label={t("workflow.convVars.value")}
          extra={isJsonType(type) ? t("workflow.convVars.jsonHint", { type }) : undefined}
          valuePropName={type === "boolean" ? "checked" : "value"}
          rules={[
            {
              validator: (_, v: unknown) => {
                if (type === "number" && (typeof v !== "number" || !Number.isFinite(v))) return Promise.reject(new Error(t("workflow.values.wrongType", { type })));
                if (isJsonType(type)) {
                  const problem = jsonProblem(String(v ?? ""), type, t);
                  if (problem) return Promise.reject(new Error(problem));
                }
                return Promise.resolve();
              },
            },
          ]}
        >
          {type === "number" ? (
            <InputNumber style={{ width: "100%" }} data-testid="wf-convvar-value" />
          ) : type === "boolean" ? (
            <Switch data-testid="wf-convvar-value" />
          ) : isJsonType(type) ? (
            <Input.TextArea autoSize={{ minRows: 3, maxRows: 12 }} style={MONO} spellCheck={false} data-testid="wf-convvar-value" />
          ) : (
            <Input data-testid="wf-convvar-value" />
          )}
        </Form.Item>
        <Form.Item name="description" label={t("workflow.convVars.description")}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={500} showCount data-testid="wf-convvar-description" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The side panel: the chatflow's conversation variables, added, edited and deleted as edits of the graph. */
export function ConversationVarsPanel({
  graph,
  editable,
  onChange,
  onClose,
}: {
  graph: Graph;
  editable: boolean;
  onChange: (update: (g: Graph) => Graph) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [dialog, setDialog] = useState<{ editing: ConversationVar | null } | null>(null);
  const vars = graph.conversation_variables;
  const save = (v: ConversationVar) => {
    const editing = dialog?.editing;
    onChange((g) => {
      if (!editing) return { ...g, conversation_variables: [...g.conversation_variables, v] };
      // A new name follows into the nodes that read or write the variable.
      const renamed = renameConversationVar(g, editing.name, v.name);
      return { ...renamed, conversation_variables: renamed.conversation_variables.map((x) => (x.name === v.name ? v : x)) };
    });
    setDialog(null);
  };
  return (
    <div className="wf-panel" data-testid="wf-convvars-panel">
      <Flex align="center" gap={8} className="wf-panel-head">
        <Typography.Text strong style={{ fontSize: 15, flex: 1 }}>
          {t("workflow.convVars.title")}
        </Typography.Text>
        <Button type="text" size="small" icon={<CloseOutlined />} onClick={onClose} aria-label={t("workflow.close")} data-testid="wf-convvars-close" />
      </Flex>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: "0 0 10px" }}>
        {t("workflow.convVars.hint", { example: "{{#conversation.name#}}" })}
      </Typography.Paragraph>
      <Flex vertical gap={8} data-testid="wf-convvars-list">
        {vars.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("workflow.convVars.empty")} />}
        {vars.map((v) => (
          <div key={v.name} className="wf-row-card" data-testid={`wf-convvar-${v.name}`}>
            <Flex align="center" gap={6}>
              <Typography.Text code strong style={{ flex: 1, minWidth: 0 }} ellipsis>
                {v.name}
              </Typography.Text>
              <Tag bordered={false} color="blue" style={{ marginInlineEnd: 0 }} data-testid="wf-convvar-type-tag">
                {v.type}
              </Tag>
              {editable && (
                <>
                  <Tooltip title={t("workflow.convVars.editButton")}>
                    <Button type="text" size="small" icon={<EditOutlined />} onClick={() => setDialog({ editing: v })} aria-label={t("workflow.convVars.editButton")} data-testid={`wf-convvar-edit-${v.name}`} />
                  </Tooltip>
                  <Tooltip title={t("common.delete")}>
                    <Button
                      type="text"
                      size="small"
                      icon={<DeleteOutlined />}
                      onClick={() => onChange((g) => ({ ...g, conversation_variables: g.conversation_variables.filter((x) => x.name !== v.name) }))}
                      aria-label={t("common.delete")}
                      data-testid={`wf-convvar-delete-${v.name}`}
                    />
                  </Tooltip>
                </>
              )}
            </Flex>
            <Typography.Text type="secondary" style={{ fontSize: 12, display: "block" }} data-testid="wf-convvar-default">
              {t("workflow.convVars.defaultIs")} <Typography.Text code style={{ fontSize: 12 }}>{clip(JSON.stringify(v.value ?? emptyValue(v.type)))}</Typography.Text>
            </Typography.Text>
            {v.description && (
              <Typography.Paragraph style={{ fontSize: 12, margin: "4px 0 0" }} ellipsis={{ rows: 2 }}>
                {v.description}
              </Typography.Paragraph>
            )}
          </div>
        ))}
        {editable && (
          <Button type="dashed" icon={<PlusOutlined />} onClick={() => setDialog({ editing: null })} block data-testid="wf-convvar-add">
            {t("workflow.convVars.add")}
          </Button>
        )}
      </Flex>
      {dialog && (
        <VarDialog
          editing={dialog.editing}
          taken={vars.map((v) => v.name).filter((n) => n !== dialog.editing?.name)}
          onSave={save}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}
