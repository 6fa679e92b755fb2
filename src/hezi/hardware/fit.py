"""Will it fit? Memory a llama.cpp deployment needs on each device, from the GGUF's own numbers.

The formula (docs/hardware.md explains each term):

    weights  = bytes of the layers placed on the device (+ token embeddings on the CPU, + output head on the
               GPU when every layer is offloaded)
    KV cache = layers on the device × context × (parallel + pinned) sequences × (K + V width) × 2 bytes (f16)
               where K width = heads_kv × key_length, V width = heads_kv × value_length (grouped-query
               attention makes heads_kv smaller than heads); pinned: the sequences a chat worker keeps for
               published apps' prompts, each a context long like the others (`pinned_kv` is their share)
    compute  = CPU: the activations llama.cpp touches, n_ubatch × n_embd × 48 bytes + outputs × vocab × 4
               (outputs: the sequences of a chat model; every token of the batch for an embedding model)
               + for a chat model on the CPU with a cache per sequence, where flash attention is off, the
               attention scores of a batch against a whole context, n_ubatch × context × heads × 4;
               GPU: the whole reserved graph, n_ubatch × (vocab + 12 × n_embd) × 4 bytes
    overhead = CPU: the worker process itself (Python, llama.cpp), 64 MiB; GPU: the CUDA context and
               libraries, 560 MiB (measured on an H200 with CUDA 13; see docs/hardware.md)

Encoder-only embedding models keep no KV cache. The estimate is checked against measured worker memory in
tests/hardware/test_fit_accuracy.py and printed by `make bench`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MiB = 1 << 20
CPU_OVERHEAD = 64 * MiB
GPU_OVERHEAD = 560 * MiB
KV_BYTES = 2  # f16
N_UBATCH = 512
SAFETY = 0.10  # a placement leaves this share of a device's free memory unused


@dataclass(frozen=True)
class ModelShape:
    """The numbers of a GGUF that memory depends on."""

    kind: str
    layer_bytes: tuple[int, ...]
    other_bytes: int
    token_embd_bytes: int
    head_bytes: int
    n_embd: int
    n_head: int
    n_head_kv: int
    key_length: int
    value_length: int
    vocab_size: int

    @property
    def n_layer(self) -> int:
        return len(self.layer_bytes)

    @property
    def kv_width(self) -> int:
        """K + V elements per token per layer."""
        head_dim = self.n_embd // max(1, self.n_head)
        return self.n_head_kv * ((self.key_length or head_dim) + (self.value_length or head_dim))

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> ModelShape:
        return cls(
            kind=str(meta.get("kind", "chat")),
            layer_bytes=tuple(int(b) for b in meta.get("layer_bytes") or ()),
            other_bytes=int(meta.get("other_bytes") or 0),
            token_embd_bytes=int(meta.get("token_embd_bytes") or meta.get("other_bytes") or 0),
            head_bytes=int(meta.get("head_bytes") or 0),
            n_embd=int(meta.get("embedding_length") or 0),
            n_head=int(meta.get("head_count") or 1),
            n_head_kv=int(meta.get("head_count_kv") or meta.get("head_count") or 1),
            key_length=int(meta.get("key_length") or 0),
            value_length=int(meta.get("value_length") or 0),
            vocab_size=int(meta.get("vocab_size") or 0),
        )


@dataclass(frozen=True)
class FitRequest:
    context_size: int
    parallel: int
    gpu_layers: int = 0  # -1: all
    replicas: int = 1  # each replica is a worker process of its own, on the same device(s)
    pinned: int = 0  # sequences kept for published apps' prompts (chat models only)
    kv_unified: bool = False  # one KV cache for all sequences (flash attention stays on)


@dataclass
class DeviceNeed:
    device: str  # "cpu" or "cuda:N"
    weights: int
    kv_cache: int
    compute: int
    overhead: int
    pinned_kv: int = 0  # of kv_cache, what the pinned prefixes' sequences reserve
    free: int | None = None
    total: int | None = None

    @property
    def needed(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.overhead

    @property
    def fits(self) -> bool:
        return self.free is None or self.needed <= self.free

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "needed": self.needed, "fits": self.fits}


@dataclass
class FitReport:
    devices: list[DeviceNeed]
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return all(d.fits for d in self.devices)

    @property
    def total(self) -> int:
        return sum(d.needed for d in self.devices)

    def to_json(self) -> dict[str, Any]:
        return {"fits": self.fits, "total": self.total, "devices": [d.to_json() for d in self.devices],
                "suggestions": self.suggestions}  # fmt: skip


def flash_attention(gpu_layers: int, kv_unified: bool) -> bool:
    """Whether a chat worker runs llama.cpp's flash attention: not on the CPU with a cache per sequence, where it is
    the slow kernel (decision 0025); on with layers on a GPU, and with a unified cache, where the scores without it
    would span every sequence's context."""
    return gpu_layers != 0 or kv_unified


def offloaded_layers(shape: ModelShape, gpu_layers: int) -> int:
    """How many repeating layers go to the GPU (llama.cpp offloads the last ones first)."""
    if gpu_layers < 0:
        return shape.n_layer
    return min(gpu_layers, shape.n_layer)


def estimate(shape: ModelShape, req: FitRequest, gpu: str | None = None) -> list[DeviceNeed]:
    """Bytes per device. `gpu` names the device that offloaded layers go to (None: CPU only)."""
    on_gpu = offloaded_layers(shape, req.gpu_layers) if gpu else 0
    all_offloaded = gpu is not None and (req.gpu_layers < 0 or req.gpu_layers > shape.n_layer)
    on_cpu = shape.n_layer - on_gpu
    cpu_layers = sum(shape.layer_bytes[:on_cpu])
    gpu_layers = sum(shape.layer_bytes[on_cpu:])
    head = shape.head_bytes  # output norm and projection (a copy of the embeddings when they are tied)
    pinned = 0 if shape.kind == "embedding" else req.pinned
    tokens = req.context_size * (req.parallel + pinned)
    kv_per_layer = 0 if shape.kind == "embedding" else tokens * shape.kv_width * KV_BYTES
    pinned_per_layer = req.context_size * pinned * shape.kv_width * KV_BYTES
    n_ubatch = min(N_UBATCH, req.context_size) if shape.kind == "chat" else req.context_size
    # One row of logits per output: a chat worker outputs a token per sequence; llama.cpp's encoder outputs every
    # token of the batch and reserves vocab-wide rows for them though an embedding model has no logits (488 MiB
    # for multilingual-e5-small's 250k vocabulary at 512 tokens, most of it touched).
    outputs = n_ubatch if shape.kind == "embedding" else req.parallel
    # Without flash attention a batch's scores against the context are one f32 matrix: 34 MiB measured at 2048
    # tokens for SmolLM2, against 36 estimated.
    plain = shape.kind == "chat" and not flash_attention(on_gpu, req.kv_unified)
    scores = n_ubatch * req.context_size * shape.n_head * 4 if plain else 0
    cpu = DeviceNeed(
        device="cpu",
        weights=cpu_layers
        + shape.token_embd_bytes
        + (0 if all_offloaded else shape.other_bytes - shape.token_embd_bytes),
        kv_cache=kv_per_layer * on_cpu,
        compute=n_ubatch * shape.n_embd * 48 + outputs * shape.vocab_size * 4 + scores,
        overhead=CPU_OVERHEAD,
        pinned_kv=pinned_per_layer * on_cpu,
    )
    if not gpu or on_gpu == 0:
        return [_times(cpu, req.replicas)]
    dev = DeviceNeed(
        device=gpu,
        weights=gpu_layers + (head if all_offloaded else 0),
        kv_cache=kv_per_layer * on_gpu,
        compute=n_ubatch * (shape.vocab_size + 12 * shape.n_embd) * 4,
        overhead=GPU_OVERHEAD,
        pinned_kv=pinned_per_layer * on_gpu,
    )
    return [_times(cpu, req.replicas), _times(dev, req.replicas)]


def _times(need: DeviceNeed, n: int) -> DeviceNeed:
    return DeviceNeed(
        need.device, need.weights * n, need.kv_cache * n, need.compute * n, need.overhead * n, need.pinned_kv * n
    )
