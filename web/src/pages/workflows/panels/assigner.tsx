/** The Variable assigner's panel: rows that each write a conversation (or loop) variable with an operation. */
import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Flex, Segmented, Select, Typography } from "antd";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { emptyValue, type Selector } from "../model";
import type { PanelProps } from "./basic";
import { Field, typeIn, useEditor, useVarGroups, VarPicker } from "./common";
import { TypedValueInput } from "./values";

export interface AssignItem {
  variable_selector: Selector;
  input_type: "variable" | "constant";
  operation: string;
  value: unknown;
}

/** What each kind of variable can be done to (logic.py's `apply`; Dify's assigner v2). */
const OPS = {
  number: ["over-write", "clear", "set", "+=", "-=", "*=", "/="],
  array: ["over-write", "clear", "append", "extend", "remove-first", "remove-last"],
  other: ["over-write", "clear", "set"],
  any: ["over-write", "clear", "set", "+=", "-=", "*=", "/=", "append", "extend", "remove-first", "remove-last"],
};
const NO_VALUE = new Set(["clear", "remove-first", "remove-last"]);
export const takesValue = (op: string) => !NO_VALUE.has(op);
/** Operations that usually take a typed-in constant rather than another variable. */
const CONSTANT_FIRST = new Set(["set", "+=", "-=", "*=", "/="]);
const WORDS = new Set(["over-write", "clear", "set", "append", "extend", "remove-first", "remove-last"]);

export function operationsFor(type: string | undefined): string[] {
  if (!type || type === "any") return OPS.any;
  if (type === "number") return OPS.number;
  if (type.startsWith("array")) return OPS.array;
  return OPS.other;
}

export function operationLabel(op: string, t: TFunction): string {
  return WORDS.has(op) ? t(`workflow.assign.ops.${op as "set"}`) : op;
}

/** The type of the constant an operation on a variable of `type` takes: a number for arithmetic, an item to append. */
function constantType(target: string | undefined, op: string): string {
  if (["+=", "-=", "*=", "/="].includes(op)) return "number";
  const item = target ? /^array\[(\w+)\]$/.exec(target)?.[1] : undefined;
  if (op === "append") return item ?? "string";
  return target && target !== "any" ? target : "string";
}

const arr = <T,>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

function defaultItem(op: string, target: string | undefined, selector: Selector): AssignItem {
  const input_type = CONSTANT_FIRST.has(op) ? "constant" : "variable";
  return { variable_selector: selector, operation: op, input_type, value: input_type === "constant" ? emptyValue(constantType(target, op)) : [] };
}

export function AssignerPanel({ node, set }: PanelProps) {
  const { t } = useTranslation();
  const { disabled, graph } = useEditor();
  const targets = useVarGroups(node.id, "write");
  const items = arr<AssignItem>(node.data.items);
  const put = (next: AssignItem[], key?: string) => set({ version: "2", items: next }, key);
  const change = (i: number, patch: Partial<AssignItem>, key?: string) => put(items.map((x, j) => (j === i ? { ...x, ...patch } : x)), key);
  return (
    <>
      <Field label={t("workflow.assign.items")} hint={t("workflow.assign.itemsHint")}>
        <Flex vertical gap={8} data-testid="wf-assign-items">
          {items.map((item, i) => {
            const target = typeIn(targets, item.variable_selector);
            const ops = operationsFor(target);
            const needsValue = takesValue(item.operation);
            return (
              <div key={i} className="wf-row-card" data-testid={`wf-assign-item-${i}`}>
                <Flex gap={6} align="center">
                  <div style={{ flex: 1, minWidth: 0 }}>
                    <VarPicker
                      nodeId={node.id}
                      scope="write"
                      value={item.variable_selector}
                      onChange={(sel) => {
                        const type = typeIn(targets, sel);
                        const op = operationsFor(type).includes(item.operation) ? item.operation : "over-write";
                        change(i, defaultItem(op, type, sel));
                      }}
                      placeholder={t("workflow.assign.target")}
                      testId={`wf-assign-target-${i}`}
                    />
                  </div>
                  {!disabled && (
                    <Button type="text" icon={<DeleteOutlined />} onClick={() => put(items.filter((_, j) => j !== i))} aria-label={t("common.delete")} />
                  )}
                </Flex>
                <Flex gap={6} align="center" style={{ marginTop: 6 }}>
                  <Select
                    value={item.operation}
                    onChange={(op: string) => change(i, defaultItem(op, target, item.variable_selector))}
                    options={ops.map((o) => ({ value: o, label: <span data-testid={`wf-assign-op-option-${o}`}>{operationLabel(o, t)}</span> }))}
                    style={{ width: 130, flex: "none" }}
                    disabled={disabled}
                    data-testid={`wf-assign-op-${i}`}
                  />
                  {needsValue && (
                    <Segmented
                      size="small"
                      value={item.input_type}
                      onChange={(v) => {
                        const input_type = v as AssignItem["input_type"];
                        change(i, { input_type, value: input_type === "constant" ? emptyValue(constantType(target, item.operation)) : [] });
                      }}
                      options={[
                        { value: "variable", label: t("workflow.assign.variable") },
                        { value: "constant", label: t("workflow.assign.constant") },
                      ]}
                      disabled={disabled}
                      data-testid={`wf-assign-input-type-${i}`}
                    />
                  )}
                </Flex>
                {needsValue && (
                  <div style={{ marginTop: 6 }}>
                    {item.input_type === "constant" ? (
                      <TypedValueInput
                        type={constantType(target, item.operation)}
                        value={item.value}
                        onChange={(value) => change(i, { value }, `items.${i}.value`)}
                        disabled={disabled}
                        testId={`wf-assign-value-${i}`}
                      />
                    ) : (
                      <VarPicker
                        nodeId={node.id}
                        value={Array.isArray(item.value) ? (item.value as Selector) : undefined}
                        onChange={(sel) => change(i, { value: sel })}
                        testId={`wf-assign-source-${i}`}
                      />
                    )}
                  </div>
                )}
              </div>
            );
          })}
          {!disabled && (
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => put([...items, defaultItem("over-write", undefined, [])])} data-testid="wf-assign-add">
              {t("workflow.assign.add")}
            </Button>
          )}
          {targets.length === 0 && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="wf-assign-no-targets">
              {graph.mode === "chatflow" ? t("workflow.assign.noTargets") : t("workflow.assign.noTargetsWorkflow")}
            </Typography.Text>
          )}
        </Flex>
      </Field>
    </>
  );
}
