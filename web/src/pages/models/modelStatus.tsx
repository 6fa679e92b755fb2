import { LoadingOutlined } from "@ant-design/icons";
import { Badge, Flex, Tag, Tooltip, Typography } from "antd";
import { useTranslation } from "react-i18next";
import type { DeploymentPublic, ModelPublic } from "../../api/client";

/** One worker process of a deployment (the API schema leaves `instances` untyped). */
export interface ModelInstance {
  index: number;
  status: string;
  pid: number | null;
  restarts: number;
  in_flight: number;
  last_error: string | null;
  uptime_s: number | null;
}

export type ModelState = "ready" | "starting" | "failed" | "stopped" | "notDeployed";

export function instancesOf(deployment: DeploymentPublic | null | undefined): ModelInstance[] {
  return (deployment?.instances ?? []) as unknown as ModelInstance[];
}

export function stateOf(model: ModelPublic): ModelState {
  const d = model.deployment;
  if (d === null) return "notDeployed";
  if (d.desired !== "running") return "stopped";
  return d.status === "ready" || d.status === "starting" || d.status === "failed" ? d.status : "stopped";
}

/** The newest error any replica reported, for the failed badge's tooltip. */
export function lastErrorOf(model: ModelPublic): string | null {
  return instancesOf(model.deployment).find((i) => i.last_error)?.last_error ?? null;
}

const BADGE: Record<ModelState, "success" | "processing" | "error" | "default"> = {
  ready: "success",
  starting: "processing",
  failed: "error",
  stopped: "default",
  notDeployed: "default",
};

export function InstanceStatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  const state = (["ready", "starting", "failed"].includes(status) ? status : "stopped") as ModelState;
  const color = { ready: "success", starting: "processing", failed: "error", stopped: "default", notDeployed: "default" }[state];
  return (
    <Tag color={color} icon={state === "starting" ? <LoadingOutlined /> : undefined}>
      {t(`models.status.${state}`)}
    </Tag>
  );
}

/** A deployment's state at a glance: a coloured dot, a spinner while starting, the error on hover when failed. */
export function ModelStatus({ model }: { model: ModelPublic }) {
  const { t } = useTranslation();
  const state = stateOf(model);
  const instances = instancesOf(model.deployment);
  const ready = instances.filter((i) => i.status === "ready").length;
  const label =
    state === "starting" ? (
      <Flex align="center" gap={8}>
        <LoadingOutlined style={{ color: "#1677ff" }} />
        <span>{t("models.status.starting")}</span>
      </Flex>
    ) : (
      <Badge status={BADGE[state]} text={t(`models.status.${state}`)} />
    );
  const error = state === "failed" ? lastErrorOf(model) : null;

  return (
    <Flex vertical gap={2} data-testid="model-status" data-state={state}>
      {error ? (
        <Tooltip
          title={<div style={{ whiteSpace: "pre-wrap", maxHeight: 240, overflow: "auto" }}>{error}</div>}
          styles={{ root: { maxWidth: 480 } }}
        >
          <span style={{ cursor: "help" }}>{label}</span>
        </Tooltip>
      ) : (
        label
      )}
      {model.deployment && (state === "ready" || state === "starting" || state === "failed") && instances.length > 1 && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t("models.replicasReady", { ready, total: instances.length })}
        </Typography.Text>
      )}
    </Flex>
  );
}
