"""Huawei Ascend NPUs: reported read-only when their management tool (npu-smi) is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass


@dataclass
class NpuInfo:
    index: int
    vendor: str
    name: str
    health: str
    memory_total: int | None
    memory_used: int | None


# A device line of `npu-smi info`: "| 0     910B3     | OK            | 93.4        43                0    / 0   |"
_DEVICE = re.compile(r"^\|\s*(\d+)\s+(\S+)\s*\|\s*(\w+)\s*\|")
_MEMORY = re.compile(r"(\d+)\s*/\s*(\d+)\s*\|?\s*$")


def read_npus(tool: str = "npu-smi", timeout: float = 5.0) -> list[NpuInfo]:
    """Ascend NPUs per `npu-smi info`; absent tool or failure means none (hezi does not manage them yet)."""
    path = shutil.which(tool)
    if path is None:
        return []
    try:
        out = subprocess.run([path, "info"], capture_output=True, text=True, timeout=timeout, check=False).stdout  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_npu_smi(out)


def parse_npu_smi(text: str) -> list[NpuInfo]:
    npus: list[NpuInfo] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _DEVICE.match(line)
        if not m:
            continue
        total = used = None
        if i + 1 < len(lines) and (mm := _MEMORY.search(lines[i + 1])):
            used, total = int(mm.group(1)) * 2**20, int(mm.group(2)) * 2**20
        npus.append(NpuInfo(int(m.group(1)), "Huawei", f"Ascend {m.group(2)}", m.group(3), total, used))
    return npus
