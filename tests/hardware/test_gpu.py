"""NVML readings on a machine with an NVIDIA GPU (skipped cleanly elsewhere, as in CI)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hezi.hardware.nvidia import Nvml

nvml = Nvml()
pytestmark = pytest.mark.skipif(not nvml.available or shutil.which("nvidia-smi") is None, reason="no NVIDIA GPU")


def test_nvml_matches_nvidia_smi() -> None:
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=index,name,memory.total,driver_version", "--format=csv,noheader,nounits"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    smi = [line.split(", ") for line in out.strip().splitlines()]
    gpus = nvml.gpus()
    assert len(gpus) == len(smi)
    for g, (index, name, total_mib, driver) in zip(gpus, smi, strict=True):
        assert g.index == int(index) and g.name == name and g.driver_version == driver
        assert abs(g.memory_total / 2**20 - int(total_mib)) <= 1
        assert 0 <= g.memory_used <= g.memory_total and g.cuda_version
