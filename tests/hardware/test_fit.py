"""The memory estimate's arithmetic, and where placement puts a model with and without GPUs."""

from __future__ import annotations

from dataclasses import replace

from hezi.hardware.cpu import CpuInfo
from hezi.hardware.fit import CPU_OVERHEAD, GPU_OVERHEAD, FitRequest, ModelShape, estimate
from hezi.hardware.inventory import DiskInfo, Inventory, MemoryInfo
from hezi.hardware.nvidia import GpuInfo
from hezi.hardware.placement import check, place
from hezi.serving.bundled import smollm2_path
from hezi.serving.gguf_meta import read_gguf

GiB = 2**30
SMOL = ModelShape.from_meta(read_gguf(smollm2_path()).to_json())  # type: ignore[arg-type]


def box(mem_available: int = 16 * GiB, gpus: list[GpuInfo] | None = None) -> Inventory:
    cpu = CpuInfo("test cpu", "x86_64", 1, 8, 16, 16, ["AVX2"])
    return Inventory(cpu, MemoryInfo(32 * GiB, mem_available, 32 * GiB - mem_available, 0, 0),
                     DiskInfo("/data", 100 * GiB, 10 * GiB, 90 * GiB), gpus or [])  # fmt: skip


def gpu(index: int, free: int, total: int = 80 * GiB) -> GpuInfo:
    return GpuInfo(index, "NVIDIA", f"GPU {index}", f"uuid-{index}", total, total - free, 0.0, 40.0, 50.0, 700.0,
                   "580.00", "13.0")  # fmt: skip


def test_kv_cache_follows_the_grouped_query_formula() -> None:
    # SmolLM2-135M: 30 layers, 3 KV heads of 64 dims (9 query heads): K+V = 2 × 3 × 64 per token per layer.
    assert SMOL.n_layer == 30 and SMOL.kv_width == 384
    need = estimate(SMOL, FitRequest(context_size=2048, parallel=8))[0]
    assert need.kv_cache == 30 * 2048 * 8 * 384 * 2
    assert need.weights == sum(SMOL.layer_bytes) + SMOL.other_bytes
    assert need.overhead == CPU_OVERHEAD
    doubled = estimate(SMOL, FitRequest(context_size=4096, parallel=8))[0]
    assert doubled.kv_cache == 2 * need.kv_cache and doubled.weights == need.weights


def test_a_cpu_worker_without_flash_attention_counts_its_attention_scores() -> None:
    """A CPU worker with a cache per sequence runs without flash attention (decision 0025): a batch's scores against
    a whole context, 512 × context × 9 heads × 4 bytes, are in its compute; unified or offloaded, they are not."""
    streams = estimate(SMOL, FitRequest(2048, 4))[0].compute
    unified = estimate(SMOL, FitRequest(2048, 4, kv_unified=True))[0].compute
    assert streams - unified == 512 * 2048 * 9 * 4
    longer = estimate(SMOL, FitRequest(8192, 4))[0].compute
    assert longer - streams == 512 * (8192 - 2048) * 9 * 4
    offloaded = estimate(SMOL, FitRequest(2048, 4, 15), "cuda:0")[0].compute
    assert offloaded == unified


def test_offloading_moves_layers_and_their_cache_to_the_gpu() -> None:
    cpu_only = estimate(SMOL, FitRequest(2048, 4, 0), "cuda:0")
    assert [d.device for d in cpu_only] == ["cpu"]
    half = estimate(SMOL, FitRequest(2048, 4, 15), "cuda:0")
    assert [d.device for d in half] == ["cpu", "cuda:0"]
    assert half[1].kv_cache == half[0].kv_cache  # 15 layers each side
    assert half[1].weights == sum(SMOL.layer_bytes[15:]) and half[1].overhead == GPU_OVERHEAD
    full = estimate(SMOL, FitRequest(2048, 4, -1), "cuda:0")
    assert full[0].kv_cache == 0 and full[0].weights == SMOL.token_embd_bytes  # embeddings stay on the CPU
    # SmolLM2 ties its output head to the embeddings: the GPU gets a copy of them as the head.
    assert SMOL.head_bytes >= SMOL.token_embd_bytes
    assert full[1].weights == sum(SMOL.layer_bytes) + SMOL.head_bytes


def test_placement_without_a_gpu_uses_the_cpu_with_one_thread_per_core() -> None:
    p = place(SMOL, 2048, 8, box())
    assert (p.device, p.gpu_layers, p.threads) == ("cpu", 0, 8)
    assert "no GPU" in p.reason and p.code == "no_gpu"


def test_placement_picks_the_gpu_with_most_free_memory_and_offloads_all_that_fits() -> None:
    p = place(SMOL, 2048, 8, box(gpus=[gpu(0, 1 * GiB), gpu(1, 40 * GiB)]))
    assert (p.device, p.gpu_layers, p.code, p.gpu_name) == ("cuda:1", -1, "all_layers", "GPU 1")
    # A GPU with room for only part of the model gets as many layers as fit within the safety margin.
    need_all = estimate(SMOL, FitRequest(8192, 8, -1), "cuda:0")[1].needed
    tight = place(SMOL, 8192, 8, box(gpus=[gpu(0, int(need_all * 0.7))]))
    assert tight.device == "cuda:0" and 0 < tight.gpu_layers < SMOL.n_layer and tight.code == "some_layers"
    assert tight.layers_total == SMOL.n_layer
    assert estimate(SMOL, FitRequest(8192, 8, tight.gpu_layers), "cuda:0")[1].needed <= need_all * 0.7 * 0.9


def test_a_deployment_that_does_not_fit_comes_with_numbers_and_what_would_fit() -> None:
    small = box(mem_available=600 * 2**20)
    report = check(SMOL, FitRequest(8192, 8), small)
    assert not report.fits
    cpu = report.devices[0]
    assert cpu.needed > cpu.free == 600 * 2**20
    assert {"context_size": 2048, "parallel": 8, "gpu_layers": 0} in report.suggestions or any(
        s["context_size"] < 8192 for s in report.suggestions
    )
    for s in report.suggestions:
        assert check(SMOL, FitRequest(s["context_size"], s["parallel"], s["gpu_layers"]), small).fits
    assert check(SMOL, FitRequest(2048, 1), small).fits


def test_a_budget_caps_what_deployments_may_use() -> None:
    assert check(SMOL, FitRequest(8192, 8), box()).fits
    assert not check(SMOL, FitRequest(8192, 8), box(), budget=1 * GiB).fits


def test_embedding_models_keep_no_kv_cache() -> None:
    emb = replace(SMOL, kind="embedding")
    assert estimate(emb, FitRequest(512, 4))[0].kv_cache == 0


def test_every_replica_is_counted() -> None:
    one = estimate(SMOL, FitRequest(2048, 8))[0]
    two = estimate(SMOL, FitRequest(2048, 8, replicas=2))[0]
    assert two.needed == 2 * one.needed
    assert check(SMOL, FitRequest(2048, 8), box(), budget=int(one.needed * 1.5)).fits
    assert not check(SMOL, FitRequest(2048, 8, replicas=2), box(), budget=int(one.needed * 1.5)).fits


def test_pinned_prefixes_hold_a_context_each_and_can_be_given_up_to_fit() -> None:
    """A chat worker's pinned sequences (published apps' prompts) are as long as the others; when only they stand
    between a deployment and fitting, the report says so."""
    plain = estimate(SMOL, FitRequest(2048, 8))[0]
    pinned = estimate(SMOL, FitRequest(2048, 8, pinned=2))[0]
    assert pinned.pinned_kv == 30 * 2048 * 2 * 384 * 2 and pinned.kv_cache == plain.kv_cache + pinned.pinned_kv
    report = check(SMOL, FitRequest(2048, 8, pinned=2), box(), budget=plain.needed + pinned.pinned_kv // 2)
    assert not report.fits
    assert {"context_size": 2048, "parallel": 8, "gpu_layers": 0, "pinned_prefixes": 0} in report.suggestions
    embedding = replace(SMOL, kind="embedding")
    assert estimate(embedding, FitRequest(512, 4, pinned=2))[0].pinned_kv == 0
