"""Serving benchmark: hezi's gateway against llama.cpp driven directly, measured in the same run.

    .venv/bin/python bench/serving.py [--tokens 256] [--threads N] [--overhead-runs 100] [--anchor llama-server]

It starts `hezi serve` on a private data directory with the bundled SmolLM2 deployed (8 parallel sequences), loads
the same GGUF in this process as the direct baseline, and prints, each against a baseline measured here and now
(these machines are shared and noisy, so the two sides alternate rather than run one after the other):
  1. single stream: gateway tokens/s ÷ direct tokens/s                    (target ≥ 0.95)
  2. eight streams: aggregate tokens/s ÷ single-stream tokens/s           (target ≥ 1.3)
     and p95 time to first token ÷ single-stream time to first token      (target ≤ 3)
  3. a 1-token non-streaming request: p50 and p99 milliseconds added over the direct call (targets ≤ 2 and ≤ 10),
     split into the worker (its HTTP layer and batching loop, called on its Unix socket) and hezi's API process
  4. with --anchor (or when `make bench-anchor` built one): hezi ÷ llama.cpp's own server, same GGUF and threads.
The direct baseline is a plain llama.cpp decode loop (tokenize, one decode per token, a greedy sampler), the work
hezi's engine does per token, not llama-cpp-python's high-level `create_completion`. Both sides use the same raw
prompts (the /v1/completions endpoint), temperature 0 and the same number of threads.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _hezi import SMOLLM2_NAME, percentile, start_hezi, stream_completion

from hezi.serving.bundled import smollm2_path

PROMPTS = [
    "Once upon a time in a small village by the sea, there lived",
    "The history of the printing press begins",
    "Here is a detailed recipe for vegetable soup:",
    "In the year 2150, the first city on Mars",
    "A beginner's guide to growing tomatoes:",
    "The most important rules of chess are",
    "Dear diary, today something strange happened:",
    "The causes of the industrial revolution were",
]
DEFAULT_ANCHOR = Path.home() / ".cache" / "hezi-anchor" / "build" / "bin" / "llama-server"
_openers: list[str] = []  # words that are one token each, each opening one prompt only (see Direct.openers)

Stream = tuple[int, float, float]  # tokens, seconds, time to first token


def fresh(prompt: str) -> str:
    """A prompt no cache has seen: its first token opens no other prompt of the run, so hezi's slots (which keep the
    longest common prefix) reuse nothing and every measurement reads its whole prompt, on both sides. A counter
    would not do: "[12]" and "[13]" share their first tokens."""
    return f" {_openers.pop()} {prompt}"


# --- the direct baseline: llama.cpp's C API in this process -----------------------------------------------------


class Direct:
    """One sequence decoded the way hezi's engine decodes it: same model parameters, context size, batch and threads."""

    def __init__(self, threads: int, n_ctx: int = 2048, n_batch: int = 512) -> None:
        import llama_cpp as C

        from hezi.serving.llamacpp.engine import load_model  # the worker's model parameters (no AMX repacking)

        logging.getLogger("llama-cpp-python").setLevel(logging.WARNING)  # not a line per tensor

        self.C = C
        self.model = load_model(str(smollm2_path()), n_gpu_layers=0, extra_buffers=False)
        self.vocab = C.llama_model_get_vocab(self.model)
        cparams = C.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = n_batch
        cparams.n_ubatch = min(n_batch, 512)
        cparams.n_seq_max = 1
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        cparams.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_DISABLED  # as hezi's CPU workers (decision 0025)
        cparams.no_perf = True
        self.ctx = C.llama_init_from_model(self.model, cparams)
        self.mem = C.llama_get_memory(self.ctx)
        self.batch = C.llama_batch_init(n_batch, 0, 1)
        self.sampler = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        C.llama_sampler_chain_add(self.sampler, C.llama_sampler_init_greedy())
        self.piece = ctypes.create_string_buffer(256)

    def openers(self, n: int) -> list[str]:
        """`n` distinct words that are one token each with a space before them (the vocabulary's " word" tokens)."""
        C, words = self.C, []
        for token in range(1000, int(C.llama_vocab_n_tokens(self.vocab))):
            n_bytes = C.llama_token_to_piece(self.vocab, token, self.piece, len(self.piece), 0, False)
            text = self.piece.raw[:n_bytes].decode("utf-8", errors="replace")
            word = text[1:]
            one_word = text[:1] == " " and len(word) >= 4 and word.isascii() and word.isalpha()
            if one_word and self._tokenize(text) == [token]:
                words.append(word)
                if len(words) == n:
                    return words
        raise RuntimeError(f"only {len(words)} one-token words in the vocabulary")

    def _tokenize(self, text: str) -> list[int]:
        data = text.encode()
        arr = (self.C.llama_token * (len(data) + 8))()
        n = self.C.llama_tokenize(self.vocab, data, len(data), arr, len(arr), True, True)
        return list(arr[:n])

    def _decode(self, tokens: list[int], start: int) -> None:
        b = self.batch
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = t, start + i, 1, 0
            b.seq_id[i][0] = 0
        b.logits[len(tokens) - 1] = 1
        b.n_tokens = len(tokens)
        if self.C.llama_decode(self.ctx, b) != 0:
            raise RuntimeError("llama_decode failed")

    def generate(self, prompt: str, max_tokens: int) -> Stream:
        """(tokens, seconds, time to first token) of one greedy generation from an empty cache."""
        C = self.C
        start = time.perf_counter()
        tokens = self._tokenize(prompt)
        C.llama_memory_seq_rm(self.mem, 0, -1, -1)
        C.llama_sampler_reset(self.sampler)
        self._decode(tokens, 0)
        pos, out, first, text = len(tokens), 0, 0.0, b""
        while True:
            token = C.llama_sampler_sample(self.sampler, self.ctx, -1)
            if C.llama_vocab_is_eog(self.vocab, token):
                break
            n = C.llama_token_to_piece(self.vocab, token, self.piece, len(self.piece), 0, False)
            text += self.piece.raw[:n]
            out += 1
            if out == 1:
                first = time.perf_counter() - start
            if out >= max_tokens:
                break
            self._decode([token], pos)
            pos += 1
        return out, time.perf_counter() - start, first


# --- over HTTP: hezi's gateway, hezi's worker on its socket, llama-server ----------------------------------------


def server_stream(url: str, key: str, prompt: str, max_tokens: int) -> Stream:
    """(tokens, seconds, time to first token) of one streamed /v1/completions call (hezi or llama-server)."""
    s = stream_completion(url, key, prompt, max_tokens)
    return s.tokens, s.seconds, s.first


def eight_streams(url: str, key: str, n: int) -> tuple[float, float]:
    """Aggregate tok/s and p95 time to first token of eight streams at once."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        start = time.perf_counter()
        eight = list(pool.map(lambda p: server_stream(url, key, fresh(p), n), PROMPTS))
        wall = time.perf_counter() - start
    return sum(t for t, _, _ in eight) / wall, percentile([f for _, _, f in eight], 0.95)


def one_token_calls(key: str, url: str, socket: Path) -> tuple[Callable[[str], None], Callable[[str], None], Any]:
    """A 1-token completion through the gateway, and straight to the worker's socket (its internal protocol)."""
    gateway = httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"})
    worker = httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)), base_url="http://worker", timeout=60)

    def via_gateway(prompt: str) -> None:
        body = {"model": SMOLLM2_NAME, "prompt": prompt, "max_tokens": 1, "temperature": 0}
        gateway.post("/v1/completions", json=body).raise_for_status()

    def via_worker(prompt: str) -> None:
        r = worker.post("/generate", json={"prompt": prompt, "max_tokens": 1, "temperature": 0})
        if r.status_code != 200 or '"done"' not in r.text:
            raise RuntimeError(f"worker answered {r.status_code}: {r.text[:200]}")

    def close() -> None:
        gateway.close()
        worker.close()

    return via_gateway, via_worker, close


def start_anchor(binary: str, threads: int, extra: list[str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's own server (--parallel 8, 2048 tokens per sequence) on the same GGUF and threads; `extra`: more
    of its flags (`-fa off` to match a hezi CPU worker's attention)."""
    port = 19000 + os.getpid() % 1000
    argv = [binary, "-m", str(smollm2_path()), "--port", str(port), "--parallel", "8", "-c", str(2048 * 8),
            "-t", str(threads), "-tb", str(threads), "--no-repack", *(extra or [])]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("llama-server did not start")


def ms(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, percentile(values, 0.99) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--overhead-runs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the stream measurements")
    parser.add_argument("--anchor", help=f"a llama-server binary to measure beside hezi (default {DEFAULT_ANCHOR})")
    args = parser.parse_args()
    n = args.tokens
    anchor_bin = args.anchor or (str(DEFAULT_ANCHOR) if os.access(DEFAULT_ANCHOR, os.X_OK) else None)

    direct = Direct(args.threads)
    _openers.extend(direct.openers(20 + args.rounds * (2 + 2 * len(PROMPTS)) + 3 * (args.overhead_runs + 1)))
    hezi = start_hezi(args.threads)
    anchor = start_anchor(anchor_bin, args.threads) if anchor_bin else None
    try:
        url, key = hezi.url, hezi.key
        # Warm-up: every side reads a prompt and generates a few tokens once.
        direct.generate(fresh(PROMPTS[0]), 16)
        server_stream(url, key, fresh(PROMPTS[0]), 16)
        if anchor:
            server_stream(anchor[1], "none", fresh(PROMPTS[0]), 16)
        gw_single: list[Stream] = []
        di_single: list[Stream] = []
        an_single: list[Stream] = []
        gw_eight: list[tuple[float, float]] = []
        an_eight: list[tuple[float, float]] = []
        for _ in range(args.rounds):  # alternate, so drift in the machine's load falls on both sides alike
            gw_single.append(server_stream(url, key, fresh(PROMPTS[0]), n))
            di_single.append(direct.generate(fresh(PROMPTS[0]), n))
            if anchor:
                an_single.append(server_stream(anchor[1], "none", fresh(PROMPTS[0]), n))
            gw_eight.append(eight_streams(url, key, n))
            if anchor:
                an_eight.append(eight_streams(anchor[1], "none", n))

        via_gateway, via_worker, close = one_token_calls(key, url, hezi.chat_socket)
        gw_lat: list[float] = []
        wk_lat: list[float] = []
        di_lat: list[float] = []
        try:
            for call in (via_gateway, via_worker, lambda p: direct.generate(p, 1)):  # warm every path
                call(fresh(PROMPTS[1]))
            paths = ((via_gateway, gw_lat), (via_worker, wk_lat), (lambda p: direct.generate(p, 1), di_lat))
            for _ in range(args.overhead_runs):
                for call, out in paths:
                    prompt = fresh(PROMPTS[1])
                    t0 = time.perf_counter()
                    call(prompt)
                    out.append(time.perf_counter() - t0)
        finally:
            close()
    finally:
        hezi.stop()
        if anchor:
            anchor[0].terminate()
            anchor[0].wait(timeout=30)

    def tps(streams: list[Stream]) -> float:
        return statistics.median(t / s for t, s, _ in streams)

    def ttft(streams: list[Stream]) -> float:
        return statistics.median(f for _, _, f in streams)

    gw_tps, di_tps = tps(gw_single), tps(di_single)
    agg_tps = statistics.median(a for a, _ in gw_eight)
    p95_ttft = statistics.median(p for _, p in gw_eight)
    gw50, gw99 = ms(gw_lat)
    wk50, wk99 = ms(wk_lat)
    di50, di99 = ms(di_lat)
    print(f"# serving benchmark — SmolLM2-135M Q4_1, {args.threads} threads, {n} tokens per stream, "
          f"{args.rounds} alternating rounds, {args.overhead_runs} 1-token requests per path")  # fmt: skip
    print(f"single stream   gateway {gw_tps:7.1f} tok/s   direct {di_tps:7.1f} tok/s   "
          f"ratio {gw_tps / di_tps:.2f}  (target >= 0.95)")  # fmt: skip
    print(f"eight streams   aggregate {agg_tps:7.1f} tok/s ÷ single {gw_tps:7.1f} tok/s = "
          f"{agg_tps / gw_tps:.2f}  (target >= 1.3)")  # fmt: skip
    print(f"time to first   p95 of eight {p95_ttft * 1000:6.1f} ms ÷ single {ttft(gw_single) * 1000:6.1f} ms = "
          f"{p95_ttft / ttft(gw_single):.2f}  (target <= 3)")  # fmt: skip
    print(f"1-token request gateway p50 {gw50:6.2f} ms p99 {gw99:6.2f} ms; worker socket p50 {wk50:6.2f} ms "
          f"p99 {wk99:6.2f} ms; direct p50 {di50:6.2f} ms p99 {di99:6.2f} ms")  # fmt: skip
    print(f"  added over direct: p50 {gw50 - di50:+.2f} ms (target <= 2), p99 {gw99 - di99:+.2f} ms (target <= 10); "
          f"of which the worker {wk50 - di50:+.2f} / {wk99 - di99:+.2f} ms, "
          f"hezi's API process {gw50 - wk50:+.2f} / {gw99 - wk99:+.2f} ms")  # fmt: skip
    if anchor:
        a_tps, a_agg = tps(an_single), statistics.median(a for a, _ in an_eight)
        a_p95 = statistics.median(p for _, p in an_eight)
        print(f"llama-server    single {a_tps:7.1f} tok/s; eight {a_agg:7.1f} tok/s; p95 first token of eight "
              f"{a_p95 * 1000:6.1f} ms")  # fmt: skip
        print(f"hezi ÷ llama-server: single stream {gw_tps / a_tps:.2f}×, eight streams {agg_tps / a_agg:.2f}×, "
              f"time to first token at eight {a_p95 / p95_ttft:.2f}× (its p95 ÷ hezi's)")  # fmt: skip
    else:
        print("llama-server    not built (make bench-anchor builds it): no comparison")


if __name__ == "__main__":
    main()
