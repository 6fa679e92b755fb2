"""Embeddings on llama.cpp: many inputs packed into each batch, one sequence per input, pooled by the model."""

from __future__ import annotations

import ctypes
import threading

import llama_cpp as C
import numpy as np

from hezi.serving.llamacpp.engine import EngineError, load_model

ROLES = ("query", "document")


def _meta(model: object, key: str) -> str:
    """A string from the GGUF's metadata, or "" when it has none."""
    size = 256
    buf = ctypes.create_string_buffer(size)
    n = C.llama_model_meta_val_str(model, key.encode(), buf, size)
    return buf.value.decode() if n >= 0 else ""


class EmbeddingEngine:
    def __init__(
        self,
        model_path: str,
        *,
        n_ctx: int = 512,
        n_parallel: int = 16,
        n_threads: int = 2,
        n_gpu_layers: int = 0,
        extra_buffers: bool = False,
    ) -> None:
        self.model = load_model(model_path, n_gpu_layers=n_gpu_layers, extra_buffers=extra_buffers)
        self.vocab = C.llama_model_get_vocab(self.model)
        self.n_ctx = min(n_ctx, int(C.llama_model_n_ctx_train(self.model)) or n_ctx)
        cparams = C.llama_context_default_params()
        # An encoder sees a whole input at once, so a batch (and micro-batch) must hold the longest input.
        self.n_batch = max(self.n_ctx, 512)
        cparams.n_ctx = self.n_batch
        cparams.n_batch = self.n_batch
        cparams.n_ubatch = self.n_batch
        cparams.n_seq_max = n_parallel
        cparams.n_threads = n_threads
        cparams.n_threads_batch = n_threads
        cparams.embeddings = True
        cparams.no_perf = True
        self.ctx = C.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            raise EngineError("context_failed", "llama.cpp could not create an embedding context")
        if C.llama_pooling_type(self.ctx) == C.LLAMA_POOLING_TYPE_NONE:
            raise EngineError("not_an_embedding_model", "This model has no pooling; it cannot make sentence vectors.")
        self.n_seq_max = n_parallel
        self.dim = int(C.llama_model_n_embd(self.model))
        self.encoder_only = bool(C.llama_model_has_encoder(self.model)) and not C.llama_model_has_decoder(self.model)
        self.batch = C.llama_batch_init(self.n_batch, 0, 1)
        self.mem = C.llama_get_memory(self.ctx)
        self._lock = threading.Lock()
        self.slots = [0] * n_parallel  # for the health endpoint's shape; embedding has no long-lived slots
        # What the model reads before a question or a document (E5's "query: " / "passage: "), when its GGUF says
        # (hezi.embedding.*, written by hezi's converters); text embedded with no role gets none.
        self.prefixes: dict[str, str] = {
            role: value for role in ROLES if (value := _meta(self.model, f"hezi.embedding.{role}_prefix"))
        }

    def tokenize(self, text: str) -> list[int]:
        data = text.encode()
        size = len(data) + 8
        while True:
            arr = (C.llama_token * size)()
            n = C.llama_tokenize(self.vocab, data, len(data), arr, size, True, False)
            if n >= 0:
                return list(arr[:n])
            size = -n

    def embed(self, texts: list[str], *, truncate: bool = False, role: str | None = None) -> tuple[np.ndarray, int]:
        """L2-normalised vectors (one row per text) and the number of tokens read. Blocking; thread-safe.

        A text longer than the model reads is refused, or with `truncate` cut to its first tokens (keeping the
        closing special token), as sentence-transformers does. `role` ("query" or "document") puts the model's
        prefix for that role before each text, if it declares one."""
        prefix = self.prefixes.get(role or "", "")
        token_lists = [self.tokenize(prefix + t) for t in texts]
        for i, toks in enumerate(token_lists):
            if len(toks) > self.n_ctx and truncate:
                token_lists[i] = toks[: self.n_ctx - 1] + toks[-1:]
            elif len(toks) > self.n_ctx:
                raise EngineError(
                    "context_length_exceeded",
                    f"Input {i} has {len(toks)} tokens; this embedding model reads at most {self.n_ctx}.",
                    {"index": i, "tokens": len(toks), "context_length": self.n_ctx},
                )
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            start = 0
            while start < len(token_lists):
                end, used = start, 0
                while end < len(token_lists) and end - start < self.n_seq_max:
                    if used + len(token_lists[end]) > self.n_batch and end > start:
                        break
                    used += len(token_lists[end])
                    end += 1
                self._run(token_lists[start:end], out[start:end])
                start = end
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1, norms)
        return out, sum(len(t) for t in token_lists)

    def _run(self, seqs: list[list[int]], dest: np.ndarray) -> None:
        b = self.batch
        n = 0
        for seq, toks in enumerate(seqs):
            for pos, tok in enumerate(toks):
                b.token[n] = tok
                b.pos[n] = pos
                b.n_seq_id[n] = 1
                b.seq_id[n][0] = seq
                b.logits[n] = 1
                n += 1
        b.n_tokens = n
        if self.mem:
            C.llama_memory_clear(self.mem, True)
        rc = C.llama_encode(self.ctx, b) if self.encoder_only else C.llama_decode(self.ctx, b)
        if rc != 0:
            raise EngineError("decode_failed", f"llama.cpp could not embed this batch (code {rc}).")
        for seq in range(len(seqs)):
            ptr = C.llama_get_embeddings_seq(self.ctx, seq)
            if not ptr:
                raise EngineError("decode_failed", "llama.cpp returned no pooled embedding.")
            dest[seq] = np.ctypeslib.as_array(ptr, shape=(self.dim,))
