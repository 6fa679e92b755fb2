import {
  ClearOutlined,
  CodeOutlined,
  ExclamationCircleOutlined,
  RobotOutlined,
  SendOutlined,
  StopOutlined,
  UserOutlined,
} from "@ant-design/icons";
import {
  Alert,
  Avatar,
  Button,
  Col,
  Empty,
  Flex,
  Form,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Slider,
  Space,
  Tag,
  Tooltip,
  Typography,
  theme,
} from "antd";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { streamChat, type ChatResult, type ChatTurn } from "../../api/chat";
import { errorMessage } from "../../api/errors";
import { useModels } from "../../api/queries";
import { CopyButton } from "../../components/CopyButton";
import { formatNumber } from "../../components/format";
import { stateOf } from "./modelStatus";

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const EXAMPLES = ["playground.example1", "playground.example2", "playground.example3"] as const;

interface Turn {
  id: number;
  role: "user" | "assistant";
  content: string;
  status?: "streaming" | "done" | "stopped" | "error";
  error?: string;
  result?: ChatResult;
  model?: string;
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === "AbortError";

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Token counts and timings of one reply, from the stream's usage chunk and our own clock. */
function ReplyStats({ result }: { result: ChatResult }) {
  const { t } = useTranslation();
  const usage = result.usage;
  const generating = result.ttftMs !== null ? result.latencyMs - result.ttftMs : 0;
  const speed = usage && generating > 0 && usage.completion_tokens > 1 ? ((usage.completion_tokens - 1) * 1000) / generating : null;
  const parts = [
    usage && t("playground.stats.tokens", { prompt: formatNumber(usage.prompt_tokens), completion: formatNumber(usage.completion_tokens) }),
    result.ttftMs !== null && t("playground.stats.ttft", { value: formatMs(result.ttftMs) }),
    t("playground.stats.latency", { value: formatMs(result.latencyMs) }),
    speed !== null && t("playground.stats.speed", { value: speed.toFixed(1) }),
  ].filter(Boolean);
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="playground-stats">
      {parts.join(" · ")}
    </Typography.Text>
  );
}

function Message({ turn }: { turn: Turn }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const user = turn.role === "user";
  return (
    <Flex gap={12} justify={user ? "flex-end" : "flex-start"} align="flex-start" data-testid={`playground-message-${turn.role}`}>
      {!user && <Avatar icon={<RobotOutlined />} style={{ background: token.colorPrimary, flex: "none" }} />}
      <Flex vertical gap={4} align={user ? "flex-end" : "flex-start"} style={{ maxWidth: "78%", minWidth: 0 }}>
        <div
          data-testid={user ? undefined : "playground-reply"}
          data-status={turn.status}
          style={{
            padding: "10px 14px",
            borderRadius: 12,
            borderTopLeftRadius: user ? 12 : 4,
            borderTopRightRadius: user ? 4 : 12,
            background: user ? token.colorPrimaryBg : token.colorBgContainer,
            border: `1px solid ${user ? token.colorPrimaryBorder : token.colorBorderSecondary}`,
            whiteSpace: "pre-wrap",
            overflowWrap: "anywhere",
            lineHeight: 1.7,
            boxShadow: user ? undefined : "0 1px 2px rgba(0,0,0,0.03)",
          }}
        >
          {turn.content ||
            (turn.status === "streaming" && <Typography.Text type="secondary">{t("playground.thinking")}</Typography.Text>)}
          {turn.status === "streaming" && <span className="hezi-cursor" aria-hidden="true" />}
        </div>
        {turn.status === "error" && (
          <Alert type="error" showIcon icon={<ExclamationCircleOutlined />} title={turn.error} data-testid="playground-error" />
        )}
        {turn.status === "stopped" && (
          <Tag color="warning" data-testid="playground-stopped">
            {t("playground.stopped")}
          </Tag>
        )}
        {turn.status === "done" && turn.result && <ReplyStats result={turn.result} />}
      </Flex>
      {user && <Avatar icon={<UserOutlined />} style={{ background: token.colorTextQuaternary, flex: "none" }} />}
    </Flex>
  );
}

function codeSample(model: string, system: string, temperature: number, maxTokens: number): string {
  const messages = [...(system.trim() ? [{ role: "system", content: system.trim() }] : []), { role: "user", content: "Hello" }];
  const body = JSON.stringify({ model, messages, temperature, max_tokens: maxTokens, stream: true }, null, 2);
  return `curl ${window.location.origin}/v1/chat/completions \\
  -H "Authorization: Bearer $HEZI_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '${body.replace(/'/g, "'\\''")}'`;
}

/** Chat with a deployed chat model through the OpenAI-compatible gateway, streaming. */
export function PlaygroundPage() {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const [params, setParams] = useSearchParams();
  const models = useModels();
  const chatModels = useMemo(() => (models.data?.data ?? []).filter((m) => m.kind === "chat"), [models.data]);
  const ready = chatModels.filter((m) => stateOf(m) === "ready");
  const requested = params.get("model");
  const model = requested ?? ready[0]?.name ?? null;
  const current = chatModels.find((m) => m.name === model);

  const [system, setSystem] = useState("");
  const [temperature, setTemperature] = useState(0.7);
  const [maxTokens, setMaxTokens] = useState(512);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [input, setInput] = useState("");
  const [showCode, setShowCode] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const nextId = useRef(1);
  const scroller = useRef<HTMLDivElement>(null);
  const streaming = turns.some((turn) => turn.status === "streaming");

  // Leaving the page stops a reply in progress.
  useEffect(() => () => abort.current?.abort(), []);
  // Follow the reply as it grows, unless the reader scrolled up to read something.
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 160) el.scrollTop = el.scrollHeight;
  }, [turns]);

  const update = (id: number, change: (turn: Turn) => Turn) =>
    setTurns((prev) => prev.map((turn) => (turn.id === id ? change(turn) : turn)));

  const send = async (text: string) => {
    const content = text.trim();
    if (!content || streaming || model === null) return;
    const history: ChatTurn[] = turns
      .filter((turn) => turn.status !== "error" && turn.content !== "")
      .map((turn) => ({ role: turn.role, content: turn.content }));
    const messages: ChatTurn[] = [
      ...(system.trim() ? [{ role: "system" as const, content: system.trim() }] : []),
      ...history,
      { role: "user", content },
    ];
    const userId = nextId.current++;
    const replyId = nextId.current++;
    setTurns((prev) => [
      ...prev,
      { id: userId, role: "user", content },
      { id: replyId, role: "assistant", content: "", status: "streaming", model },
    ]);
    setInput("");
    const controller = new AbortController();
    abort.current = controller;
    try {
      const result = await streamChat(
        { model, messages, temperature, max_tokens: maxTokens },
        (piece) => update(replyId, (turn) => ({ ...turn, content: turn.content + piece })),
        controller.signal,
      );
      update(replyId, (turn) => ({ ...turn, status: "done", result }));
    } catch (err) {
      update(replyId, (turn) =>
        isAbort(err) ? { ...turn, status: "stopped" } : { ...turn, status: "error", error: errorMessage(err, t) },
      );
    } finally {
      if (abort.current === controller) abort.current = null;
    }
  };

  const noModels = models.isSuccess && ready.length === 0;

  return (
    <Row gutter={[24, 16]}>
      <Col xs={24} lg={8} xl={7}>
        <Form layout="vertical" data-testid="playground-settings">
          <Form.Item label={t("playground.model")}>
            <Select
              value={model ?? undefined}
              onChange={(name: string) => setParams({ model: name }, { replace: true })}
              loading={models.isPending}
              placeholder={t("playground.modelPlaceholder")}
              notFoundContent={t("playground.noModels")}
              data-testid="playground-model"
              options={chatModels.map((m) => ({
                value: m.name,
                disabled: stateOf(m) !== "ready",
                label: (
                  <Flex justify="space-between" gap={8}>
                    <span style={{ fontFamily: MONO }}>{m.name}</span>
                    {stateOf(m) !== "ready" && <Typography.Text type="secondary">{t(`models.status.${stateOf(m)}`)}</Typography.Text>}
                  </Flex>
                ),
              }))}
            />
          </Form.Item>
          <Form.Item label={t("playground.systemPrompt")} extra={t("playground.systemHint")}>
            <Input.TextArea
              value={system}
              onChange={(e) => setSystem(e.target.value)}
              autoSize={{ minRows: 3, maxRows: 8 }}
              placeholder={t("playground.systemPlaceholder")}
              data-testid="playground-system"
            />
          </Form.Item>
          <Form.Item label={t("playground.temperature")} extra={t("playground.temperatureHint")}>
            <Flex gap={12} align="center">
              <Slider min={0} max={2} step={0.1} value={temperature} onChange={setTemperature} style={{ flex: 1 }} />
              <InputNumber
                min={0}
                max={2}
                step={0.1}
                value={temperature}
                onChange={(v) => v !== null && setTemperature(v)}
                style={{ width: 72 }}
                data-testid="playground-temperature"
              />
            </Flex>
          </Form.Item>
          <Form.Item label={t("playground.maxTokens")} extra={t("playground.maxTokensHint")} style={{ marginBottom: 0 }}>
            <InputNumber
              min={1}
              max={current?.deployment?.context_size ?? 1_000_000}
              step={64}
              value={maxTokens}
              onChange={(v) => v !== null && setMaxTokens(v)}
              style={{ width: "100%" }}
              data-testid="playground-max-tokens"
            />
          </Form.Item>
        </Form>
      </Col>

      <Col xs={24} lg={16} xl={17}>
        <Flex
          vertical
          style={{
            height: "calc(100vh - 300px)",
            minHeight: 460,
            border: `1px solid ${token.colorBorderSecondary}`,
            borderRadius: token.borderRadiusLG,
            background: token.colorFillQuaternary,
            overflow: "hidden",
          }}
        >
          <Flex
            justify="space-between"
            align="center"
            style={{ padding: "8px 12px 8px 16px", borderBottom: `1px solid ${token.colorBorderSecondary}`, background: token.colorBgContainer }}
          >
            <Space size={8}>
              <RobotOutlined style={{ color: token.colorPrimary }} />
              <Typography.Text strong style={{ fontFamily: MONO }}>
                {model ?? t("playground.modelPlaceholder")}
              </Typography.Text>
              {current && stateOf(current) !== "ready" && <Tag color="warning">{t(`models.status.${stateOf(current)}`)}</Tag>}
            </Space>
            <Space size={4}>
              <Button type="text" icon={<CodeOutlined />} onClick={() => setShowCode(true)} disabled={model === null} data-testid="playground-code">
                {t("playground.code")}
              </Button>
              <Button
                type="text"
                icon={<ClearOutlined />}
                onClick={() => setTurns([])}
                disabled={streaming || turns.length === 0}
                data-testid="playground-clear"
              >
                {t("playground.clear")}
              </Button>
            </Space>
          </Flex>

          <div ref={scroller} style={{ flex: 1, overflowY: "auto", padding: 20 }} data-testid="playground-messages">
            {noModels ? (
              <Flex align="center" justify="center" style={{ height: "100%" }}>
                <Empty
                  description={
                    <Flex vertical gap={4}>
                      <Typography.Text strong>{t("playground.noModels")}</Typography.Text>
                      <Typography.Text type="secondary">{t("playground.noModelsHint")}</Typography.Text>
                    </Flex>
                  }
                >
                  <Link to="/models">
                    <Button type="primary">{t("playground.goToModels")}</Button>
                  </Link>
                </Empty>
              </Flex>
            ) : turns.length === 0 ? (
              <Flex vertical align="center" justify="center" gap={12} style={{ height: "100%", textAlign: "center" }}>
                <Avatar size={56} icon={<RobotOutlined />} style={{ background: token.colorPrimaryBg, color: token.colorPrimary }} />
                <Typography.Title level={5} style={{ margin: 0 }}>
                  {t("playground.emptyTitle")}
                </Typography.Title>
                <Typography.Text type="secondary" style={{ maxWidth: 440 }}>
                  {t("playground.emptyHint")}
                </Typography.Text>
                <Flex gap={8} wrap justify="center" style={{ marginTop: 8 }}>
                  {EXAMPLES.map((key) => (
                    <Button key={key} shape="round" onClick={() => setInput(t(key))} disabled={model === null}>
                      {t(key)}
                    </Button>
                  ))}
                </Flex>
              </Flex>
            ) : (
              <Flex vertical gap={20}>
                {turns.map((turn) => (
                  <Message key={turn.id} turn={turn} />
                ))}
              </Flex>
            )}
          </div>

          <div style={{ padding: 12, borderTop: `1px solid ${token.colorBorderSecondary}`, background: token.colorBgContainer }}>
            <Flex gap={8} align="flex-end">
              <Input.TextArea
                value={input}
                onChange={(e) => setInput(e.target.value)}
                onKeyDown={(e) => {
                  // Enter sends; Shift+Enter is a new line; Enter that confirms an IME candidate is neither.
                  if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                    e.preventDefault();
                    void send(input);
                  }
                }}
                autoSize={{ minRows: 1, maxRows: 6 }}
                placeholder={t("playground.inputPlaceholder")}
                disabled={model === null}
                variant="borderless"
                style={{ flex: 1, resize: "none" }}
                data-testid="playground-input"
              />
              {streaming ? (
                <Button icon={<StopOutlined />} onClick={() => abort.current?.abort()} data-testid="playground-stop">
                  {t("playground.stop")}
                </Button>
              ) : (
                <Tooltip title={t("playground.sendHint")}>
                  <Button
                    type="primary"
                    icon={<SendOutlined />}
                    onClick={() => void send(input)}
                    disabled={model === null || input.trim() === ""}
                    data-testid="playground-send"
                  >
                    {t("playground.send")}
                  </Button>
                </Tooltip>
              )}
            </Flex>
          </div>
        </Flex>
      </Col>

      <Modal
        open={showCode}
        title={t("playground.codeTitle")}
        onCancel={() => setShowCode(false)}
        footer={null}
        width={720}
        data-testid="playground-code-modal"
      >
        {model !== null && (
          <Flex vertical gap={12} style={{ marginTop: 8 }}>
            <Typography.Text type="secondary">{t("playground.codeHint")}</Typography.Text>
            <div style={{ position: "relative" }}>
              <pre
                style={{
                  margin: 0,
                  padding: "12px 16px",
                  background: "#141414",
                  color: "#d9d9d9",
                  borderRadius: token.borderRadius,
                  fontFamily: MONO,
                  fontSize: 12,
                  lineHeight: 1.6,
                  overflowX: "auto",
                }}
              >
                {codeSample(model, system, temperature, maxTokens)}
              </pre>
              <div style={{ position: "absolute", top: 6, right: 6, background: "#fff", borderRadius: 6 }}>
                <CopyButton text={codeSample(model, system, temperature, maxTokens)} />
              </div>
            </div>
          </Flex>
        )}
      </Modal>
    </Row>
  );
}
