"""A snapshot of the box: CPU, memory, the data directory's disk, GPUs and NPUs."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from hezi.hardware.ascend import NpuInfo, read_npus
from hezi.hardware.cpu import CpuInfo, read_cpu
from hezi.hardware.nvidia import GpuInfo, Nvml


@dataclass
class MemoryInfo:
    total: int
    available: int
    used: int
    swap_total: int
    swap_used: int


@dataclass
class DiskInfo:
    path: str
    total: int
    used: int
    free: int


@dataclass
class Inventory:
    cpu: CpuInfo
    memory: MemoryInfo
    disk: DiskInfo
    gpus: list[GpuInfo] = field(default_factory=list)
    npus: list[NpuInfo] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_memory() -> MemoryInfo:
    vm = psutil.virtual_memory()
    sw = psutil.swap_memory()
    return MemoryInfo(total=vm.total, available=vm.available, used=vm.total - vm.available,
                      swap_total=sw.total, swap_used=sw.used)  # fmt: skip


def read_disk(path: Path) -> DiskInfo:
    probe = path
    while not probe.exists() and probe != probe.parent:  # the data dir may not exist yet
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    return DiskInfo(path=str(path), total=usage.total, used=usage.used, free=usage.free)


class Prober:
    """Reads the hardware; the CPU and NPU lists are read once, the rest on every call."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.nvml = Nvml()
        self._cpu = read_cpu()
        self._npus = read_npus()

    def inventory(self) -> Inventory:
        return Inventory(cpu=self._cpu, memory=read_memory(), disk=read_disk(self.data_dir), gpus=self.nvml.gpus(),
                         npus=self._npus)  # fmt: skip

    def close(self) -> None:
        self.nvml.close()
