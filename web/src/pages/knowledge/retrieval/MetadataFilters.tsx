import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Flex, Form, Input, Select, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { FILTER_OPS, takesValue, type FilterRow } from "./filters";

/** Rows of key / operator / value under the form's `filters`; every row must hold for a document to be searched. */
export function MetadataFilters() {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  return (
    <Form.Item label={t("knowledge.filters.title")} tooltip={t("knowledge.filters.hint")} style={{ marginBottom: 0 }}>
      <Form.List name="filters">
        {(rows, { add, remove }) => (
          <Flex vertical gap={8} data-testid="hit-filters">
            {rows.map(({ key, name }) => (
              <FilterRowFields key={key} name={name} onRemove={() => remove(name)} form={form} />
            ))}
            <div>
              <Button size="small" icon={<PlusOutlined />} onClick={() => add({ op: "eq" } satisfies FilterRow)} data-testid="hit-filter-add">
                {t("knowledge.filters.add")}
              </Button>
              {rows.length > 0 && (
                <Typography.Text type="secondary" style={{ fontSize: 12, marginInlineStart: 12 }}>
                  {t("knowledge.filters.typing")}
                </Typography.Text>
              )}
            </div>
          </Flex>
        )}
      </Form.List>
    </Form.Item>
  );
}

function FilterRowFields({ name, onRemove, form }: { name: number; onRemove: () => void; form: ReturnType<typeof Form.useFormInstance> }) {
  const { t } = useTranslation();
  const op = Form.useWatch(["filters", name, "op"], form) as FilterRow["op"];
  const list = op === "in" || op === "not_in";
  return (
    <Flex gap={8} align="start" data-testid={`hit-filter-${name}`}>
      <Form.Item name={[name, "key"]} rules={[{ required: true, whitespace: true, message: t("common.required") }]} style={{ marginBottom: 0, flex: "1 1 0", minWidth: 0 }}>
        <Input placeholder={t("knowledge.filters.key")} maxLength={64} autoComplete="off" data-testid="hit-filter-key" />
      </Form.Item>
      <Form.Item name={[name, "op"]} style={{ marginBottom: 0, width: 136, flex: "none" }}>
        <Select
          popupMatchSelectWidth={false}
          options={FILTER_OPS.map((o) => ({ value: o, label: <span data-testid={`hit-filter-op-${o}`}>{t(`knowledge.filters.ops.${o}`)}</span> }))}
          data-testid="hit-filter-op"
        />
      </Form.Item>
      <Form.Item
        name={[name, "value"]}
        rules={takesValue(op) ? [{ required: true, whitespace: true, message: t("common.required") }] : []}
        style={{ marginBottom: 0, flex: "1 1 0", minWidth: 0 }}
      >
        <Input
          disabled={!takesValue(op)}
          placeholder={list ? t("knowledge.filters.values") : t("knowledge.filters.value")}
          autoComplete="off"
          data-testid="hit-filter-value"
        />
      </Form.Item>
      <Button type="text" icon={<DeleteOutlined />} onClick={onRemove} aria-label={t("common.delete")} data-testid="hit-filter-remove" />
    </Flex>
  );
}
