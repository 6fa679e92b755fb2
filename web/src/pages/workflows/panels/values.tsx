/** A value of a declared type, edited as that type: text, a number, a switch, or JSON for objects and arrays. */
import { Input, InputNumber, Switch, Typography } from "antd";
import type { TFunction } from "i18next";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { valueFits } from "../model";

const MONO = { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13 };

export const isJsonType = (type: string) => type === "object" || type.startsWith("array");

/** Why `text` is not a JSON value of `type`, or null when it is. */
export function jsonProblem(text: string, type: string, t: TFunction): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return t("workflow.values.badJson");
  }
  return valueFits(type, parsed) ? null : t("workflow.values.wrongType", { type });
}

/** A JSON text area that hands on a value only when it parses as `type` (what is typed stays while it is being fixed). */
export function JsonValueInput({
  type,
  value,
  onChange,
  disabled,
  testId,
}: {
  type: string;
  value: unknown;
  onChange: (v: unknown) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const { t } = useTranslation();
  const serialized = JSON.stringify(value ?? null, null, 2);
  const [text, setText] = useState(serialized);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // An edit elsewhere (undo) shows here unless what is typed is still being fixed.
    if (error === null) setText(serialized);
  }, [serialized, error]);
  return (
    <>
      <Input.TextArea
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const problem = jsonProblem(e.target.value, type, t);
          setError(problem);
          if (problem === null) onChange(JSON.parse(e.target.value));
        }}
        autoSize={{ minRows: 2, maxRows: 12 }}
        style={MONO}
        spellCheck={false}
        disabled={disabled}
        status={error ? "error" : undefined}
        data-testid={testId}
      />
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
    </>
  );
}

/** A constant of `type`, edited with the input that type calls for. */
export function TypedValueInput({
  type,
  value,
  onChange,
  disabled,
  testId,
}: {
  type: string;
  value: unknown;
  onChange: (v: unknown) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const { t } = useTranslation();
  if (type === "number")
    return (
      <InputNumber
        value={typeof value === "number" ? value : null}
        onChange={(v) => onChange(v ?? 0)}
        disabled={disabled}
        style={{ width: "100%" }}
        data-testid={testId}
      />
    );
  if (type === "boolean") return <Switch checked={value === true} onChange={onChange} disabled={disabled} data-testid={testId} />;
  if (isJsonType(type)) return <JsonValueInput key={type} type={type} value={value} onChange={onChange} disabled={disabled} testId={testId} />;
  return (
    <Input
      value={typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value)}
      onChange={(e) => onChange(e.target.value)}
      placeholder={t("workflow.fields.value")}
      disabled={disabled}
      data-testid={testId}
    />
  );
}
