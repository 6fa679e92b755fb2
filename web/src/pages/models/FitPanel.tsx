import { CheckCircleFilled, CloseCircleFilled, LoadingOutlined } from "@ant-design/icons";
import { Alert, Button, Flex, Tag, Tooltip, Typography, theme } from "antd";
import type { TFunction } from "i18next";
import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import { errorMessage } from "../../api/errors";
import type { DeviceFit, FitCheck, FitSuggestion, Placement } from "../../api/hardware";
import { formatBytes, formatNumber } from "../../components/format";

/** The four parts of a device's need, in the order the bar stacks them. */
const PARTS = [
  { key: "weights", color: "#1677ff" },
  { key: "kv_cache", color: "#13c2c2" },
  { key: "compute", color: "#faad14" },
  { key: "overhead", color: "#bfbfbf" },
] as const;
const PART_LABELS = {
  weights: "fit.parts.weights",
  kv_cache: "fit.parts.kvCache",
  compute: "fit.parts.compute",
  overhead: "fit.parts.overhead",
} as const;
/** The pinned prefixes' share of the KV cache: the same hue, lighter, drawn as a part of its own. */
const PINNED_COLOR = "#87e8de";

/** The placement's reason in the user's language, from its code; the server's English sentence otherwise. */
export function placementReason(p: Placement, t: TFunction): string {
  const gpu = p.gpu_name ?? "";
  switch (p.code) {
    case "no_gpu":
      return t("fit.reason.noGpu");
    case "embedding_cpu":
      return t("fit.reason.embedding");
    case "all_layers":
      return t("fit.reason.allLayers", { gpu });
    case "some_layers":
      return t("fit.reason.someLayers", { layers: p.gpu_layers, total: p.layers_total, gpu });
    case "no_layer_fits":
      return t("fit.reason.noLayer", { gpu });
    default:
      return p.reason;
  }
}

function deviceName(device: string, gpuNames: Record<string, string>, t: TFunction): string {
  if (device === "cpu") return t("fit.cpuMemory");
  const name = gpuNames[device];
  return name ? `${name} (${device})` : device;
}

function placementText(p: Placement, gpuNames: Record<string, string>, t: TFunction): string {
  if (p.device === "cpu" || p.gpu_layers === 0) return t("fit.onCpu", { threads: p.threads });
  const gpu = gpuNames[p.device] ?? p.device;
  return p.gpu_layers < 0 ? t("fit.allOnGpu", { gpu }) : t("fit.layersOnGpu", { gpu, layers: p.gpu_layers });
}

/** Needed against free memory on one device: the parts stacked, a line where free memory ends. */
function DeviceBar({ need, gpuNames }: { need: DeviceFit; gpuNames: Record<string, string> }) {
  const { t } = useTranslation();
  const { token } = theme.useToken();
  const room = need.free ?? need.total ?? need.needed;
  const scale = Math.max(need.needed, room, 1);
  const freeAt = Math.min(100, (room / scale) * 100);
  const pinnedKv = Math.min(need.pinned_kv ?? 0, need.kv_cache);
  const segments = PARTS.flatMap((p) =>
    p.key === "kv_cache" && pinnedKv > 0
      ? [
          { key: p.key, color: p.color, bytes: need.kv_cache - pinnedKv, label: t("fit.parts.kvCacheOthers") },
          { key: "pinned_kv", color: PINNED_COLOR, bytes: pinnedKv, label: t("fit.parts.pinnedKv") },
        ]
      : [{ key: p.key, color: p.color, bytes: need[p.key], label: t(PART_LABELS[p.key]) }],
  );
  return (
    <div data-testid={`fit-device-${need.device}`} data-fits={need.fits}>
      <Flex justify="space-between" align="baseline" gap={12} style={{ marginBottom: 6 }}>
        <Typography.Text strong>{deviceName(need.device, gpuNames, t)}</Typography.Text>
        <Flex align="center" gap={8}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {need.free === null
              ? t("fit.needsOnly", { needed: formatBytes(need.needed) })
              : t("fit.needsOfFree", { needed: formatBytes(need.needed), free: formatBytes(need.free) })}
          </Typography.Text>
          {need.fits ? (
            <CheckCircleFilled style={{ color: token.colorSuccess }} aria-label={t("fit.fits")} />
          ) : (
            <CloseCircleFilled style={{ color: token.colorError }} aria-label={t("fit.doesNotFit")} />
          )}
        </Flex>
      </Flex>
      <div
        style={{
          position: "relative",
          height: 12,
          borderRadius: 6,
          background: token.colorFillSecondary,
          overflow: "hidden",
          outline: need.fits ? undefined : `1px solid ${token.colorErrorBorder}`,
        }}
      >
        <Flex style={{ height: "100%", width: `${(need.needed / scale) * 100}%`, minWidth: 4 }}>
          {segments
            .filter((p) => p.bytes > 0)
            .map((p) => (
              <Tooltip key={p.key} title={`${p.label}: ${formatBytes(p.bytes)}`}>
                <div style={{ flex: p.bytes, minWidth: 2, background: p.color, height: "100%" }} />
              </Tooltip>
            ))}
        </Flex>
        {!need.fits && (
          <>
            {/* What goes beyond free memory, hatched, and the line where free memory ends. */}
            <div
              style={{
                position: "absolute",
                top: 0,
                bottom: 0,
                left: `${freeAt}%`,
                right: 0,
                background: "repeating-linear-gradient(135deg, rgba(255,77,79,0.55) 0 4px, rgba(255,255,255,0.35) 4px 8px)",
              }}
            />
            <div
              title={t("fit.freeMark")}
              style={{ position: "absolute", top: 0, bottom: 0, left: `${freeAt}%`, width: 2, background: token.colorError }}
            />
          </>
        )}
      </div>
      <Flex wrap gap={12} style={{ marginTop: 6 }}>
        {PARTS.map((p) => (
          <Fragment key={p.key}>
            <Flex align="center" gap={4} style={{ fontSize: 12 }}>
              <span style={{ width: 8, height: 8, borderRadius: 2, background: p.color, display: "inline-block" }} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t(PART_LABELS[p.key])}
              </Typography.Text>
              <Typography.Text style={{ fontSize: 12 }} data-testid={`fit-${p.key}`}>
                {formatBytes(need[p.key])}
              </Typography.Text>
            </Flex>
            {p.key === "kv_cache" && pinnedKv > 0 && (
              <Tooltip title={t("fit.pinnedKvHint")}>
                <Flex align="center" gap={4} style={{ fontSize: 12, cursor: "help" }}>
                  <span style={{ width: 8, height: 8, borderRadius: 2, background: PINNED_COLOR, display: "inline-block" }} />
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t("fit.parts.pinnedKvOf")}
                  </Typography.Text>
                  <Typography.Text style={{ fontSize: 12 }} data-testid="fit-pinned_kv">
                    {formatBytes(pinnedKv)}
                  </Typography.Text>
                </Flex>
              </Tooltip>
            )}
          </Fragment>
        ))}
      </Flex>
    </div>
  );
}

interface Props {
  fit: FitCheck | undefined;
  /** A newer estimate is on its way (the form changed). */
  pending: boolean;
  error: unknown;
  /** The GPU-layers field as the user left it: null is automatic. */
  gpuLayers: number | null;
  gpuNames: Record<string, string>;
  onSuggestion: (s: FitSuggestion) => void;
  onAutomatic: () => void;
}

/** A suggestion's button: what it changes against the settings checked. */
function suggestionText(s: FitSuggestion, fit: FitCheck, t: TFunction): string {
  const parts: string[] = [];
  if (s.context_size !== fit.context_size || s.parallel !== fit.parallel) {
    parts.push(t("fit.suggestion", { ctx: formatNumber(s.context_size), parallel: s.parallel }));
  }
  if (s.pinned_prefixes !== undefined && s.pinned_prefixes !== fit.pinned_prefixes) {
    parts.push(s.pinned_prefixes === 0 ? t("fit.suggestionNoPinned") : t("fit.suggestionPinned", { n: s.pinned_prefixes }));
  }
  if (parts.length > 0) return parts.join(" · ");
  return s.gpu_layers === 0 ? t("fit.suggestionCpu") : t("fit.suggestionLayers", { layers: s.gpu_layers });
}

/** "Will it fit?" for the settings in the deploy form, and what would fit instead. */
export function FitPanel({ fit, pending, error, gpuLayers, gpuNames, onSuggestion, onAutomatic }: Props) {
  const { t } = useTranslation();
  const { token } = theme.useToken();

  if (!fit) {
    if (error) return <Alert type="info" showIcon title={errorMessage(error, t)} data-testid="fit-unavailable" />;
    return (
      <div style={{ padding: 16, border: `1px solid ${token.colorBorderSecondary}`, borderRadius: token.borderRadiusLG }} data-testid="fit-panel-loading">
        <Typography.Text type="secondary">
          <LoadingOutlined style={{ marginInlineEnd: 8 }} />
          {t("fit.checking")}
        </Typography.Text>
      </div>
    );
  }

  const overridden = gpuLayers !== null && gpuLayers !== fit.placement.gpu_layers;
  return (
    <div
      data-testid="fit-panel"
      data-fits={fit.fits}
      style={{
        padding: "12px 16px",
        borderRadius: token.borderRadiusLG,
        border: `1px solid ${fit.fits ? token.colorSuccessBorder : token.colorErrorBorder}`,
        background: fit.fits ? token.colorSuccessBg : token.colorErrorBg,
        opacity: pending ? 0.7 : 1,
        transition: "opacity 0.2s",
      }}
    >
      <Flex justify="space-between" align="center" gap={12} style={{ marginBottom: 12 }}>
        <Flex align="center" gap={8}>
          {fit.fits ? (
            <CheckCircleFilled style={{ color: token.colorSuccess, fontSize: 18 }} />
          ) : (
            <CloseCircleFilled style={{ color: token.colorError, fontSize: 18 }} />
          )}
          <Typography.Text strong data-testid="fit-verdict">
            {fit.fits ? t("fit.fits") : t("fit.doesNotFit")}
          </Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {(fit.pinned_prefixes ?? 0) > 0
              ? t("fit.summaryPinned", {
                  ctx: formatNumber(fit.context_size),
                  parallel: fit.parallel,
                  pinned: fit.pinned_prefixes,
                  total: formatBytes(fit.total),
                })
              : t("fit.summary", { ctx: formatNumber(fit.context_size), parallel: fit.parallel, total: formatBytes(fit.total) })}
          </Typography.Text>
        </Flex>
        {pending && <LoadingOutlined style={{ color: token.colorTextSecondary }} />}
      </Flex>

      <Flex vertical gap={2} style={{ marginBottom: 12 }} data-testid="fit-placement" data-overridden={overridden}>
        <Flex align="center" gap={6} wrap>
          <Typography.Text type="secondary">{t("fit.placement")}</Typography.Text>
          {overridden && gpuLayers !== null ? (
            <>
              <Tag color="orange" style={{ marginInlineEnd: 0 }}>
                {gpuLayers < 0 ? t("fit.overriddenAll") : gpuLayers === 0 ? t("fit.overriddenCpu") : t("fit.overridden", { layers: gpuLayers })}
              </Tag>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t("fit.heziWould")}
              </Typography.Text>
              <Tag style={{ marginInlineEnd: 0 }}>{placementText(fit.placement, gpuNames, t)}</Tag>
              <Button type="link" size="small" style={{ padding: 0, height: "auto" }} onClick={onAutomatic} data-testid="fit-automatic">
                {t("fit.useAutomatic")}
              </Button>
            </>
          ) : (
            <>
              <Tag color={fit.placement.device === "cpu" ? "default" : "green"} style={{ marginInlineEnd: 0 }}>
                {placementText(fit.placement, gpuNames, t)}
              </Tag>
              {gpuLayers === null && <Tag color="blue" style={{ marginInlineEnd: 0 }}>{t("fit.automatic")}</Tag>}
            </>
          )}
        </Flex>
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="fit-reason">
          {placementReason(fit.placement, t)}
        </Typography.Text>
      </Flex>

      <Flex vertical gap={12}>
        {fit.devices.map((d) => (
          <DeviceBar key={d.device} need={d} gpuNames={gpuNames} />
        ))}
      </Flex>

      {!fit.fits && (
        <div style={{ marginTop: 12 }} data-testid="fit-suggestions">
          <Typography.Text style={{ display: "block", marginBottom: 6 }}>
            {fit.suggestions.length > 0 ? t("fit.wouldFit") : t("fit.noSuggestion")}
          </Typography.Text>
          <Flex wrap gap={8}>
            {fit.suggestions.map((s) => (
              <Button
                key={`${s.context_size}-${s.parallel}-${s.gpu_layers}-${s.pinned_prefixes ?? ""}`}
                size="small"
                shape="round"
                onClick={() => onSuggestion(s)}
                data-testid="fit-suggestion"
              >
                {suggestionText(s, fit, t)}
              </Button>
            ))}
          </Flex>
        </div>
      )}
    </div>
  );
}
