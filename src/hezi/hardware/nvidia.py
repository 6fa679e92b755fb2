"""NVIDIA GPUs through NVML (nvidia-ml-py). No driver or no GPU means an empty list, never an error."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class GpuInfo:
    index: int
    vendor: str
    name: str
    uuid: str
    memory_total: int
    memory_used: int
    utilization_percent: float | None
    temperature_c: float | None
    power_w: float | None
    power_limit_w: float | None
    driver_version: str
    cuda_version: str
    # pid → bytes of GPU memory, for every process using the GPU (hezi's workers among them).
    processes: dict[int, int] = field(default_factory=dict)

    @property
    def memory_free(self) -> int:
        return max(0, self.memory_total - self.memory_used)


class Nvml:
    """A handle on NVML, initialised once; `available` is False where there is no NVIDIA driver."""

    def __init__(self) -> None:
        self.available = False
        self._nv: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception as exc:  # no library, no driver, no device: all mean "no NVIDIA GPU here"
            log.debug("NVML not available: %s", exc)
            return
        self._nv = pynvml
        self.available = True

    def close(self) -> None:
        if self.available:
            try:
                self._nv.nvmlShutdown()
            finally:
                self.available = False

    def gpus(self) -> list[GpuInfo]:
        if not self.available:
            return []
        nv = self._nv
        driver = _text(_try(nv.nvmlSystemGetDriverVersion)) or ""
        cuda = _try(nv.nvmlSystemGetCudaDriverVersion)
        cuda_version = f"{cuda // 1000}.{cuda % 1000 // 10}" if isinstance(cuda, int) else ""
        out = []
        for i in range(nv.nvmlDeviceGetCount()):
            h = nv.nvmlDeviceGetHandleByIndex(i)
            # v2 reports driver-reserved memory apart from "used", as nvidia-smi does (an idle H200 shows 0, not
            # ~600 MiB); older drivers only have v1. Free is the same either way.
            mem = _try(nv.nvmlDeviceGetMemoryInfo, h, nv.nvmlMemory_v2) or nv.nvmlDeviceGetMemoryInfo(h)
            util = _try(nv.nvmlDeviceGetUtilizationRates, h)
            temp = _try(nv.nvmlDeviceGetTemperature, h, nv.NVML_TEMPERATURE_GPU)
            power = _try(nv.nvmlDeviceGetPowerUsage, h)
            limit = _try(nv.nvmlDeviceGetEnforcedPowerLimit, h)
            procs = _try(nv.nvmlDeviceGetComputeRunningProcesses, h) or []
            out.append(
                GpuInfo(
                    index=i,
                    vendor="NVIDIA",
                    name=_text(nv.nvmlDeviceGetName(h)),
                    uuid=_text(nv.nvmlDeviceGetUUID(h)),
                    memory_total=int(mem.total),
                    memory_used=int(mem.used),
                    utilization_percent=float(util.gpu) if util is not None else None,
                    temperature_c=float(temp) if temp is not None else None,
                    power_w=power / 1000 if power is not None else None,
                    power_limit_w=limit / 1000 if limit is not None else None,
                    driver_version=driver,
                    cuda_version=cuda_version,
                    processes={int(p.pid): int(p.usedGpuMemory or 0) for p in procs},
                )
            )
        return out


def _try(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # NVML raises NVMLError_NotSupported for readings a card or VM does not offer
        return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
