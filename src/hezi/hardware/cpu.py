"""The CPU: model, sockets, cores, threads and the instruction sets llama.cpp's kernels care about."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# /proc/cpuinfo flag → the name people know it by. AMX and AVX-512 matter for llama.cpp's CPU kernels.
_FEATURES = {
    "avx": "AVX",
    "avx2": "AVX2",
    "fma": "FMA",
    "f16c": "F16C",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "avx_vnni": "AVX-VNNI",
    "amx_tile": "AMX",
    "amx_int8": "AMX-INT8",
    "amx_bf16": "AMX-BF16",
    "asimd": "NEON",
    "asimddp": "NEON dot product",
    "sve": "SVE",
    "i8mm": "I8MM",
}


@dataclass
class CpuInfo:
    model: str
    architecture: str
    sockets: int
    cores: int
    threads: int
    usable_threads: int  # what this process may run on (cgroups and affinity included)
    features: list[str] = field(default_factory=list)


def read_cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuInfo:
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    model = ""
    sockets: set[str] = set()
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model", "Hardware") and not model:
            model = value.strip()
        elif key == "physical id":
            sockets.add(value.strip())
        elif key in ("flags", "Features"):
            flags.update(value.split())
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return CpuInfo(
        model=model or platform.processor() or "unknown",
        architecture=platform.machine(),
        sockets=max(1, len(sockets)),
        cores=psutil.cpu_count(logical=False) or usable,
        threads=psutil.cpu_count(logical=True) or usable,
        usable_threads=usable,
        features=[name for flag, name in _FEATURES.items() if flag in flags],
    )
