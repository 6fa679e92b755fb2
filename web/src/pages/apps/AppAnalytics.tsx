import { Alert, Card, Col, DatePicker, Flex, Row, Segmented, Statistic, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { lazy, Suspense, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { useAnalytics, type AnalyticsDay } from "../../api/apps";
import { errorMessage } from "../../api/errors";
import type { ChartOption } from "../../components/EChart";
import { formatNumber } from "../../components/format";
import type { AppPaneProps } from "./types";

// ECharts is large: fetched when analytics are first opened (bundled, never from a CDN).
const EChart = lazy(() => import("../../components/EChart"));

const METRICS = ["conversations", "messages", "end_users", "tokens", "mean_latency_ms", "satisfaction"] as const;
type Metric = (typeof METRICS)[number];
const COLORS: Record<Metric, string> = {
  conversations: "#1677ff",
  messages: "#13c2c2",
  end_users: "#722ed1",
  tokens: "#fa8c16",
  mean_latency_ms: "#eb2f96",
  satisfaction: "#52c41a",
};
const PRESETS = [7, 30, 90] as const;

function value(day: AnalyticsDay, metric: Metric): number | null {
  const v = day[metric];
  if (v === null || v === undefined) return null;
  return metric === "satisfaction" ? Math.round(v * 1000) / 10 : v;
}

function shown(metric: Metric, v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (metric === "satisfaction") return `${(v * 100).toFixed(1)}%`;
  if (metric === "mean_latency_ms") return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
  return formatNumber(v);
}

/** Use per day: six charts over a range of days (in the viewer's time zone), and the range's totals. */
export function AppAnalytics({ workspace, app }: AppPaneProps) {
  const { t } = useTranslation();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [dayjs().subtract(6, "day"), dayjs()]);
  const params = { start: range[0].format("YYYY-MM-DD"), end: range[1].format("YYYY-MM-DD") };
  const stats = useAnalytics(workspace.id, app.id, params);
  const days = stats.data?.days ?? [];
  const preset = PRESETS.find((n) => range[1].isSame(dayjs(), "day") && range[1].diff(range[0], "day") === n - 1);

  const options = useMemo(() => {
    const dates = days.map((d) => d.date.slice(5));
    return Object.fromEntries(
      METRICS.map((m) => [
        m,
        {
          animation: false, // drawn whole: a chart caught mid-animation shows a day that is not there
          grid: { left: 48, right: 16, top: 16, bottom: 28 },
          tooltip: { trigger: "axis" },
          xAxis: { type: "category", data: dates, boundaryGap: false },
          yAxis: { type: "value", minInterval: m === "satisfaction" || m === "mean_latency_ms" ? undefined : 1, max: m === "satisfaction" ? 100 : undefined },
          series: [{ type: "line", name: t(`apps.analytics.${m}`), data: days.map((d) => value(d, m)), smooth: false, showSymbol: days.length <= 31, connectNulls: false, itemStyle: { color: COLORS[m] }, areaStyle: { opacity: 0.08 } }],
        } as ChartOption,
      ]),
    ) as Record<Metric, ChartOption>;
  }, [days, t]);

  return (
    <Flex vertical gap={16}>
      <Flex gap={12} wrap align="center">
        <Segmented<number | "custom">
          value={preset ?? "custom"}
          onChange={(n) => typeof n === "number" && setRange([dayjs().subtract(n - 1, "day"), dayjs()])}
          options={[...PRESETS.map((n) => ({ value: n, label: t("apps.analytics.lastDays", { count: n }) })), { value: "custom", label: t("apps.analytics.custom"), disabled: true }]}
          data-testid="analytics-preset"
        />
        <DatePicker.RangePicker
          value={range}
          allowClear={false}
          disabledDate={(d) => d.isAfter(dayjs(), "day")}
          onChange={(v) => v && v[0] && v[1] && setRange([v[0], v[1]])}
          data-testid="analytics-range"
        />
        <Typography.Text type="secondary">{t("apps.analytics.tz", { tz: stats.data?.tz ?? "" })}</Typography.Text>
      </Flex>
      {stats.isError && <Alert type="error" showIcon title={errorMessage(stats.error, t)} />}
      <Row gutter={[16, 16]}>
        {METRICS.map((m) => (
          <Col xs={12} md={8} xl={4} key={m}>
            <Card size="small" loading={stats.isPending}>
              <Statistic title={t(`apps.analytics.${m}`)} value={shown(m, stats.data?.totals[m])} data-testid={`analytics-total-${m}`} />
            </Card>
          </Col>
        ))}
      </Row>
      <Row gutter={[16, 16]}>
        {METRICS.map((m) => (
          <Col xs={24} lg={12} key={m}>
            <Card size="small" title={t(`apps.analytics.${m}`)} extra={<Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`apps.analytics.hints.${m}`)}</Typography.Text>}>
              <Suspense fallback={<div style={{ height: 220 }} />}>
                <EChart option={options[m]} height={220} testId={`analytics-chart-${m}`} />
              </Suspense>
            </Card>
          </Col>
        ))}
      </Row>
    </Flex>
  );
}
