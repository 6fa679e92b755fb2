"""Hardware gauges for Prometheus, read from the sampler's latest sample at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hezi.hardware.sampler import HardwareSampler


class HardwareCollector(Collector):
    def __init__(self, sampler: HardwareSampler) -> None:
        self.sampler = sampler

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self.sampler.latest
        if s is None:
            return
        inv = s.inventory
        yield GaugeMetricFamily("hezi_cpu_utilization_percent", "CPU busy, all cores", value=s.cpu_percent)
        yield GaugeMetricFamily("hezi_cpu_threads", "usable CPU threads", value=inv.cpu.usable_threads)
        yield GaugeMetricFamily("hezi_memory_total_bytes", "physical memory", value=inv.memory.total)
        yield GaugeMetricFamily("hezi_memory_used_bytes", "memory in use", value=inv.memory.used)
        yield GaugeMetricFamily("hezi_memory_available_bytes", "memory available", value=inv.memory.available)
        yield GaugeMetricFamily("hezi_swap_used_bytes", "swap in use", value=inv.memory.swap_used)
        disk = GaugeMetricFamily("hezi_disk_free_bytes", "free space where hezi keeps its data", labels=["path"])
        disk.add_metric([inv.disk.path], inv.disk.free)
        yield disk
        gauges = {
            "utilization_percent": GaugeMetricFamily(
                "hezi_gpu_utilization_percent", "GPU busy", labels=["gpu", "name"]
            ),
            "memory_used": GaugeMetricFamily("hezi_gpu_memory_used_bytes", "GPU memory in use", labels=["gpu", "name"]),
            "memory_total": GaugeMetricFamily("hezi_gpu_memory_total_bytes", "GPU memory", labels=["gpu", "name"]),
            "temperature_c": GaugeMetricFamily(
                "hezi_gpu_temperature_celsius", "GPU temperature", labels=["gpu", "name"]
            ),
            "power_w": GaugeMetricFamily("hezi_gpu_power_watts", "GPU power draw", labels=["gpu", "name"]),
        }
        for g in inv.gpus:
            for attr, family in gauges.items():
                value = getattr(g, attr)
                if value is not None:
                    family.add_metric([str(g.index), g.name], float(value))
        yield from gauges.values()
        mem = GaugeMetricFamily("hezi_model_instance_memory_bytes", "resident memory of a model worker",
                                labels=["model", "instance"])  # fmt: skip
        cpu = GaugeMetricFamily("hezi_model_instance_cpu_percent", "CPU used by a model worker (100 = one core)",
                                labels=["model", "instance"])  # fmt: skip
        for i in s.instances:
            mem.add_metric([i["model"], str(i["instance"])], i["memory"])
            cpu.add_metric([i["model"], str(i["instance"])], i["cpu_percent"])
        yield mem
        yield cpu
