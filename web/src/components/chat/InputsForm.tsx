import { Col, Form, Input, InputNumber, Row, Select } from "antd";
import { useTranslation } from "react-i18next";
import type { FieldKind, FormFieldSpec, UserInputForm } from "../../api/agents";

export type Inputs = Record<string, string | number | null>;

/** The form's fields in order, each with its kind. */
export function formFields(form: UserInputForm | undefined): { kind: FieldKind; spec: FormFieldSpec }[] {
  return (form ?? []).flatMap((entry) => {
    const [kind, spec] = Object.entries(entry)[0] ?? [];
    return kind && spec ? [{ kind: kind as FieldKind, spec }] : [];
  });
}

/** The default values of the form (what a new conversation starts with). */
export function defaultInputs(form: UserInputForm | undefined): Inputs {
  return Object.fromEntries(formFields(form).map(({ spec }) => [spec.variable, spec.default ?? null]));
}

/** The labels of required fields left empty. */
export function missingInputs(form: UserInputForm | undefined, values: Inputs): string[] {
  return formFields(form)
    .filter(({ spec }) => spec.required && (values[spec.variable] === null || values[spec.variable] === undefined || values[spec.variable] === ""))
    .map(({ spec }) => spec.label || spec.variable);
}

/** The inputs an agent asks for before a conversation (Dify's user_input_form), filled by the person chatting. */
export function InputsForm({
  form,
  values,
  onChange,
  disabled,
}: {
  form: UserInputForm;
  values: Inputs;
  onChange: (values: Inputs) => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  const set = (variable: string, value: string | number | null) => onChange({ ...values, [variable]: value });
  return (
    <Form layout="vertical" disabled={disabled} data-testid="chat-inputs" size="small">
      <Row gutter={12}>
        {formFields(form).map(({ kind, spec }) => {
          const value = values[spec.variable];
          const label = spec.label || spec.variable;
          const testId = `chat-input-${spec.variable}`;
          return (
            <Col xs={24} sm={kind === "paragraph" ? 24 : 12} key={spec.variable}>
              <Form.Item label={label} required={spec.required} style={{ marginBottom: 8 }}>
                {kind === "paragraph" ? (
                  <Input.TextArea
                    value={(value as string | null) ?? ""}
                    maxLength={spec.max_length ?? undefined}
                    autoSize={{ minRows: 2, maxRows: 6 }}
                    onChange={(e) => set(spec.variable, e.target.value)}
                    data-testid={testId}
                  />
                ) : kind === "select" ? (
                  <Select
                    value={(value as string | null) ?? undefined}
                    allowClear={!spec.required}
                    placeholder={t("chat.inputs.choose")}
                    options={(spec.options ?? []).map((o) => ({ value: o, label: o }))}
                    onChange={(v: string | undefined) => set(spec.variable, v ?? null)}
                    data-testid={testId}
                  />
                ) : kind === "number" ? (
                  <InputNumber
                    value={typeof value === "number" ? value : value ? Number(value) : null}
                    style={{ width: "100%" }}
                    onChange={(v) => set(spec.variable, v)}
                    data-testid={testId}
                  />
                ) : (
                  <Input
                    value={(value as string | null) ?? ""}
                    maxLength={spec.max_length ?? undefined}
                    onChange={(e) => set(spec.variable, e.target.value)}
                    data-testid={testId}
                  />
                )}
              </Form.Item>
            </Col>
          );
        })}
      </Row>
    </Form>
  );
}
