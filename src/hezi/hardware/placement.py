"""Where a deployment runs: which GPU and how many layers to offload, or the CPU with how many threads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from hezi.hardware.fit import SAFETY, DeviceNeed, FitReport, FitRequest, ModelShape, estimate
from hezi.hardware.inventory import Inventory

CONTEXT_STEPS = (131072, 65536, 32768, 16384, 8192, 4096, 2048, 1024, 512)


@dataclass
class Placement:
    device: str  # "cpu" or "cuda:N"
    gpu_layers: int
    threads: int
    reason: str  # for people, in English
    # For translation: no_gpu | embedding_cpu | all_layers | some_layers | no_layer_fits, with the GPU's name.
    code: str = ""
    gpu_name: str | None = None
    layers_total: int | None = None  # some_layers: out of how many

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _with_free(
    needs: list[DeviceNeed], inv: Inventory, *, own_bytes: int = 0, budget: int | None = None
) -> list[DeviceNeed]:
    """Attach each device's free memory. `own_bytes`: what the deployment being replaced holds now;
    `budget`: the most system memory deployments may count on."""
    for need in needs:
        if need.device == "cpu":
            free = inv.memory.available + own_bytes
            need.free, need.total = (free if budget is None else min(free, budget)), inv.memory.total
        else:
            gpu = inv.gpus[int(need.device.split(":")[1])]
            need.free, need.total = gpu.memory_free, gpu.memory_total
    return needs


def cpu_threads(inv: Inventory) -> int:
    """llama.cpp runs best with one thread per physical core it may use."""
    return max(1, min(inv.cpu.cores, inv.cpu.usable_threads))


def place(shape: ModelShape, context_size: int, parallel: int, inv: Inventory, pinned: int = 0) -> Placement:
    """The best placement: every layer on the GPU with the most free memory if it fits with a margin, else as
    many layers as fit there, else the CPU."""
    threads = cpu_threads(inv)
    if not inv.gpus or shape.kind == "embedding":
        if not inv.gpus:
            return Placement("cpu", 0, threads, "no GPU on this machine", "no_gpu")
        return Placement("cpu", 0, threads, "embedding models are small; they run on the CPU", "embedding_cpu")
    gpu = max(inv.gpus, key=lambda g: g.memory_free)
    device = f"cuda:{gpu.index}"
    budget = gpu.memory_free * (1 - SAFETY)
    for layers in range(shape.n_layer + 1, 0, -1):  # n_layer + 1: the output head too
        needs = estimate(shape, FitRequest(context_size, parallel, layers, pinned=pinned), device)
        if needs[-1].needed <= budget:
            if layers > shape.n_layer:
                return Placement(device, -1, threads, f"all layers fit on {gpu.name}", "all_layers", gpu.name)
            why = f"{layers} of {shape.n_layer} layers fit on {gpu.name}"
            return Placement(device, layers, threads, why, "some_layers", gpu.name, shape.n_layer)
    why = f"not even one layer fits in {gpu.name}'s free memory"
    return Placement("cpu", 0, threads, why, "no_layer_fits", gpu.name)


def check(
    shape: ModelShape,
    req: FitRequest,
    inv: Inventory,
    *,
    device: str | None = None,
    own_bytes: int = 0,
    budget: int | None = None,
) -> FitReport:
    """The estimate per device against its free memory, with what would fit instead when it does not.

    `own_bytes`: memory the deployment being replaced holds now; `budget`: the most system memory
    deployments may count on (HEZI_MODEL_MEMORY_BUDGET_BYTES).
    """
    gpu = device if device and device != "cpu" and req.gpu_layers != 0 else None
    if gpu is None and req.gpu_layers != 0 and inv.gpus:
        gpu = f"cuda:{max(inv.gpus, key=lambda g: g.memory_free).index}"
    if gpu is not None and int(gpu.split(":")[1]) >= len(inv.gpus):
        gpu = None  # no such GPU: everything stays on the CPU

    def measure(r: FitRequest, device: str | None) -> list[DeviceNeed]:
        return _with_free(estimate(shape, r, device), inv, own_bytes=own_bytes, budget=budget)

    def fits(r: FitRequest, device: str | None) -> bool:
        return all(d.fits for d in measure(r, device))

    report = FitReport(measure(req, gpu))
    if report.fits:
        return report
    same = {"pinned_prefixes": req.pinned} if req.pinned else {}
    for ctx in CONTEXT_STEPS:
        if ctx < req.context_size and fits(replace(req, context_size=ctx), gpu):
            report.suggestions.append(
                {"context_size": ctx, "parallel": req.parallel, "gpu_layers": req.gpu_layers, **same}
            )
            break
    for par in range(req.parallel - 1, 0, -1):
        if fits(replace(req, parallel=par), gpu):
            report.suggestions.append(
                {"context_size": req.context_size, "parallel": par, "gpu_layers": req.gpu_layers, **same}
            )
            break
    if req.pinned and fits(replace(req, pinned=0), gpu):
        report.suggestions.append(
            {
                "context_size": req.context_size,
                "parallel": req.parallel,
                "gpu_layers": req.gpu_layers,
                "pinned_prefixes": 0,
            }
        )
    if gpu is not None:
        start = shape.n_layer if req.gpu_layers < 0 else req.gpu_layers
        for layers in range(start - 1, -1, -1):
            if fits(replace(req, gpu_layers=layers), gpu if layers else None):
                report.suggestions.append(
                    {"context_size": req.context_size, "parallel": req.parallel, "gpu_layers": layers, **same}
                )
                break
    return report
