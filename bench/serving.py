"""Serving benchmark: hezi's gateway against llama-cpp-python called directly, measured in the same run.

    .venv/bin/python bench/serving.py [--tokens 256] [--threads N] [--overhead-runs 40]

It starts `hezi serve` on a private data directory with the bundled SmolLM2 deployed (8 parallel sequences),
then prints, each as a ratio against a baseline measured here and now (these machines are shared and noisy):
  1. single stream: gateway tokens/s ÷ direct in-process tokens/s         (target ≥ 0.90)
  2. eight streams: aggregate tokens/s ÷ single-stream tokens/s           (target ≥ 1.3)
     and p95 time to first token ÷ single-stream time to first token      (target ≤ 3)
  3. a 1-token non-streaming request: p50 and p99 milliseconds added over the direct call
Both sides use the same GGUF, the same raw prompt (the /v1/completions endpoint), temperature 0 and the same
number of threads.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hezi.serving.bundled import SMOLLM2_NAME, smollm2_path  # noqa: E402

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
PASSWORD = "bench-admin-password"
_runs = iter(range(1_000_000))


def fresh(prompt: str) -> str:
    """A prompt no cache has seen: every measurement reads its whole prompt, on both sides."""
    return f"[{next(_runs)}] {prompt}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --- the direct baseline -------------------------------------------------------------------------------


def direct_llama(threads: int):  # type: ignore[no-untyped-def]
    import llama_cpp
    import llama_cpp.llama_cpp as lib

    # The same model parameters hezi's worker uses: ggml's extra (AMX) buffer types crash multi-token
    # batches on some Xeon VMs (docs/decisions/0006-llamacpp-worker.md), and Llama() has no switch for it.
    original = lib.llama_model_default_params

    def params():  # type: ignore[no-untyped-def]
        p = original()
        p.use_extra_bufts = False
        return p

    lib.llama_model_default_params = params
    return llama_cpp.Llama(str(smollm2_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)


def direct_stream(llm, prompt: str, max_tokens: int) -> tuple[int, float, float]:  # type: ignore[no-untyped-def]
    """(tokens, seconds, time to first token) for one streamed completion."""
    llm.reset()
    start = time.perf_counter()
    first = None
    tokens = 0
    for _ in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0, stream=True):
        if first is None:
            first = time.perf_counter() - start
        tokens += 1
    return tokens, time.perf_counter() - start, first or 0.0


# --- through the gateway --------------------------------------------------------------------------------


def gateway_stream(url: str, key: str, prompt: str, max_tokens: int) -> tuple[int, float, float]:
    """(tokens, seconds, time to first token) of one streamed /v1/completions call (hezi or llama-server)."""
    body = {"model": SMOLLM2_NAME, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    start = time.perf_counter()
    first = None
    tokens = pieces = 0
    with (
        httpx.Client(timeout=600) as http,
        http.stream("POST", f"{url}/v1/completions", json=body, headers={"Authorization": f"Bearer {key}"}) as r,
    ):
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            if chunk.get("choices") and chunk["choices"][0].get("text"):
                pieces += 1
                if first is None:
                    first = time.perf_counter() - start
    return tokens or pieces, time.perf_counter() - start, first or 0.0


def measure_server(url: str, key: str, n: int) -> tuple[float, float, float, float]:
    """Single-stream tok/s and TTFT, eight-stream aggregate tok/s and p95 TTFT, on fresh prompts."""
    gateway_stream(url, key, fresh(PROMPTS[0]), 16)  # warm-up
    single = [gateway_stream(url, key, fresh(PROMPTS[0]), n) for _ in range(3)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        start = time.perf_counter()
        eight = list(pool.map(lambda p: gateway_stream(url, key, fresh(p), n), PROMPTS))
        wall = time.perf_counter() - start
    return (
        statistics.median(t / s for t, s, _ in single),
        statistics.median(f for _, _, f in single),
        sum(t for t, _, _ in eight) / wall,
        percentile([f for _, _, f in eight], 0.95),
    )


def anchor(binary: str, threads: int, n: int) -> tuple[float, float, float, float]:
    """The same figures for llama.cpp's own server (--parallel 8), started here on the same GGUF and threads."""
    port = 19000 + os.getpid() % 1000
    argv = [binary, "-m", str(smollm2_path()), "--port", str(port), "--parallel", "8", "-c", str(2048 * 8),
            "-t", str(threads), "-tb", str(threads), "--no-repack"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        return measure_server(url, "none", n)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def start_hezi(threads: int) -> tuple[subprocess.Popen[bytes], str, str]:
    data = Path(tempfile.mkdtemp(prefix="hezi-bench-"))
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "HEZI_DATA_DIR": str(data), "HEZI_PORT": str(port), "HEZI_ADMIN_PASSWORD": PASSWORD,
           "HEZI_RUN_WORKER": "false", "HEZI_LOG_LEVEL": "WARNING"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "hezi", "serve"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    token = None
    while time.monotonic() < deadline:
        try:
            if token is None:
                r = httpx.post(f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=5)
                if r.status_code == 200:
                    token = r.json()["token"]
            if token:
                auth = {"Authorization": f"Bearer {token}"}
                models = httpx.get(f"{url}/api/models", headers=auth, timeout=5).json()["data"]
                chat = next(m for m in models if m["name"] == SMOLLM2_NAME)
                dep = chat["deployment"]
                if dep["status"] == "ready":
                    if dep["threads"] != threads:  # same threads as the direct baseline
                        spec = {"context_size": 2048, "parallel": 8, "threads": threads}
                        httpx.put(f"{url}/api/models/{chat['id']}/deployment", json=spec, headers=auth, timeout=30)
                        time.sleep(1)
                        continue
                    ws = httpx.get(f"{url}/api/auth/me", headers=auth).json()["workspaces"][0]["id"]
                    key = httpx.post(f"{url}/api/workspaces/{ws}/api-keys", json={"name": "bench"}, headers=auth).json()
                    return proc, url, key["key"]
        except (httpx.TransportError, StopIteration, KeyError):
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("hezi did not start in time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--overhead-runs", type=int, default=40)
    parser.add_argument("--anchor", help="a llama-server binary to measure beside hezi (make bench-anchor builds one)")
    args = parser.parse_args()
    n = args.tokens

    proc, url, key = start_hezi(args.threads)
    try:
        gw_tps, gw_ttft, agg_tps, p95_ttft = measure_server(url, key, n)

        one = {"model": SMOLLM2_NAME, "max_tokens": 1, "temperature": 0}
        gw_lat = []
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {key}"}) as http:
            http.post(f"{url}/v1/completions", json={**one, "prompt": fresh(PROMPTS[1])})
            for _ in range(args.overhead_runs):
                body = {**one, "prompt": fresh(PROMPTS[1])}
                t0 = time.perf_counter()
                http.post(f"{url}/v1/completions", json=body).raise_for_status()
                gw_lat.append((time.perf_counter() - t0) * 1000)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    # The direct baseline runs after hezi stopped, so the two never share the CPU.
    llm = direct_llama(args.threads)
    direct_stream(llm, fresh(PROMPTS[0]), 16)
    di = [direct_stream(llm, fresh(PROMPTS[0]), n) for _ in range(3)]
    di_tps = statistics.median(t / s for t, s, _ in di)
    di_lat = []
    for _ in range(args.overhead_runs):
        prompt = fresh(PROMPTS[1])
        llm.reset()
        t0 = time.perf_counter()
        llm.create_completion(prompt, max_tokens=1, temperature=0)
        di_lat.append((time.perf_counter() - t0) * 1000)

    print(f"# serving benchmark — SmolLM2-135M Q4_1, {args.threads} threads, {n} tokens per stream")
    print(f"single stream   gateway {gw_tps:7.1f} tok/s   direct {di_tps:7.1f} tok/s   "
          f"ratio {gw_tps / di_tps:.2f}  (target >= 0.90)")  # fmt: skip
    print(f"eight streams   aggregate {agg_tps:7.1f} tok/s ÷ single {gw_tps:7.1f} tok/s = "
          f"{agg_tps / gw_tps:.2f}  (target >= 1.3)")  # fmt: skip
    print(f"time to first   p95 of eight {p95_ttft * 1000:6.1f} ms ÷ single {gw_ttft * 1000:6.1f} ms = "
          f"{p95_ttft / gw_ttft:.2f}  (target <= 3)")  # fmt: skip
    print(f"1-token request gateway p50 {statistics.median(gw_lat):6.1f} ms p99 {percentile(gw_lat, 0.99):6.1f} ms; "
          f"direct p50 {statistics.median(di_lat):6.1f} ms p99 {percentile(di_lat, 0.99):6.1f} ms; "
          f"added p50 {statistics.median(gw_lat) - statistics.median(di_lat):+.1f} ms, "
          f"p99 {percentile(gw_lat, 0.99) - percentile(di_lat, 0.99):+.1f} ms")  # fmt: skip
    if args.anchor:
        a_tps, a_ttft, a_agg, a_p95 = anchor(args.anchor, args.threads, n)
        print(f"llama-server    single {a_tps:7.1f} tok/s; eight ÷ single = {a_agg / a_tps:.2f}; p95 first token "
              f"{a_p95 * 1000:6.1f} ms ÷ single {a_ttft * 1000:6.1f} ms = {a_p95 / a_ttft:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
