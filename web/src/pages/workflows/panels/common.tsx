import { CommentOutlined, DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Cascader, Dropdown, Flex, Input, Tag, Tooltip, Typography, type MenuProps } from "antd";
import type { TextAreaRef } from "antd/es/input/TextArea";
import { createContext, useContext, useMemo, useRef, type ReactNode } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { WorkspaceRef } from "../../../api/client";
import { reference, references, upstreamOf, type Graph, type Selector, type WfNode } from "../model";
import { innerOutputsOf, loopVariablesOf, metaOf, outputsOf, systemVariables, type VarInfo } from "../nodeTypes";

export interface PanelContext {
  graph: Graph;
  workspace: WorkspaceRef;
  disabled: boolean;
}

export const EditorContext = createContext<PanelContext | null>(null);

export function useEditor(): PanelContext {
  const ctx = useContext(EditorContext);
  if (!ctx) throw new Error("EditorContext missing");
  return ctx;
}

export interface VarGroup {
  id: string;
  title: string;
  icon: ReactNode;
  vars: VarInfo[];
}

/** A chatflow's conversation variables, as a picker offers them (`["conversation", name]`). */
function conversationGroup(graph: Graph, title: string): VarGroup | null {
  if (graph.mode !== "chatflow" || graph.conversation_variables.length === 0) return null;
  return { id: "conversation", title, icon: <CommentOutlined />, vars: graph.conversation_variables.map((v) => ({ variable: v.name, type: v.type })) };
}

/**
 * What a node may read (`scope` "read"): the outputs of the nodes upstream of it, its containers' item/index, the
 * conversation's variables, sys and env. What it may write ("write", a Variable assigner's target): the
 * conversation's variables first, then the variables of the loops it is inside.
 */
export function useVarGroups(nodeId: string, scope: "read" | "write" = "read"): VarGroup[] {
  const { graph } = useEditor();
  const { t } = useTranslation();
  return useMemo(() => {
    const node = graph.nodes.find((n) => n.id === nodeId);
    const containers: WfNode[] = [];
    for (let at: WfNode | undefined = node; at?.parent_id; ) {
      at = graph.nodes.find((n) => n.id === at!.parent_id);
      if (at) containers.push(at);
    }
    const conversation = conversationGroup(graph, t("workflow.vars.conversation"));
    if (scope === "write") {
      const loops = containers
        .filter((c) => c.type === "loop")
        .map((c) => ({ id: c.id, title: c.title || c.type, icon: metaOf(c.type).icon, vars: loopVariablesOf(c) }));
      return [...(conversation ? [conversation] : []), ...loops].filter((g) => g.vars.length > 0);
    }
    const inside = new Set(containers.map((c) => c.id));
    const groups: VarGroup[] = upstreamOf(graph, nodeId).map((n) => ({
      id: n.id,
      title: n.title || n.type,
      icon: metaOf(n.type).icon,
      // Inside a container, the container offers its item/index; from outside, its result.
      vars: inside.has(n.id) ? innerOutputsOf(n) : outputsOf(n),
    }));
    if (conversation) groups.push(conversation);
    groups.push({ id: "sys", title: t("workflow.vars.sys"), icon: null, vars: systemVariables(graph.mode) });
    if (graph.environment.length > 0)
      groups.push({ id: "env", title: t("workflow.vars.env"), icon: null, vars: graph.environment.map((e) => ({ variable: e.name, type: e.type })) });
    return groups.filter((g) => g.vars.length > 0);
  }, [graph, nodeId, scope, t]);
}

/** The type of the variable `selector` names among `groups`, if it is one of theirs. */
export function typeIn(groups: VarGroup[], selector: Selector | undefined): string | undefined {
  if (!selector || selector.length < 2) return undefined;
  return groups.find((g) => g.id === selector[0])?.vars.find((v) => v.variable === selector[1])?.type;
}

/** How a selector reads: "LLM / text", "Conversation / turns". */
export function selectorLabel(graph: Graph, selector: Selector, t: TFunction): string {
  const [id, ...rest] = selector;
  if (!id) return "";
  const title =
    id === "sys"
      ? t("workflow.vars.sys")
      : id === "env"
        ? "env"
        : id === "conversation"
          ? t("workflow.vars.conversation")
          : (graph.nodes.find((n) => n.id === id)?.title ?? id);
  return `${title} / ${rest.join(".")}`;
}

/** Whether a `{{#…#}}` reference names something the graph has (a node, sys, env, a declared conversation variable). */
function known(graph: Graph, selector: Selector): boolean {
  const [id, name] = selector;
  if (id === "sys" || id === "env") return true;
  if (id === "conversation") return graph.conversation_variables.some((v) => v.name === name);
  return graph.nodes.some((n) => n.id === id);
}

/** Pick a variable of an upstream node (a selector `[node_id, variable]`). */
export function VarPicker({
  nodeId,
  value,
  onChange,
  testId,
  placeholder,
  filter,
  scope = "read",
}: {
  nodeId: string;
  value: Selector | undefined;
  onChange: (v: Selector) => void;
  testId?: string;
  placeholder?: string;
  filter?: (v: VarInfo) => boolean;
  /** "write": the variables a Variable assigner may set. */
  scope?: "read" | "write";
}) {
  const { t } = useTranslation();
  const { graph, disabled } = useEditor();
  const groups = useVarGroups(nodeId, scope);
  const options = groups
    .map((g) => ({
      value: g.id,
      label: (
        <span data-testid={`wf-var-group-${g.id}`}>
          {g.icon} {g.title}
        </span>
      ),
      children: g.vars
        .filter((v) => !filter || filter(v))
        .map((v) => ({
          value: v.variable,
          label: (
            <Flex justify="space-between" gap={12} data-testid={`wf-var-${g.id}-${v.variable}`}>
              <span>{v.variable}</span>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {v.type}
              </Typography.Text>
            </Flex>
          ),
        })),
    }))
    .filter((g) => g.children.length > 0);
  const picked = value && value.length >= 2;
  return (
    <Cascader
      options={options}
      value={picked ? value.slice(0, 2) : undefined}
      onChange={(v) => onChange(((v ?? []) as string[]).map(String))}
      displayRender={() => (picked ? selectorLabel(graph, value, t) : "")}
      placeholder={placeholder ?? t("workflow.vars.pick")}
      disabled={disabled}
      style={{ width: "100%" }}
      expandTrigger="hover"
      data-testid={testId}
      allowClear
      notFoundContent={t("workflow.vars.none")}
    />
  );
}

/** A prompt or template: text with `{{#node.var#}}` references, inserted at the cursor from a variable menu. */
export function TextWithVars({
  nodeId,
  value,
  onChange,
  rows = 4,
  testId,
  placeholder,
  extra,
}: {
  nodeId: string;
  value: string;
  onChange: (v: string) => void;
  rows?: number;
  testId?: string;
  placeholder?: string;
  extra?: ReactNode;
}) {
  const { t } = useTranslation();
  const { graph, disabled } = useEditor();
  const groups = useVarGroups(nodeId);
  const area = useRef<TextAreaRef>(null);
  const insert = (selector: Selector) => {
    const el = area.current?.resizableTextArea?.textArea;
    const text = reference(selector);
    const at = el ? el.selectionStart : value.length;
    const end = el ? el.selectionEnd : value.length;
    onChange(value.slice(0, at) + text + value.slice(end));
    window.requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + text.length, at + text.length);
    });
  };
  const items: MenuProps["items"] = groups.map((g) => ({
    key: g.id,
    label: (
      <span data-testid={`wf-insert-group-${g.id}`}>
        {g.icon} {g.title}
      </span>
    ),
    children: g.vars.map((v) => ({
      key: `${g.id}\u0000${v.variable}`,
      label: (
        <Flex justify="space-between" gap={16} data-testid={`wf-insert-${g.id}-${v.variable}`}>
          <span>{v.variable}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {v.type}
          </Typography.Text>
        </Flex>
      ),
    })),
  }));
  const refs = references(value);
  return (
    <div className="wf-text-vars">
      <Flex justify="space-between" align="center" style={{ marginBottom: 4 }}>
        <div>{extra}</div>
        {!disabled && (
          <Dropdown
            trigger={["click"]}
            menu={{ items, onClick: ({ key }) => insert(key.split("\u0000") as Selector) }}
            disabled={items.length === 0}
          >
            <Button size="small" type="link" icon={<PlusOutlined />} data-testid={testId ? `${testId}-insert` : undefined}>
              {t("workflow.vars.insert")}
            </Button>
          </Dropdown>
        )}
      </Flex>
      <Input.TextArea
        ref={area}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoSize={{ minRows: rows, maxRows: 16 }}
        placeholder={placeholder}
        disabled={disabled}
        data-testid={testId}
        style={{ fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", fontSize: 13 }}
      />
      {refs.length > 0 && (
        <Flex wrap gap={4} style={{ marginTop: 6 }}>
          {refs.map((r, i) => {
            return (
              <Tag key={i} color={known(graph, r) ? "blue" : "red"} bordered={false} style={{ marginInlineEnd: 0 }}>
                {selectorLabel(graph, r, t)}
              </Tag>
            );
          })}
        </Flex>
      )}
    </div>
  );
}

/** A labelled setting of a panel. */
export function Field({ label, hint, children, required }: { label: ReactNode; hint?: ReactNode; children: ReactNode; required?: boolean }) {
  return (
    <div className="wf-field">
      <div className="wf-field-label">
        {required && <span style={{ color: "#f04438" }}>* </span>}
        {label}
        {hint && (
          <Tooltip title={hint}>
            <Typography.Text type="secondary" style={{ marginInlineStart: 4, cursor: "help" }}>
              ⓘ
            </Typography.Text>
          </Tooltip>
        )}
      </div>
      {children}
    </div>
  );
}

/** Rows of `{variable, value_selector}` (the inputs of code and template nodes, an end node's outputs). */
export function VariableRows({
  nodeId,
  rows,
  onChange,
  testId,
  namePlaceholder,
}: {
  nodeId: string;
  rows: { variable: string; value_selector: Selector }[];
  onChange: (rows: { variable: string; value_selector: Selector }[]) => void;
  testId: string;
  namePlaceholder?: string;
}) {
  const { t } = useTranslation();
  const { disabled } = useEditor();
  return (
    <Flex vertical gap={6} data-testid={testId}>
      {rows.map((row, i) => (
        <Flex key={i} gap={6} align="center">
          <Input
            value={row.variable}
            onChange={(e) => onChange(rows.map((r, j) => (j === i ? { ...r, variable: e.target.value } : r)))}
            placeholder={namePlaceholder ?? t("workflow.fields.variableName")}
            style={{ width: 120, flex: "none" }}
            disabled={disabled}
            data-testid={`${testId}-name-${i}`}
          />
          <div style={{ flex: 1, minWidth: 0 }}>
            <VarPicker
              nodeId={nodeId}
              value={row.value_selector}
              onChange={(v) => onChange(rows.map((r, j) => (j === i ? { ...r, value_selector: v } : r)))}
              testId={`${testId}-value-${i}`}
            />
          </div>
          {!disabled && (
            <Button type="text" icon={<DeleteOutlined />} onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={t("common.delete")} />
          )}
        </Flex>
      ))}
      {!disabled && (
        <Button
          size="small"
          type="dashed"
          icon={<PlusOutlined />}
          onClick={() => onChange([...rows, { variable: nextName(rows.map((r) => r.variable)), value_selector: [] }])}
          data-testid={`${testId}-add`}
        >
          {t("workflow.fields.addVariable")}
        </Button>
      )}
    </Flex>
  );
}

export function nextName(taken: string[], base = "arg"): string {
  for (let i = 1; ; i++) if (!taken.includes(`${base}${i}`)) return `${base}${i}`;
}
