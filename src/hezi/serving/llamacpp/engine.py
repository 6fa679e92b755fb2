"""Continuous batching over llama.cpp: every active sequence advances in the same decode step.

This is what llama.cpp's own server does with `--parallel N`: one context holds N sequences, each decode
call carries the next token of every generating sequence plus chunks of newly arrived prompts, and each
sequence samples from its own row of logits with its own sampler. A slot keeps its KV cache after a request
ends, so the next request that starts with the same tokens (a chat's history) skips re-reading them.

Prefixes are shared across sequences too: a request whose prompt starts with tokens another sequence already holds
(the system prompt and tool schemas every conversation of one agent starts with) takes that sequence's K/V for them
(`llama_memory_seq_cp`) instead of computing them again, and requests that arrive together with the same prefix
wait while the first of them computes it, then all share it. A few more sequences hold *pinned* prefixes: the
prompts of published apps, computed ahead of their first user (`warm`) in whatever room the batch has left, kept
until a newer one needs the sequence (least recently used first) and shared like any other.

The KV cache is a stream per sequence by default, or unified (`kv_unified`, a deployment's choice): one pool of
cells sized at a context's share per sequence, slots and pins alike, each sequence held to its share here, so
every sequence at its longest still fits and none starves another. Unified, a shared prefix is not copied at
all — its cells belong to both sequences (a prefix that differs at token k is shared up to k only); with a stream
per sequence llama.cpp copies whole streams (docs/decisions/0024). The price of unified: every token attends over
all cells in use, so a lone stream after a burst decodes slower, and an answer at temperature 0 may change with
what else is cached; that is why it is not the default. On the CPU, a stream per sequence runs without flash
attention, which there is the slow kernel (docs/decisions/0025).

The loop runs on one thread; llama.cpp calls release the GIL, so the worker's HTTP server stays responsive.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import llama_cpp as C

from hezi.hardware.fit import flash_attention
from hezi.serving.llamacpp.text import StreamText

log = logging.getLogger(__name__)


class EngineError(Exception):
    """A request the engine cannot run; `code` is stable, `details` carries numbers for the user."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def load_model(path: str, *, n_gpu_layers: int, extra_buffers: bool) -> Any:
    """Load a GGUF the way every hezi worker does; raises EngineError when llama.cpp cannot."""
    C.llama_backend_init()
    mparams = C.llama_model_default_params()
    mparams.n_gpu_layers = n_gpu_layers
    # ggml's extra CPU buffer types (AMX repacking) crash multi-token batches on some Xeon VMs; see
    # docs/decisions/0006-llamacpp-worker.md.
    mparams.use_extra_bufts = extra_buffers
    if n_gpu_layers:
        # One GPU per replica: the supervisor shows the worker only the GPU placement chose.
        mparams.split_mode = C.LLAMA_SPLIT_MODE_NONE
    model = C.llama_model_load_from_file(path.encode(), mparams)
    if not model:
        raise EngineError("model_load_failed", f"llama.cpp could not load {path}")
    return model


class Sink(Protocol):
    """Where a generation's events go; called from the engine thread, so implementations hand off."""

    def token(self, text: str) -> None: ...

    def done(self, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> None: ...

    def error(self, code: str, message: str) -> None: ...


@dataclass
class SamplingParams:
    max_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    grammar: str | None = None  # GBNF, root rule "root"


@dataclass
class Job:
    tokens: list[int]
    params: SamplingParams
    sink: Sink
    cancelled: threading.Event = field(default_factory=threading.Event)
    queued_at: float = field(default_factory=time.monotonic)
    sampler: Any = None  # built by submit(), so a bad grammar fails the request, not the engine

    def cancel(self) -> None:
        self.cancelled.set()


class _Slot:
    """One sequence of the context: its KV cache contents, and the request using it (if any)."""

    def __init__(self, seq_id: int) -> None:
        self.seq_id = seq_id
        self.cached: list[int] = []  # tokens whose K/V are in this sequence's cache, in order
        self.job: Job | None = None
        self.pending: list[int] = []  # prompt tokens still to decode
        self.sampler: Any = None
        self.text: StreamText | None = None
        self.last_token = -1
        self.generated = 0
        self.idle_since = 0.0  # monotonic time its last request ended

    @property
    def busy(self) -> bool:
        return self.job is not None

    @property
    def generating(self) -> bool:
        return self.job is not None and not self.pending and self.last_token >= 0


class _Pin(_Slot):
    """A sequence kept for one published app's prompt prefix; `pending` while it is being computed."""

    def __init__(self, seq_id: int) -> None:
        super().__init__(seq_id)
        self.key: str | None = None
        self.target: list[int] = []  # the whole prefix, computed (`cached`) or still to compute (`pending`)
        self.used_at = 0.0  # monotonic; the least recently used pin is the one replaced


@dataclass
class _Warm:
    key: str
    tokens: list[int]


class LlamaEngine:
    def __init__(
        self,
        model_path: str,
        *,
        n_ctx_per_seq: int = 2048,
        n_parallel: int = 4,
        n_threads: int = 2,
        n_gpu_layers: int = 0,
        n_batch: int = 512,
        extra_buffers: bool = False,
        share_prefixes: bool = True,
        n_pinned: int = 0,
        kv_unified: bool = False,
        idle_cache_s: float = 180.0,
        flash_attn: bool | None = None,
    ) -> None:
        self.model = load_model(model_path, n_gpu_layers=n_gpu_layers, extra_buffers=extra_buffers)
        self.vocab = C.llama_model_get_vocab(self.model)
        cparams = C.llama_context_default_params()
        n_pinned = n_pinned if share_prefixes else 0
        cparams.n_ctx = n_ctx_per_seq * (n_parallel + n_pinned)
        cparams.n_batch = n_batch
        cparams.n_ubatch = min(n_batch, 512)
        cparams.n_seq_max = n_parallel + n_pinned
        cparams.n_threads = n_threads
        cparams.n_threads_batch = n_threads
        cparams.kv_unified = kv_unified
        # None: as `flash_attention` decides for this placement (the fit counts what that costs). llama.cpp's own
        # "auto" turns it on for the CPU too, where its kernel is the slow path for decoding (docs/decisions/0025).
        self.flash_attn = flash_attention(n_gpu_layers, kv_unified) if flash_attn is None else flash_attn
        cparams.flash_attn_type = (
            C.LLAMA_FLASH_ATTN_TYPE_ENABLED if self.flash_attn else C.LLAMA_FLASH_ATTN_TYPE_DISABLED
        )
        cparams.no_perf = True
        self.ctx = C.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            raise EngineError("context_failed", "llama.cpp could not create a context (out of memory?)")
        self.mem = C.llama_get_memory(self.ctx)
        self.n_batch = n_batch
        self.kv_unified = kv_unified
        self.idle_cache_s = idle_cache_s
        # Unified, llama.cpp's own limit is the whole cache: each sequence is held to its share here (so every
        # sequence at its longest still fits, and none starves another).
        self.n_ctx_seq = n_ctx_per_seq if kv_unified else int(C.llama_n_ctx_seq(self.ctx))
        self.batch = C.llama_batch_init(n_batch, 0, 1)
        self.slots = [_Slot(i) for i in range(n_parallel)]
        self.pins = [_Pin(n_parallel + i) for i in range(n_pinned)]
        self._queue: collections.deque[Job] = collections.deque()
        self._warms: collections.deque[_Warm] = collections.deque()
        self._cv = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._piece_buf = ctypes.create_string_buffer(256)
        self.steps = 0
        # Lifetime counters for the worker's /health (written by the engine thread only): what it really did.
        self.jobs_cancelled = 0  # ended because the client went away, before their end
        self.tokens_generated = 0
        self.share_prefixes = share_prefixes
        self.prefix_copies = 0  # prompts that started from another sequence's K/V
        self.tokens_reused = 0  # prompt tokens not computed: from the slot's own cache or a copy
        self.tokens_copied = 0  # of those, from another sequence's
        self.pinned_hits = 0  # prompts that started from a pinned prefix
        self.warmed = 0  # pinned prefixes computed
        self.evicted = 0  # pinned prefixes replaced by a newer one
        self.kv_bytes_per_token = self._kv_bytes_per_token()

    # --- public, thread-safe ---

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="llama-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def submit(self, job: Job) -> None:
        """Queue a generation. Raises EngineError at once when the prompt cannot fit."""
        needed = len(job.tokens) + 1
        if needed > self.n_ctx_seq:
            raise EngineError(
                "context_length_exceeded",
                f"The prompt has {len(job.tokens)} tokens; this deployment's context holds {self.n_ctx_seq} "
                "per sequence, and at least one token must be left to generate.",
                {"prompt_tokens": len(job.tokens), "context_length": self.n_ctx_seq},
            )
        job.sampler = self._sampler(job.params)
        with self._cv:
            self._queue.append(job)
            self._cv.notify()

    def warm(self, key: str, tokens: list[int]) -> bool:
        """Compute `tokens` into a pinned sequence for `key` (an app), in the batch room requests leave; replaces
        the key's earlier prefix, else the least recently used one. False when this engine keeps no pins."""
        if not self.pins or not tokens:
            return False
        with self._cv:
            self._warms = collections.deque(w for w in self._warms if w.key != key)
            self._warms.append(_Warm(key, tokens[: self.n_ctx_seq - 1]))
            self._cv.notify()
        return True

    def pinned_stats(self) -> dict[str, int]:
        held = [p for p in self.pins if p.key is not None]
        tokens = sum(len(p.cached) for p in held)
        return {
            "pinned": len(held),
            "pinned_capacity": len(self.pins),
            "pinned_tokens": tokens,
            "pinned_bytes": tokens * self.kv_bytes_per_token,
            "pinned_reserved_bytes": len(self.pins) * self.n_ctx_seq * self.kv_bytes_per_token,
            "pinned_hits": self.pinned_hits,
            "warmed": self.warmed,
            "evicted": self.evicted,
        }

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def active(self) -> int:
        return sum(1 for s in self.slots if s.busy)

    def tokenize(self, text: str, *, add_special: bool = True, parse_special: bool = True) -> list[int]:
        data = text.encode()
        size = len(data) + 8
        while True:
            arr = (C.llama_token * size)()
            n = C.llama_tokenize(self.vocab, data, len(data), arr, size, add_special, parse_special)
            if n >= 0:
                return list(arr[:n])
            size = -n

    def token_bytes(self, token: int) -> bytes:
        n = C.llama_token_to_piece(self.vocab, token, self._piece_buf, len(self._piece_buf), 0, False)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = C.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, False)
            return buf.raw[:n]
        return self._piece_buf.raw[:n]

    def token_text(self, token: int) -> str:
        raw = C.llama_vocab_get_text(self.vocab, token)
        return raw.decode("utf-8", errors="replace") if raw else ""

    def meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(1 << 16)
        n = C.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace") if n >= 0 else None

    # --- the loop ---

    def _run(self) -> None:
        try:
            while True:
                with self._cv:
                    while not self._stopping and not self._queue and not self._warms and not self._working():
                        self._cv.wait(self._drop_stale())
                    if self._stopping:
                        break
                    if not self._working():
                        self._gather()
                    self._admit()
                    self._admit_warms()
                if self._working():
                    self._step()
        except Exception as exc:  # the engine thread must never die silently
            log.exception("engine loop crashed")
            for slot in self.slots:
                if slot.job is not None:
                    slot.job.sink.error("engine_failed", f"The model worker failed: {exc}")
            raise
        finally:
            for slot in self.slots:
                if slot.job is not None:
                    slot.job.sink.error("worker_stopping", "The model worker is shutting down.")

    def _drop_stale(self) -> float | None:
        """Forget the caches of slots idle for `idle_cache_s` (a conversation whose user has gone): in a unified
        cache every token attends over the cells in use, so a burst's leftovers would slow the next lone user for
        good (by ~30% on two cores after eight conversations). Seconds until the next one goes stale, or None."""
        if not self.kv_unified:
            return None
        now = time.monotonic()
        nearest: float | None = None
        for slot in self.slots:
            if slot.busy or not slot.cached:
                continue
            left = slot.idle_since + self.idle_cache_s - now
            if left <= 0:
                C.llama_memory_seq_rm(self.mem, slot.seq_id, -1, -1)
                slot.cached = []
            else:
                nearest = left if nearest is None else min(nearest, left)
        return nearest

    def _gather(self) -> None:
        """An idle engine that is handed a prompt waits a moment for the ones arriving with it (users who send
        together reach it a few ms apart over HTTP), so their prompts share the first decode instead of queueing
        behind it: a batch of a few tokens per sequence costs nearly what a full one does on a CPU. Only for prompts
        with work to do; a short one (a health check, a one-token call) starts at once. Called holding `_cv`."""
        if self._uncached() < GATHER_MIN_TOKENS:
            return
        deadline = time.monotonic() + GATHER_MAX_S
        while not self._stopping:
            seen = len(self._queue)
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cv.wait(min(GATHER_QUIET_S, left))
            if len(self._queue) == seen:
                return

    def _uncached(self) -> int:
        """Prompt tokens of the queued jobs that no sequence holds."""
        held = [*self.slots, *self.pins]
        return sum(len(j.tokens) - max(_common_prefix(s.cached, j.tokens) for s in held) for j in self._queue)

    def _working(self) -> bool:
        return any(s.busy for s in self.slots) or any(p.pending for p in self.pins)

    def _admit(self) -> None:
        """Move queued jobs into free slots, preferring the slot whose cache shares the longest prefix. A job
        whose prefix another slot is computing right now waits for it (it stays queued, others go ahead)."""
        waiting: list[Job] = []
        while self._queue:
            free = [s for s in self.slots if not s.busy]
            if not free:
                break
            job = self._queue.popleft()
            if job.cancelled.is_set():
                C.llama_sampler_free(job.sampler)
                continue
            if self.share_prefixes and self._being_computed(job):
                waiting.append(job)
                continue
            slot = max(free, key=lambda s: _common_prefix(s.cached, job.tokens))
            self._start(slot, job, free)
        self._queue.extendleft(reversed(waiting))

    def _being_computed(self, job: Job) -> bool:
        """Whether a slot (or a pin whose warming has started) is reading a prompt that shares more of this job's
        prefix than any cache holds yet. Warming still queued is not waited for."""
        held = max(_common_prefix(s.cached, job.tokens) for s in [*self.slots, *self.pins])
        reading = [s.job.tokens for s in self.slots if s.job is not None and s.pending]
        reading += [p.target for p in self.pins if p.pending]
        coming = max((_common_prefix(t, job.tokens) for t in reading), default=0)
        return coming >= held + MIN_SHARED

    def _admit_warms(self) -> None:
        """Give each queued warming a pin: the key's own, else a free one, else the least recently used that is
        not being computed. One that finds none waits for the next pass."""
        left: list[_Warm] = []
        while self._warms:
            w = self._warms.popleft()
            same = next((p for p in self.pins if p.target == w.tokens), None)
            if same is not None:  # already held (another app with the same prompt, or a repeat)
                same.used_at = time.monotonic()
                continue
            pin = next((p for p in self.pins if p.key == w.key and not p.pending), None)
            pin = pin or next((p for p in self.pins if p.key is None), None)
            if pin is None:
                idle = [p for p in self.pins if not p.pending]
                if not idle:
                    left.append(w)
                    continue
                pin = min(idle, key=lambda p: p.used_at)
                self.evicted += 1
            keep = _common_prefix(pin.cached, w.tokens)
            donor = self._donor(w.tokens, pin, keep)
            if donor is not None:
                keep = self._copy(donor, pin, w.tokens)
            C.llama_memory_seq_rm(self.mem, pin.seq_id, keep, -1)
            pin.cached = pin.cached[:keep]
            pin.pending = w.tokens[keep:]
            pin.key, pin.target, pin.used_at = w.key, w.tokens, time.monotonic()
            if not pin.pending:
                self.warmed += 1
        self._warms.extend(left)

    def _start(self, slot: _Slot, job: Job, free: list[_Slot]) -> None:
        keep = _common_prefix(slot.cached, job.tokens)
        donor = self._donor(job.tokens, slot, keep) if self.share_prefixes else None
        targets = [s for s in free if s is not donor]
        if donor is not None and targets:
            # The free slot with the least cached takes the copy (its own cache is overwritten); the donor keeps its.
            slot = min(targets, key=lambda s: len(s.cached))
            keep = self._copy(donor, slot, job.tokens)
            self.prefix_copies += 1
            self.tokens_copied += min(keep, len(job.tokens) - 1)
            if isinstance(donor, _Pin):
                self.pinned_hits += 1
                donor.used_at = time.monotonic()
        keep = min(keep, len(job.tokens) - 1)  # at least one prompt token must be decoded to get logits
        C.llama_memory_seq_rm(self.mem, slot.seq_id, keep, -1)
        slot.cached = slot.cached[:keep]
        self.tokens_reused += keep
        slot.pending = job.tokens[keep:]
        slot.job = job
        slot.sampler = job.sampler
        slot.text = StreamText(job.params.stop)
        slot.last_token = -1
        slot.generated = 0

    def _donor(self, tokens: list[int], slot: _Slot, own: int) -> _Slot | None:
        """Another sequence (slot or pin) whose cache holds enough more of `tokens` than `slot` holds to be worth
        a copy."""
        others = [s for s in [*self.slots, *self.pins] if s is not slot]
        best = max(others, key=lambda s: _common_prefix(s.cached, tokens), default=None)
        if best is None or _common_prefix(best.cached, tokens) < own + MIN_SHARED:
            return None
        return best

    def _copy(self, donor: _Slot, slot: _Slot, tokens: list[int]) -> int:
        """Make `slot` hold the prefix of `tokens` that `donor` holds; returns its length. In a unified cache the
        cells become the slot's too (nothing is copied; the slot's own tokens go to new cells); with a stream per
        sequence llama.cpp copies the whole stream at the next decode and the copy is cut to the prefix."""
        shared = _common_prefix(donor.cached, tokens)
        C.llama_memory_seq_rm(self.mem, slot.seq_id, -1, -1)
        if self.kv_unified:
            C.llama_memory_seq_cp(self.mem, donor.seq_id, slot.seq_id, 0, shared)
            slot.cached = donor.cached[:shared]
        else:
            C.llama_memory_seq_cp(self.mem, donor.seq_id, slot.seq_id, -1, -1)
            slot.cached = list(donor.cached)
        return shared

    def _kv_bytes_per_token(self) -> int:
        """K and V of one token over every layer, f16 — what a pinned prefix holds per token."""
        arch = self.meta("general.architecture") or ""
        n_head = max(1, int(C.llama_model_n_head(self.model)))
        head_dim = int(C.llama_model_n_embd(self.model)) // n_head
        k = _int_meta(self.meta(f"{arch}.attention.key_length")) or head_dim
        v = _int_meta(self.meta(f"{arch}.attention.value_length")) or head_dim
        return int(C.llama_model_n_layer(self.model)) * int(C.llama_model_n_head_kv(self.model)) * (k + v) * 2

    def _sampler(self, p: SamplingParams) -> Any:
        chain = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        if p.grammar:
            grammar = C.llama_sampler_init_grammar(self.vocab, p.grammar.encode(), b"root")
            if not grammar:
                C.llama_sampler_free(chain)
                raise EngineError("invalid_grammar", "The output grammar could not be compiled.")
            C.llama_sampler_chain_add(chain, grammar)
        if p.temperature <= 0:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        else:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(p.temperature))
            if p.top_p < 1.0:
                C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(p.top_p, 1))
            seed = p.seed if p.seed is not None else C.LLAMA_DEFAULT_SEED
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def _add(self, n: int, token: int, pos: int, seq: int, logits: bool) -> None:
        b = self.batch
        b.token[n] = token
        b.pos[n] = pos
        b.n_seq_id[n] = 1
        b.seq_id[n][0] = seq
        b.logits[n] = 1 if logits else 0

    def _step(self) -> None:
        """One decode call for every busy slot: a token each for generators, prompt chunks for the rest."""
        for slot in self.slots:
            if slot.job is not None and slot.job.cancelled.is_set():
                self._finish(slot, None)
        n = 0
        outputs: list[tuple[_Slot, int]] = []
        for slot in self.slots:
            if slot.generating:
                self._add(n, slot.last_token, len(slot.cached), slot.seq_id, True)
                slot.cached.append(slot.last_token)
                outputs.append((slot, n))
                n += 1
        for slot in self.slots:
            if slot.job is None or not slot.pending or n >= self.n_batch:
                continue
            take = slot.pending[: self.n_batch - n]
            last_chunk = len(take) == len(slot.pending)
            for j, token in enumerate(take):
                is_last = last_chunk and j == len(take) - 1
                self._add(n, token, len(slot.cached) + j, slot.seq_id, is_last)
                if is_last:
                    outputs.append((slot, n))
                n += 1
            slot.cached.extend(take)
            slot.pending = slot.pending[len(take) :]
        warming: list[_Pin] = []
        for pin in self.pins:  # pinned prefixes in the room requests left; nothing to sample
            if not pin.pending or n >= self.n_batch:
                continue
            take = pin.pending[: self.n_batch - n]
            for j, token in enumerate(take):
                self._add(n, token, len(pin.cached) + j, pin.seq_id, False)
                n += 1
            pin.cached.extend(take)
            pin.pending = pin.pending[len(take) :]
            warming.append(pin)
        if n == 0:
            return
        self.batch.n_tokens = n
        rc = C.llama_decode(self.ctx, self.batch)
        if rc == 1 and self._make_room():  # 1: no room in the cache for the batch; nothing was decoded
            rc = C.llama_decode(self.ctx, self.batch)
        self.steps += 1
        if rc != 0:
            self._decode_failed(rc, outputs, warming)
            return
        self.warmed += sum(1 for p in warming if not p.pending)
        for slot, index in outputs:
            self._sample(slot, index)

    def _sample(self, slot: _Slot, index: int) -> None:
        job = slot.job
        assert job is not None and slot.text is not None
        token = int(C.llama_sampler_sample(slot.sampler, self.ctx, index))
        if C.llama_vocab_is_eog(self.vocab, token):
            self._finish(slot, "stop")
            return
        slot.generated += 1
        self.tokens_generated += 1
        text = slot.text.feed(self.token_bytes(token))
        if text:
            job.sink.token(text)
        if slot.text.stopped:
            self._finish(slot, "stop")
        elif slot.generated >= job.params.max_tokens or len(slot.cached) + 1 >= self.n_ctx_seq:
            self._finish(slot, "length")
        else:
            slot.last_token = token

    def _finish(self, slot: _Slot, reason: str | None) -> None:
        """End the slot's job; `reason` None means the client went away (nothing more is sent)."""
        job = slot.job
        if job is not None and reason is None and job.cancelled.is_set():
            self.jobs_cancelled += 1
        if job is not None and reason is not None and slot.text is not None:
            tail = slot.text.flush()
            if tail:
                job.sink.token(tail)
            job.sink.done(reason, len(job.tokens), slot.generated)
        if slot.sampler is not None:
            C.llama_sampler_free(slot.sampler)
        slot.sampler = None
        slot.job = None
        slot.pending = []
        slot.last_token = -1
        slot.text = None
        slot.idle_since = time.monotonic()

    def _make_room(self) -> bool:
        """Drop what only idle sequences hold: the caches of free slots, then the pinned prefixes. Sized as it is
        (a context's share per sequence) the cache should never be full; if it is, keeping a request beats keeping
        a cache. Whether anything was dropped."""
        dropped = False
        for seq in [*(s for s in self.slots if not s.busy), *(p for p in self.pins if not p.pending)]:
            if seq.cached:
                C.llama_memory_seq_rm(self.mem, seq.seq_id, -1, -1)
                seq.cached = []
                dropped = True
            if isinstance(seq, _Pin) and seq.key is not None:
                seq.key, seq.target = None, []
                self.evicted += 1
        log.warning("the KV cache was full: dropped the caches of idle sequences%s", "" if dropped else " (none)")
        return dropped

    def _decode_failed(self, rc: int, outputs: list[tuple[_Slot, int]], warming: list[_Pin]) -> None:
        log.error("llama_decode returned %s", rc)
        for pin in warming:  # what it holds is no longer known: let it go (a later warming computes it again)
            C.llama_memory_seq_rm(self.mem, pin.seq_id, -1, -1)
            pin.cached, pin.pending, pin.target, pin.key = [], [], [], None
        for slot in self.slots:
            if slot.job is not None:
                slot.job.sink.error("decode_failed", f"llama.cpp could not decode this batch (code {rc}).")
                self._finish(slot, None)
                # What is in the cache is no longer known to match `cached`: start clean.
                C.llama_memory_seq_rm(self.mem, slot.seq_id, -1, -1)
                slot.cached = []


# An idle engine waits for prompts arriving together until none came for GATHER_QUIET_S, at most GATHER_MAX_S, when
# they have at least GATHER_MIN_TOKENS to compute (see LlamaEngine._gather; bench/agent_load.py measures it).
GATHER_MIN_TOKENS = 16
GATHER_QUIET_S = 0.005
GATHER_MAX_S = 0.030

# Fewer shared tokens than this are computed again rather than shared: a prompt waits for a prefix being computed
# only when it saves more than a few tokens, and (with a stream per sequence) a copy moves the whole stream.
MIN_SHARED = 32


def _int_meta(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
