import { ToolOutlined } from "@ant-design/icons";
import { ThoughtChain, type ThoughtChainItemType } from "@ant-design/x";
import { Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { Step } from "../../api/agents";

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

function pretty(value: unknown): string {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? "";
}

function Block({ label, text, danger, testId }: { label: string; text: string; danger?: boolean; testId: string }) {
  return (
    <div style={{ marginBottom: 8 }}>
      <Typography.Text type={danger ? "danger" : "secondary"} style={{ fontSize: 12 }}>
        {label}
      </Typography.Text>
      <pre className="hezi-step-pre" data-testid={testId} style={{ fontFamily: MONO }}>
        {text}
      </pre>
    </div>
  );
}

/** The tool calls of an answer, in order: each one's tool, arguments, result or error, time and tokens. */
export function StepsChain({ steps, running }: { steps: Step[]; running: Step[] }) {
  const { t } = useTranslation();
  if (steps.length === 0 && running.length === 0) return null;
  const items: ThoughtChainItemType[] = [
    ...steps.map((s) => ({ step: s, done: true })),
    ...running.map((s) => ({ step: s, done: false })),
  ].map(({ step, done }) => ({
    key: `step-${step.index}`,
    icon: <ToolOutlined />,
    status: !done ? "loading" : step.error ? "error" : "success",
    collapsible: true,
    blink: !done,
    title: (
      <span data-testid="chat-step-tool" data-done={done}>
        {step.tool}
      </span>
    ),
    description: done ? (
      <span data-testid="chat-step-meta">
        {[
          step.elapsed_ms !== undefined && t("chat.steps.elapsed", { ms: step.elapsed_ms }),
          step.tokens ? t("chat.steps.tokens", { n: step.tokens }) : null,
          step.error ? t("chat.steps.failed") : null,
        ]
          .filter(Boolean)
          .join(" · ")}
      </span>
    ) : (
      t("chat.steps.running")
    ),
    content: (
      <div data-testid="chat-step-detail">
        <Block label={t("chat.steps.arguments")} text={pretty(step.arguments)} testId="chat-step-arguments" />
        {done && step.error && <Block label={t("chat.steps.error")} text={step.error} danger testId="chat-step-error" />}
        {done && !step.error && <Block label={t("chat.steps.result")} text={pretty(step.result ?? "")} testId="chat-step-result" />}
      </div>
    ),
  }));
  return (
    <div data-testid="chat-steps" className="hezi-steps">
      <ThoughtChain items={items} line="dashed" />
    </div>
  );
}
