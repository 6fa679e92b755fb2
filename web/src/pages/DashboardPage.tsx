import { ClusterOutlined, DatabaseOutlined, HddOutlined, ThunderboltOutlined } from "@ant-design/icons";
import {
  Alert,
  Badge,
  Card,
  Col,
  Empty,
  Flex,
  Progress,
  Row,
  Segmented,
  Skeleton,
  Statistic,
  Table,
  Tag,
  Tooltip,
  Typography,
  theme,
} from "antd";
import type { TFunction } from "i18next";
import { lazy, Suspense, useMemo, useState, type HTMLAttributes, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { ModelPublic } from "../api/client";
import { errorMessage } from "../api/errors";
import type { GpuPoint, Hardware, HistoryPoint, InstancePoint, NpuInfo } from "../api/hardware";
import { HARDWARE_REFRESH_MS, useHardware, useHardwareHistory, useModels } from "../api/queries";
import type { ChartOption } from "../components/EChart";
import { formatBytes, formatDateTime, formatPercent } from "../components/format";
import { PageHeader } from "../components/PageHeader";
import { formatUptime } from "../components/format";
import { currentLanguage } from "../i18n";
import { InstanceStatusTag, instancesOf } from "./models/modelStatus";

// ECharts is only needed here: it loads with the dashboard, not with the rest of the console.
const EChart = lazy(() => import("../components/EChart"));

const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const GiB = 2 ** 30;
const SPANS = [15, 60, 360, 1440] as const;
type Span = (typeof SPANS)[number];
const SPAN_KEYS = { 15: "m15", 60: "h1", 360: "h6", 1440: "h24" } as const satisfies Record<Span, string>;

const COLORS = {
  cpu: "#1677ff",
  memory: "#722ed1",
  gpus: ["#13c2c2", "#fa8c16", "#eb2f96", "#52c41a", "#2f54eb", "#faad14", "#a0d911", "#f5222d"],
};

/** Instruction sets llama.cpp's CPU kernels use, in the colour of how much they speed it up. */
const FEATURE_COLORS: Record<string, string> = {
  AMX: "purple",
  "AVX-512": "geekblue",
  AVX2: "blue",
  NEON: "cyan",
  SVE: "cyan",
};

function percentOf(used: number, total: number): number {
  return total > 0 ? Math.round((used / total) * 1000) / 10 : 0;
}

/** green → orange → red as a resource fills up. */
function loadColor(percent: number): string {
  return percent >= 90 ? "#ff4d4f" : percent >= 75 ? "#faad14" : "#1677ff";
}

function timeLabel(ms: number, seconds = false): string {
  return new Date(ms).toLocaleTimeString(currentLanguage(), {
    hour: "2-digit",
    minute: "2-digit",
    ...(seconds ? { second: "2-digit" } : {}),
    hour12: false,
  });
}

interface Series {
  /** Stable across refreshes, so a redraw updates the series instead of replacing it. */
  id: string;
  name: string;
  color: string;
  data: [number, number | null][];
}

/** A time-axis line chart over the chosen span: values through `format` in axes and tooltips. */
function timeChart(series: Series[], span: Span, format: (v: number) => string, yMax?: number): ChartOption {
  const now = Date.now();
  return {
    animation: false,
    grid: { left: 8, right: 16, top: series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
    legend: series.length > 1 ? { top: 0, icon: "roundRect", itemWidth: 12, itemHeight: 8 } : undefined,
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "line" },
      formatter: (params) => {
        const items = Array.isArray(params) ? params : [params];
        const first = items[0];
        const at = first && Array.isArray(first.value) ? Number(first.value[0]) : now;
        const rows = items.map((p) => {
          const value = Array.isArray(p.value) ? p.value[1] : null;
          const shown = typeof value === "number" ? format(value) : "—";
          return `<div style="display:flex;justify-content:space-between;gap:16px">${String(p.marker)}<span style="flex:1">${p.seriesName ?? ""}</span><b>${shown}</b></div>`;
        });
        return `<div style="margin-bottom:4px;color:#8c8c8c">${formatDateTime(new Date(at).toISOString())}</div>${rows.join("")}`;
      },
    },
    xAxis: {
      type: "time",
      min: now - span * 60_000,
      max: now,
      splitNumber: 6,
      axisLabel: { color: "#8c8c8c", hideOverlap: true, formatter: (v: number) => timeLabel(v) },
      axisLine: { lineStyle: { color: "#d9d9d9" } },
      axisTick: { show: false },
      splitLine: { show: false },
    },
    yAxis: {
      type: "value",
      min: 0,
      max: yMax,
      // Percentages in quarters; sizes in round steps, the total as the top line (named in the card's header).
      ...(yMax === 100 ? { interval: 25 } : { splitNumber: 4 }),
      axisLabel: { color: "#8c8c8c", formatter: (v: number) => format(v), showMaxLabel: yMax === 100 || yMax === undefined },
      splitLine: { lineStyle: { color: "#f0f0f0" } },
    },
    series: series.map((s) => ({
      type: "line",
      id: s.id,
      name: s.name,
      data: s.data,
      showSymbol: false,
      smooth: 0.2,
      connectNulls: false,
      lineStyle: { width: 2, color: s.color },
      itemStyle: { color: s.color },
      areaStyle: series.length === 1 ? { color: s.color, opacity: 0.12 } : undefined,
    })),
  };
}

function ChartCard({ title, extra, option, testId }: { title: ReactNode; extra?: ReactNode; option: ChartOption; testId: string }) {
  return (
    <Card size="small" title={title} extra={extra} data-testid={testId}>
      <Suspense fallback={<Skeleton active paragraph={{ rows: 5 }} style={{ height: 240 }} />}>
        <EChart option={option} height={240} testId={`${testId}-chart`} />
      </Suspense>
    </Card>
  );
}

function SummaryCard({ icon, title, testId, children }: { icon: ReactNode; title: ReactNode; testId: string; children: ReactNode }) {
  const { token } = theme.useToken();
  return (
    <Card size="small" style={{ height: "100%" }} styles={{ body: { padding: 20 } }} data-testid={testId}>
      <Flex align="center" gap={8} style={{ marginBottom: 12, color: token.colorTextSecondary }}>
        <span
          style={{
            display: "inline-flex",
            alignItems: "center",
            justifyContent: "center",
            width: 28,
            height: 28,
            borderRadius: 6,
            background: token.colorPrimaryBg,
            color: token.colorPrimary,
          }}
        >
          {icon}
        </span>
        <span>{title}</span>
      </Flex>
      {children}
    </Card>
  );
}

function Secondary({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12, display: "block" }} data-testid={testId}>
      {children}
    </Typography.Text>
  );
}

function CpuCard({ hw }: { hw: Hardware }) {
  const { t } = useTranslation();
  const cpu = hw.inventory.cpu;
  return (
    <SummaryCard icon={<ThunderboltOutlined />} title={t("dashboard.cpu.title")} testId="dash-cpu">
      <Statistic value={hw.latest.cpu_percent} precision={1} suffix="%" styles={{ content: { fontSize: 28 } }} />
      <Progress percent={hw.latest.cpu_percent} showInfo={false} size="small" strokeColor={loadColor(hw.latest.cpu_percent)} />
      <Typography.Text strong ellipsis={{ tooltip: cpu.model }} style={{ display: "block", marginTop: 4 }} data-testid="dash-cpu-model">
        {cpu.model}
      </Typography.Text>
      <Secondary>
        {t("dashboard.cpu.shape", { cores: cpu.cores, threads: cpu.threads, arch: cpu.architecture })}
        {cpu.sockets > 1 ? ` · ${t("dashboard.cpu.sockets", { count: cpu.sockets })}` : ""}
        {cpu.usable_threads < cpu.threads ? ` · ${t("dashboard.cpu.usable", { count: cpu.usable_threads })}` : ""}
      </Secondary>
      {cpu.features.length > 0 && (
        <Flex wrap gap={4} style={{ marginTop: 8 }} data-testid="dash-cpu-features">
          {cpu.features.map((f) => (
            <Tag key={f} color={FEATURE_COLORS[f] ?? "default"} style={{ marginInlineEnd: 0, fontSize: 11, lineHeight: "18px" }}>
              {f}
            </Tag>
          ))}
        </Flex>
      )}
    </SummaryCard>
  );
}

function MemoryCard({ hw }: { hw: Hardware }) {
  const { t } = useTranslation();
  const mem = hw.latest.memory;
  const pct = percentOf(mem.used, mem.total);
  return (
    <SummaryCard icon={<DatabaseOutlined />} title={t("dashboard.memory.title")} testId="dash-memory">
      <Statistic
        value={formatBytes(mem.used)}
        suffix={<span style={{ fontSize: 14, color: "#8c8c8c" }}>/ {formatBytes(mem.total)}</span>}
        styles={{ content: { fontSize: 28 } }}
      />
      <Progress percent={pct} size="small" strokeColor={loadColor(pct)} />
      <Secondary>{t("dashboard.memory.available", { value: formatBytes(mem.available) })}</Secondary>
      <Secondary>
        {mem.swap_total > 0
          ? t("dashboard.memory.swap", { used: formatBytes(mem.swap_used), total: formatBytes(mem.swap_total) })
          : t("dashboard.memory.noSwap")}
      </Secondary>
    </SummaryCard>
  );
}

function DiskCard({ hw }: { hw: Hardware }) {
  const { t } = useTranslation();
  const disk = hw.latest.disk;
  const pct = percentOf(disk.used, disk.total);
  return (
    <SummaryCard icon={<HddOutlined />} title={t("dashboard.disk.title")} testId="dash-disk">
      <Statistic
        value={formatBytes(disk.free)}
        suffix={<span style={{ fontSize: 14, color: "#8c8c8c" }}>{t("dashboard.disk.free")}</span>}
        styles={{ content: { fontSize: 28 } }}
      />
      <Progress percent={pct} size="small" strokeColor={loadColor(pct)} />
      <Secondary>{t("dashboard.disk.used", { used: formatBytes(disk.used), total: formatBytes(disk.total) })}</Secondary>
      {disk.path && (
        <Typography.Text type="secondary" ellipsis={{ tooltip: disk.path }} style={{ fontSize: 12, fontFamily: MONO, display: "block" }}>
          {disk.path}
        </Typography.Text>
      )}
    </SummaryCard>
  );
}

function AcceleratorCard({ hw }: { hw: Hardware }) {
  const { t } = useTranslation();
  const gpus = hw.inventory.gpus;
  const npus = hw.inventory.npus;
  const none = gpus.length === 0 && npus.length === 0;
  return (
    <SummaryCard icon={<ClusterOutlined />} title={t("dashboard.accelerators.title")} testId="dash-accelerators">
      {none ? (
        <>
          <Statistic value={t("dashboard.accelerators.none")} styles={{ content: { fontSize: 28, color: "#8c8c8c" } }} />
          <Secondary testId="dash-no-gpu">{t("dashboard.accelerators.noneHint")}</Secondary>
        </>
      ) : (
        <>
          <Statistic
            value={gpus.length > 0 ? gpus.length : npus.length}
            suffix={<span style={{ fontSize: 14, color: "#8c8c8c" }}>{gpus.length > 0 ? t("dashboard.accelerators.gpus") : t("dashboard.accelerators.npus")}</span>}
            styles={{ content: { fontSize: 28 } }}
          />
          <Flex vertical gap={2} style={{ marginTop: 4 }}>
            {gpus.map((g) => (
              <Typography.Text key={g.uuid || g.index} ellipsis={{ tooltip: g.name }} style={{ fontSize: 12 }}>
                <Tag style={{ fontSize: 11, lineHeight: "18px" }}>cuda:{g.index}</Tag>
                {g.name} · {formatBytes(g.memory_total)}
              </Typography.Text>
            ))}
            {gpus.length > 0 && gpus[0] && (
              <Secondary>{t("dashboard.accelerators.driver", { driver: gpus[0].driver_version || "—", cuda: gpus[0].cuda_version || "—" })}</Secondary>
            )}
            {gpus.length > 0 && npus.length > 0 && <Secondary>{t("dashboard.accelerators.npuCount", { count: npus.length })}</Secondary>}
          </Flex>
        </>
      )}
    </SummaryCard>
  );
}

/** Each GPU now: load, memory, temperature and power. */
function GpuTable({ gpus, inventory }: { gpus: GpuPoint[]; inventory: Hardware["inventory"]["gpus"] }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t("dashboard.gpus.title")} data-testid="dash-gpus">
      <Table<GpuPoint>
        size="small"
        rowKey="index"
        pagination={false}
        dataSource={gpus}
        columns={[
          { title: t("dashboard.gpus.device"), key: "device", render: (_, g) => <Tag>cuda:{g.index}</Tag>, width: 90 },
          { title: t("dashboard.gpus.name"), dataIndex: "name" },
          {
            title: t("dashboard.gpus.utilization"),
            key: "util",
            width: 180,
            render: (_, g) =>
              g.utilization_percent === null ? "—" : <Progress percent={g.utilization_percent} size="small" strokeColor={loadColor(g.utilization_percent)} />,
          },
          {
            title: t("dashboard.gpus.memory"),
            key: "mem",
            width: 240,
            render: (_, g) => {
              const pct = percentOf(g.memory_used, g.memory_total);
              return (
                <Tooltip title={`${formatBytes(g.memory_used)} / ${formatBytes(g.memory_total)}`}>
                  <Progress percent={pct} size="small" strokeColor={loadColor(pct)} format={() => formatBytes(g.memory_used)} />
                </Tooltip>
              );
            },
          },
          { title: t("dashboard.gpus.temperature"), key: "temp", width: 100, render: (_, g) => (g.temperature_c === null ? "—" : `${g.temperature_c} °C`) },
          {
            title: t("dashboard.gpus.power"),
            key: "power",
            width: 140,
            render: (_, g) => {
              const limit = inventory.find((i) => i.index === g.index)?.power_limit_w;
              if (g.power_w === null) return "—";
              return limit ? `${Math.round(g.power_w)} / ${Math.round(limit)} W` : `${Math.round(g.power_w)} W`;
            },
          },
        ]}
      />
    </Card>
  );
}

/** Ascend NPUs: listed as they are; hezi does not run models on them. */
function NpuTable({ npus }: { npus: NpuInfo[] }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t("dashboard.npus.title")} extra={<Tag>{t("dashboard.npus.readOnly")}</Tag>} data-testid="dash-npus">
      <Table<NpuInfo>
        size="small"
        rowKey="index"
        pagination={false}
        dataSource={npus}
        columns={[
          { title: "#", dataIndex: "index", width: 60 },
          { title: t("dashboard.gpus.name"), key: "name", render: (_, n) => `${n.vendor} ${n.name}`.trim() },
          { title: t("dashboard.npus.health"), dataIndex: "health", render: (h: string) => <Tag color={h === "OK" ? "success" : "warning"}>{h}</Tag> },
          {
            title: t("dashboard.gpus.memory"),
            key: "mem",
            render: (_, n) => (n.memory_total ? `${formatBytes(n.memory_used ?? 0)} / ${formatBytes(n.memory_total)}` : "—"),
          },
        ]}
      />
    </Card>
  );
}

interface InstanceRow {
  key: string;
  model: string;
  index: number;
  status: string | null;
  pid: number | null;
  uptime: number | null;
  usage: InstancePoint | null;
}

/** Every replica of every running deployment, with what its process uses now. */
function instanceRows(models: ModelPublic[] | undefined, usage: InstancePoint[]): InstanceRow[] {
  const rows: InstanceRow[] = [];
  const seen = new Set<string>();
  for (const m of models ?? []) {
    if (!m.deployment || m.deployment.desired !== "running") continue;
    for (const inst of instancesOf(m.deployment)) {
      const key = `${m.name}#${inst.index}`;
      const used = usage.find((u) => u.model === m.name && u.instance === inst.index) ?? null;
      seen.add(key);
      rows.push({
        key,
        model: m.name,
        index: inst.index,
        status: inst.status,
        pid: inst.pid ?? used?.pid ?? null,
        uptime: inst.uptime_s,
        usage: used,
      });
    }
  }
  for (const u of usage) {
    const key = `${u.model}#${u.instance}`;
    if (!seen.has(key)) rows.push({ key, model: u.model, index: u.instance, status: null, pid: u.pid, uptime: null, usage: u });
  }
  return rows.sort((a, b) => a.model.localeCompare(b.model) || a.index - b.index);
}

function InstancesTable({ hw, models }: { hw: Hardware; models: ModelPublic[] | undefined }) {
  const { t } = useTranslation();
  const rows = instanceRows(models, hw.latest.instances);
  const hasGpu = hw.inventory.gpus.length > 0;
  return (
    <Card size="small" title={t("dashboard.instances.title")} data-testid="dash-instances">
      <Table<InstanceRow>
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        scroll={{ x: "max-content" }}
        locale={{
          emptyText: (
            <Empty
              image={Empty.PRESENTED_IMAGE_SIMPLE}
              description={
                <>
                  {t("dashboard.instances.empty")} <Link to="/models">{t("dashboard.instances.goToModels")}</Link>
                </>
              }
            />
          ),
        }}
        onRow={(r) => ({ "data-testid": `dash-instance-${r.model}-${r.index}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t("dashboard.instances.model"),
            dataIndex: "model",
            render: (name: string) => <Typography.Text style={{ fontFamily: MONO }}>{name}</Typography.Text>,
          },
          { title: t("models.instance.index"), dataIndex: "index", width: 90, render: (i: number) => `#${i}` },
          {
            title: t("common.status"),
            dataIndex: "status",
            width: 120,
            render: (s: string | null) => (s ? <InstanceStatusTag status={s} /> : "—"),
          },
          { title: "PID", dataIndex: "pid", width: 100, render: (pid: number | null) => pid ?? "—" },
          {
            title: t("models.instance.uptime"),
            dataIndex: "uptime",
            width: 120,
            render: (s: number | null) => (s === null ? "—" : formatUptime(s)),
          },
          {
            title: t("dashboard.instances.memory"),
            key: "memory",
            align: "right",
            width: 130,
            render: (_, r) => (r.usage ? formatBytes(r.usage.memory) : "—"),
          },
          ...(hasGpu
            ? [
                {
                  title: t("dashboard.instances.gpuMemory"),
                  key: "gpu",
                  align: "right" as const,
                  width: 130,
                  render: (_: unknown, r: InstanceRow) => (r.usage && r.usage.gpu_memory > 0 ? formatBytes(r.usage.gpu_memory) : "—"),
                },
              ]
            : []),
          {
            title: t("dashboard.instances.cpu"),
            key: "cpu",
            align: "right",
            width: 110,
            render: (_, r) => (r.usage ? formatPercent(r.usage.cpu_percent) : "—"),
          },
        ]}
      />
    </Card>
  );
}

interface Charts {
  cpu: ChartOption;
  memory: ChartOption;
  gpuUtil: ChartOption | null;
  gpuMemory: ChartOption | null;
}

const gib = (bytes: number) => Math.round((bytes / GiB) * 100) / 100;
const gibLabel = (v: number) => `${Number(v.toFixed(v < 10 ? 1 : 0))} GiB`;
const pctLabel = (v: number) => `${Number(v.toFixed(1))}%`;

function buildCharts(points: HistoryPoint[], hw: Hardware, span: Span, t: TFunction): Charts {
  const latestAt = Date.parse(hw.latest.at);
  const last = points[points.length - 1];
  // The newest sample may be a few seconds ahead of the history's last bucket: draw it too.
  const all: HistoryPoint[] =
    !last || Date.parse(last.at) < latestAt
      ? [
          ...points,
          {
            at: hw.latest.at,
            cpu_percent: hw.latest.cpu_percent,
            memory_used: hw.latest.memory.used,
            memory_total: hw.latest.memory.total,
            disk_used: hw.latest.disk.used,
            disk_total: hw.latest.disk.total,
            gpus: hw.latest.gpus,
            instances: hw.latest.instances,
          },
        ]
      : points;
  const at = all.map((p) => Date.parse(p.at));
  const cpu = timeChart(
    [{ id: "cpu", name: t("dashboard.charts.cpuSeries"), color: COLORS.cpu, data: all.map((p, i) => [at[i]!, p.cpu_percent]) }],
    span,
    pctLabel,
    100,
  );
  const memory = timeChart(
    [{ id: "memory", name: t("dashboard.charts.memorySeries"), color: COLORS.memory, data: all.map((p, i) => [at[i]!, gib(p.memory_used)]) }],
    span,
    gibLabel,
    gib(hw.latest.memory.total),
  );
  const gpus = hw.inventory.gpus;
  if (gpus.length === 0) return { cpu, memory, gpuUtil: null, gpuMemory: null };
  const gpuOf = (p: HistoryPoint, index: number) => p.gpus?.find((g) => g.index === index);
  const name = (index: number, gpuName: string) => (gpus.length > 1 ? `cuda:${index} ${gpuName}` : gpuName);
  const gpuUtil = timeChart(
    gpus.map((g, n) => ({
      id: `gpu-${g.index}`,
      name: name(g.index, g.name),
      color: COLORS.gpus[n % COLORS.gpus.length]!,
      data: all.map((p, i): [number, number | null] => [at[i]!, gpuOf(p, g.index)?.utilization_percent ?? null]),
    })),
    span,
    pctLabel,
    100,
  );
  const gpuMemory = timeChart(
    gpus.map((g, n) => ({
      id: `gpu-${g.index}`,
      name: name(g.index, g.name),
      color: COLORS.gpus[n % COLORS.gpus.length]!,
      data: all.map((p, i): [number, number | null] => {
        const point = gpuOf(p, g.index);
        return [at[i]!, point ? gib(point.memory_used) : null];
      }),
    })),
    span,
    gibLabel,
    Math.max(...gpus.map((g) => gib(g.memory_total))),
  );
  return { cpu, memory, gpuUtil, gpuMemory };
}

/** The box at a glance: what it has, how loaded it is, over time, and the model workers running on it. */
export function DashboardPage() {
  const { t, i18n } = useTranslation();
  const [span, setSpan] = useState<Span>(60);
  const hardware = useHardware();
  const history = useHardwareHistory(span);
  const models = useModels(HARDWARE_REFRESH_MS);
  const hw = hardware.data;
  const points = history.data?.points;

  // Rebuilt when new data arrives or the language changes (axis labels and series names).
  const charts = useMemo(
    () => (hw ? buildCharts(points ?? [], hw, span, t) : null),
    [hw, points, span, t, i18n.language],
  );

  const header = (
    <PageHeader
      title={t("nav.dashboard")}
      description={t("dashboard.description")}
      extra={
        <Flex align="center" gap={16} wrap>
          {hw && (
            <Tooltip title={t("dashboard.refreshHint", { seconds: HARDWARE_REFRESH_MS / 1000 })}>
              <span data-testid="dash-updated">
                <Badge status="processing" text={t("dashboard.updated", { time: timeLabel(Date.parse(hw.latest.at), true) })} />
              </span>
            </Tooltip>
          )}
          <Segmented<Span>
            value={span}
            onChange={setSpan}
            options={SPANS.map((w) => ({
              value: w,
              label: <span data-testid={`dash-span-${SPAN_KEYS[w]}`}>{t(`dashboard.span.${SPAN_KEYS[w]}`)}</span>,
            }))}
          />
        </Flex>
      }
    />
  );

  if (hardware.isError && !hw) {
    return (
      <>
        {header}
        <Alert type="error" showIcon title={errorMessage(hardware.error, t)} data-testid="dash-error" />
      </>
    );
  }
  if (!hw || !charts) {
    return (
      <>
        {header}
        <Card>
          <Skeleton active paragraph={{ rows: 8 }} />
        </Card>
      </>
    );
  }

  const cpuNow = formatPercent(hw.latest.cpu_percent);
  const memNow = `${formatBytes(hw.latest.memory.used)} / ${formatBytes(hw.latest.memory.total)}`;
  const gpus = hw.latest.gpus;

  return (
    <div data-testid="dashboard">
      {header}
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} xl={6}>
          <CpuCard hw={hw} />
        </Col>
        <Col xs={24} sm={12} xl={6}>
          <MemoryCard hw={hw} />
        </Col>
        <Col xs={24} sm={12} xl={6}>
          <DiskCard hw={hw} />
        </Col>
        <Col xs={24} sm={12} xl={6}>
          <AcceleratorCard hw={hw} />
        </Col>

        {history.isError && (
          <Col span={24}>
            <Alert type="warning" showIcon title={errorMessage(history.error, t)} />
          </Col>
        )}
        <Col xs={24} xl={12}>
          <ChartCard
            title={t("dashboard.charts.cpu")}
            extra={<Typography.Text type="secondary">{t("dashboard.charts.now", { value: cpuNow })}</Typography.Text>}
            option={charts.cpu}
            testId="dash-chart-cpu"
          />
        </Col>
        <Col xs={24} xl={12}>
          <ChartCard
            title={t("dashboard.charts.memory")}
            extra={<Typography.Text type="secondary">{t("dashboard.charts.now", { value: memNow })}</Typography.Text>}
            option={charts.memory}
            testId="dash-chart-memory"
          />
        </Col>
        {charts.gpuUtil && charts.gpuMemory && (
          <>
            <Col xs={24} xl={12}>
              <ChartCard title={t("dashboard.charts.gpuUtil")} option={charts.gpuUtil} testId="dash-chart-gpu-util" />
            </Col>
            <Col xs={24} xl={12}>
              <ChartCard title={t("dashboard.charts.gpuMemory")} option={charts.gpuMemory} testId="dash-chart-gpu-memory" />
            </Col>
            <Col span={24}>
              <GpuTable gpus={gpus} inventory={hw.inventory.gpus} />
            </Col>
          </>
        )}
        {hw.inventory.npus.length > 0 && (
          <Col span={24}>
            <NpuTable npus={hw.inventory.npus} />
          </Col>
        )}
        <Col span={24}>
          <InstancesTable hw={hw} models={models.data?.data} />
        </Col>
      </Row>
    </div>
  );
}
