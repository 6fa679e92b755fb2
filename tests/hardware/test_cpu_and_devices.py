"""Reading the CPU, Ascend NPUs and NVIDIA GPUs — and absent hardware is reported as absent, never as an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from hezi.hardware.ascend import parse_npu_smi, read_npus
from hezi.hardware.cpu import read_cpu
from hezi.hardware.nvidia import Nvml

ARM_CPUINFO = """processor	: 0
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 asimdhp asimddp sve i8mm
CPU implementer	: 0x41

processor	: 1
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 asimdhp asimddp sve i8mm
"""

NPU_SMI = """+------------------------------------------------------------------------------------------------+
| npu-smi 23.0.0                   Version: 23.0.0                                               |
+---------------------------+---------------+----------------------------------------------------+
| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|
| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |
+===========================+===============+====================================================+
| 0     910B3               | OK            | 93.4        43                0    / 0             |
| 0                         | 0000:C1:00.0  | 0           0    / 0          3161 / 65536         |
+===========================+===============+====================================================+
| 1     910B3               | Warning       | 90.1        41                0    / 0             |
| 0                         | 0000:C2:00.0  | 12          0    / 0          4000 / 65536         |
+===========================+===============+====================================================+
"""


def test_this_machines_cpu() -> None:
    cpu = read_cpu()
    assert cpu.model and cpu.threads >= cpu.cores >= 1 and cpu.usable_threads >= 1 and cpu.sockets >= 1
    flags = Path("/proc/cpuinfo").read_text()
    assert ("AVX2" in cpu.features) == (" avx2" in flags)
    assert ("AMX" in cpu.features) == (" amx_tile" in flags)


def test_arm_features_are_named(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(ARM_CPUINFO)
    cpu = read_cpu(info)
    assert {"NEON", "NEON dot product", "SVE", "I8MM"} <= set(cpu.features)
    assert "AVX2" not in cpu.features


def test_ascend_npus_are_read_from_npu_smi() -> None:
    npus = parse_npu_smi(NPU_SMI)
    assert [(n.index, n.name, n.health) for n in npus] == [(0, "Ascend 910B3", "OK"), (1, "Ascend 910B3", "Warning")]
    assert npus[0].memory_total == 65536 * 2**20 and npus[0].memory_used == 3161 * 2**20


def test_no_npu_tool_means_no_npus() -> None:
    assert read_npus(tool="npu-smi-that-is-not-installed") == []


def test_no_nvidia_driver_means_no_gpus() -> None:
    nvml = Nvml()
    if nvml.available:
        pytest.skip("this machine has an NVIDIA GPU driver; tests/hardware/test_gpu.py covers it")
    assert nvml.gpus() == []
    nvml.close()
