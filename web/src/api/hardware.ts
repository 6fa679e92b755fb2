import type { Schemas } from "./client";

/*
 * The hardware endpoints and the inner parts of FitCheck are plain JSON objects in the API schema
 * (the server returns dicts), so their shapes are written out here, after src/hezi/hardware/.
 */

export interface CpuInfo {
  model: string;
  architecture: string;
  sockets: number;
  cores: number;
  threads: number;
  usable_threads: number;
  features: string[];
}

export interface MemoryInfo {
  total: number;
  available: number;
  used: number;
  swap_total: number;
  swap_used: number;
}

export interface DiskInfo {
  path: string;
  total: number;
  used: number;
  free: number;
}

export interface GpuInfo {
  index: number;
  vendor: string;
  name: string;
  uuid: string;
  memory_total: number;
  memory_used: number;
  utilization_percent: number | null;
  temperature_c: number | null;
  power_w: number | null;
  power_limit_w: number | null;
  driver_version: string;
  cuda_version: string;
  processes: Record<string, number>;
}

export interface NpuInfo {
  index: number;
  vendor: string;
  name: string;
  health: string;
  memory_total: number | null;
  memory_used: number | null;
}

export interface Inventory {
  cpu: CpuInfo;
  memory: MemoryInfo;
  disk: DiskInfo;
  gpus: GpuInfo[];
  npus: NpuInfo[];
}

/** One GPU in a sample. */
export interface GpuPoint {
  index: number;
  name: string;
  utilization_percent: number | null;
  memory_used: number;
  memory_total: number;
  temperature_c: number | null;
  power_w: number | null;
}

/** One running model worker process in a sample. */
export interface InstancePoint {
  model: string;
  instance: number;
  pid: number;
  memory: number;
  gpu_memory: number;
  cpu_percent: number;
}

export interface LatestSample {
  at: string;
  cpu_percent: number;
  memory: MemoryInfo;
  disk: DiskInfo;
  gpus: GpuPoint[];
  instances: InstancePoint[];
}

/** GET /api/hardware */
export interface Hardware {
  inventory: Inventory;
  latest: LatestSample;
}

export interface HistoryPoint {
  at: string;
  cpu_percent: number;
  memory_used: number;
  memory_total: number;
  disk_used: number;
  disk_total: number;
  gpus: GpuPoint[] | null;
  instances: InstancePoint[] | null;
}

/** GET /api/hardware/history */
export interface HardwareHistory {
  minutes: number;
  points: HistoryPoint[];
}

/** Where hezi would run a deployment, and why. */
export interface Placement {
  device: string; // "cpu" or "cuda:N"
  gpu_layers: number;
  threads: number;
  reason: string; // English, for logs; the UI translates `code`
  code: "no_gpu" | "embedding_cpu" | "all_layers" | "some_layers" | "no_layer_fits" | "";
  gpu_name: string | null;
  layers_total: number | null;
}

/** The memory a deployment needs on one device, against what is free there. */
export interface DeviceFit {
  device: string;
  weights: number;
  kv_cache: number;
  compute: number;
  overhead: number;
  /** Of kv_cache, what the pinned prefixes' sequences reserve (a context each); 0 without any. */
  pinned_kv?: number;
  needed: number;
  free: number | null;
  total: number | null;
  fits: boolean;
}

/** Settings that would fit instead. */
export interface FitSuggestion {
  context_size: number;
  parallel: number;
  gpu_layers: number;
  /** Present when the suggestion changes them: 0 reads "would fit without pinned prefixes". */
  pinned_prefixes?: number;
}

/** GET /api/models/{id}/fit, and the details of a 409 model_does_not_fit. */
export interface FitCheck extends Omit<Schemas["FitCheck"], "placement" | "devices" | "suggestions"> {
  placement: Placement;
  devices: DeviceFit[];
  suggestions: FitSuggestion[];
}

export function asFitCheck(value: Schemas["FitCheck"]): FitCheck {
  return value as unknown as FitCheck;
}

/** Whether a 409's details look like a FitCheck (they do for model_does_not_fit). */
export function isFitCheck(value: unknown): value is FitCheck {
  const v = value as Partial<FitCheck> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.devices) && Array.isArray(v.suggestions);
}
