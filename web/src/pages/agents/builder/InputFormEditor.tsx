import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Checkbox, Col, Dropdown, Empty, Flex, Form, Input, InputNumber, Row, Select, Tag, theme, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { FIELD_KINDS, type FieldKind } from "../../../api/agents";
import type { FieldRow } from "./config";

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The inputs a person fills in before chatting (Dify's user_input_form): text, paragraph, select, number. */
export function InputFormEditor({ promptVariables }: { promptVariables: string[] }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const form = Form.useFormInstance();
  const rows = (Form.useWatch("fields", form) as FieldRow[] | undefined) ?? [];
  const defined = new Set(rows.map((r) => r?.variable));
  const undefinedVars = promptVariables.filter((v) => !defined.has(v));

  return (
    <Form.List name="fields">
      {(items, { add, remove }) => (
        <Flex vertical gap={8} data-testid="builder-fields">
          {items.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("builder.fields.empty")} style={{ margin: "4px 0" }} />}
          {items.map((item) => {
            const kind = rows[item.name]?.kind ?? "text-input";
            return (
              <div
                key={item.key}
                data-testid={`builder-field-${item.name}`}
                style={{ border: `1px solid ${token.colorBorderSecondary}`, borderRadius: token.borderRadius, padding: "8px 10px 0" }}
              >
                <Flex gap={8} wrap align="flex-start">
                  <Form.Item name={[item.name, "kind"]} style={{ marginBottom: 8, width: 112 }}>
                    <Select
                      size="small"
                      options={FIELD_KINDS.map((k) => ({ value: k, label: t(`builder.fields.kinds.${k}`) }))}
                      data-testid="builder-field-kind"
                    />
                  </Form.Item>
                  <Form.Item
                    name={[item.name, "variable"]}
                    style={{ marginBottom: 8, flex: "1 1 120px" }}
                    rules={[
                      { required: true, message: t("common.required") },
                      { pattern: VARIABLE, message: t("builder.fields.variableRule") },
                      {
                        validator: (_, v: string) =>
                          rows.filter((r) => r?.variable === v).length > 1 ? Promise.reject(new Error(t("builder.fields.duplicate"))) : Promise.resolve(),
                      },
                    ]}
                  >
                    <Input size="small" placeholder={t("builder.fields.variable")} style={{ fontFamily: "ui-monospace, monospace" }} data-testid="builder-field-variable" />
                  </Form.Item>
                  <Form.Item name={[item.name, "label"]} style={{ marginBottom: 8, flex: "1 1 140px" }}>
                    <Input size="small" placeholder={t("builder.fields.label")} maxLength={128} data-testid="builder-field-label" />
                  </Form.Item>
                  <Flex align="center" gap={4} style={{ height: 24, whiteSpace: "nowrap" }}>
                    <Form.Item name={[item.name, "required"]} valuePropName="checked" noStyle>
                      <Checkbox data-testid="builder-field-required">{t("builder.fields.required")}</Checkbox>
                    </Form.Item>
                    <Button
                      type="text"
                      size="small"
                      danger
                      icon={<DeleteOutlined />}
                      onClick={() => remove(item.name)}
                      aria-label={t("common.delete")}
                      data-testid="builder-field-remove"
                    />
                  </Flex>
                </Flex>
                <Row gutter={8}>
                  {kind === "select" && (
                    <Col span={24}>
                      <Form.Item
                        name={[item.name, "options"]}
                        style={{ marginBottom: 8 }}
                        rules={[{ required: true, type: "array", min: 1, message: t("builder.fields.optionsRequired") }]}
                      >
                        <Select size="small" mode="tags" open={false} placeholder={t("builder.fields.options")} tokenSeparators={[",", "，"]} data-testid="builder-field-options" />
                      </Form.Item>
                    </Col>
                  )}
                  {(kind === "text-input" || kind === "paragraph") && (
                    <Col span={12}>
                      <Form.Item name={[item.name, "max_length"]} style={{ marginBottom: 8 }}>
                        <InputNumber size="small" min={1} max={100000} placeholder={t("builder.fields.maxLength")} style={{ width: "100%" }} />
                      </Form.Item>
                    </Col>
                  )}
                </Row>
              </div>
            );
          })}
          <Flex gap={8} align="center" wrap>
            <Dropdown
              trigger={["click"]}
              menu={{
                items: FIELD_KINDS.map((k) => ({ key: k, label: <span data-testid={`builder-field-add-${k}`}>{t(`builder.fields.kinds.${k}`)}</span> })),
                onClick: ({ key }) => add({ kind: key as FieldKind, variable: "", label: "", required: false, options: [] } satisfies FieldRow),
              }}
            >
              <Button size="small" icon={<PlusOutlined />} data-testid="builder-field-add">
                {t("builder.fields.add")}
              </Button>
            </Dropdown>
            {undefinedVars.length > 0 && (
              <Typography.Text type="warning" style={{ fontSize: 12 }}>
                {t("builder.fields.undefinedVars")}{" "}
                {undefinedVars.map((v) => (
                  <Tag
                    key={v}
                    style={{ cursor: "pointer", fontFamily: "ui-monospace, monospace" }}
                    onClick={() => add({ kind: "text-input", variable: v, label: v, required: false, options: [] } satisfies FieldRow)}
                  >
                    + {v}
                  </Tag>
                ))}
              </Typography.Text>
            )}
          </Flex>
        </Flex>
      )}
    </Form.List>
  );
}
