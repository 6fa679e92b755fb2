import { currentLanguage } from "../i18n";

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(currentLanguage(), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

/** 1536 → "1.50 KiB", 91_234_567 → "87.0 MiB": binary units, named as the server's messages name them. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A parameter count the way model cards write it: 134_515_008 → "135M", 7_241_732_096 → "7.2B". */
export function formatParams(count: number): string {
  if (count <= 0) return "—";
  const steps: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, suffix] of steps) {
    if (count >= size) {
      const value = count / size;
      const digits = value < 10 && !Number.isInteger(Math.round(value * 10) / 10) ? 1 : 0;
      return `${value.toFixed(digits)}${suffix}`;
    }
  }
  return String(count);
}

/** 42.345 → "42.3%"; null (a reading the device does not offer) → "—". */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? "—" : `${value.toFixed(digits)}%`;
}

export function formatNumber(n: number): string {
  return n.toLocaleString(currentLanguage());
}

/** Seconds as "45s", "12m 3s", "5h 2m", "3d 4h". */
export function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
