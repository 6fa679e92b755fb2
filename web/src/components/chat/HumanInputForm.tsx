import { FormOutlined } from "@ant-design/icons";
import { Button, Flex, Form, Input, Typography, theme } from "antd";
import type { ChangeEvent } from "react";
import { useTranslation } from "react-i18next";
import type { HumanInputForm as FormSpec, HumanInputReply } from "../../api/agents";
import { RichText } from "./MessageParts";

/** The fields' values as the form starts: each input's default. */
export function formDefaults(form: FormSpec): Record<string, string> {
  return Object.fromEntries(form.inputs.map((i) => [i.output_variable_name, i.default ?? ""]));
}

interface Props {
  form: FormSpec;
  /** What is typed so far (kept by the chat, so a refused answer finds it again). */
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  /** While the answer is being sent (and its continuation streams): nothing can be changed or clicked. */
  disabled: boolean;
  /** `query`: the readable text the answer is sent as (the button's title). */
  onSubmit: (query: string, reply: HumanInputReply) => void;
}

/**
 * The form a paused chatflow answer waits on, under that answer: the node's text (Markdown, as answers are
 * rendered), a field per input prefilled with its default, and a button per user action (one "Submit" without any).
 */
export function HumanInputForm({ form, values, onChange, disabled, onSubmit }: Props) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const set = (name: string, value: string) => onChange({ ...values, [name]: value });
  const actions = form.user_actions.length > 0 ? form.user_actions : null;

  return (
    <div
      data-testid="chat-human-input"
      style={{
        marginTop: 10,
        padding: "12px 16px",
        border: `1px solid ${token.colorBorderSecondary}`,
        borderRadius: token.borderRadiusLG,
        background: token.colorBgContainer,
        width: "min(520px, 100%)",
      }}
    >
      <Typography.Text type="secondary" style={{ display: "block", marginBottom: 6, fontSize: 12 }}>
        <FormOutlined style={{ marginInlineEnd: 6 }} />
        {t("chat.humanInput.title")}
      </Typography.Text>
      {form.form_content && (
        <div data-testid="chat-human-input-content">
          <RichText text={form.form_content} />
        </div>
      )}
      <Form layout="vertical" disabled={disabled}>
        {form.inputs.map((i) => {
          const name = i.output_variable_name;
          const field = {
            value: values[name] ?? "",
            onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => set(name, e.target.value),
            maxLength: 20000,
            "aria-label": name,
            "data-testid": `chat-human-input-field-${name}`,
          };
          return (
            <Form.Item key={name} label={name} style={{ marginBottom: 10 }}>
              {i.type === "paragraph" ? <Input.TextArea autoSize={{ minRows: 2, maxRows: 8 }} {...field} /> : <Input {...field} />}
            </Form.Item>
          );
        })}
        <Flex gap={8} wrap data-testid="chat-human-input-actions">
          {actions ? (
            actions.map((a) => (
              <Button
                key={a.id}
                type={a.button_style === "primary" ? "primary" : "default"}
                onClick={() => onSubmit(a.title || a.id, { action: a.id, values })}
                data-testid={`chat-human-input-action-${a.id}`}
              >
                {a.title || a.id}
              </Button>
            ))
          ) : (
            <Button
              type="primary"
              onClick={() => onSubmit(t("chat.humanInput.submit"), { action: null, values })}
              data-testid="chat-human-input-submit"
            >
              {t("chat.humanInput.submit")}
            </Button>
          )}
        </Flex>
      </Form>
    </div>
  );
}
