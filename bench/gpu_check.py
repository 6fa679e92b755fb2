"""GPU check, for a machine with an NVIDIA GPU and a CUDA build of llama-cpp-python (CI has neither).

    python bench/gpu_check.py MODEL.gguf

1. hezi's NVML readings against `nvidia-smi`.
2. hezi's placement for the model on this machine.
3. For a few deployments (all layers on the GPU, some layers, none): the estimated GPU memory against what the
   loaded model really takes on the GPU (NVML's per-process figure), and generation speed.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hezi.hardware.fit import FitRequest, ModelShape, estimate  # noqa: E402
from hezi.hardware.inventory import Prober  # noqa: E402
from hezi.hardware.placement import place  # noqa: E402
from hezi.serving.gguf_meta import read_gguf  # noqa: E402

CTX, PARALLEL, TOKENS = 2048, 4, 128


def run_engine(model: str, gpu_layers: int, ready: Any, stop: Any) -> None:
    import os
    import uuid

    from hezi.serving.supervisor import WorkerSpec, _gpu_env

    # As the supervisor starts a worker: a CPU deployment sees no GPU, a GPU one only its own.
    device = "cuda:0" if gpu_layers else "cpu"
    os.environ.update(
        _gpu_env(WorkerSpec(uuid.uuid4(), "check", model, "chat", CTX, 8, gpu_layers, PARALLEL, 1, device))
    )
    from hezi.serving.llamacpp.engine import Job, LlamaEngine, SamplingParams

    engine = LlamaEngine(model, n_ctx_per_seq=CTX, n_parallel=PARALLEL, n_threads=8, n_gpu_layers=gpu_layers)
    engine.start()

    class Sink:
        def __init__(self) -> None:
            self.n = 0
            self.finished = threading.Event()

        def token(self, text: str) -> None:
            self.n += 1

        def done(self, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> None:
            self.finished.set()

        def error(self, code: str, message: str) -> None:
            print("engine error", code, message, flush=True)
            self.finished.set()

    def generate() -> float:
        sink = Sink()
        start = time.perf_counter()
        engine.submit(Job(engine.tokenize("Once upon a time"), SamplingParams(max_tokens=TOKENS, temperature=0), sink))
        sink.finished.wait(120)
        return sink.n / (time.perf_counter() - start)

    generate()  # warm-up
    ready.put(generate())
    stop.wait(120)
    engine.stop()


def main() -> None:
    model = sys.argv[1]
    smi = "absent" if shutil.which("nvidia-smi") is None else subprocess.run(
        ["nvidia-smi", "--query-gpu=index,name,memory.total,memory.used,driver_version,utilization.gpu,temperature.gpu,"
         "power.draw", "--format=csv,noheader,nounits"], capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    prober = Prober(Path("/tmp"))
    inv = prober.inventory()
    print("## NVML (hezi) vs nvidia-smi")
    print("nvidia-smi:", smi)
    for g in inv.gpus:
        mib = (g.memory_total // 2**20, g.memory_used // 2**20)
        print(f"hezi:       {g.index}, {g.name}, {mib[0]}, {mib[1]}, {g.driver_version}, {g.utilization_percent}, "
              f"{g.temperature_c}, {g.power_w} (CUDA {g.cuda_version})")  # fmt: skip
    print("CPU:", inv.cpu.model, inv.cpu.cores, "cores", inv.cpu.features)

    shape = ModelShape.from_meta(read_gguf(Path(model)).to_json())
    p = place(shape, CTX, PARALLEL, inv)
    print("\n## placement:", p.to_json())

    print("\n## estimate vs measured GPU memory, and speed")
    print(f"{'gpu_layers':>10} {'estimate GPU':>13} {'measured GPU':>13} {'ratio':>6} {'tok/s':>7}")
    for layers in (-1, shape.n_layer // 2, 0):
        ctx = mp.get_context("spawn")
        ready = ctx.Queue()
        stop = ctx.Event()
        proc = ctx.Process(target=run_engine, args=(model, layers, ready, stop))
        proc.start()
        speed = ready.get(timeout=300)
        used = sum(g2.processes.get(proc.pid, 0) for g2 in prober.nvml.gpus())
        needs = estimate(shape, FitRequest(CTX, PARALLEL, layers), "cuda:0" if layers else None)
        est = needs[1].needed if len(needs) > 1 else 0
        ratio = f"{est / used:.2f}" if used else "-"
        print(f"{layers:>10} {est / 2**20:>12.0f}M {used / 2**20:>12.0f}M {ratio:>6} {speed:>7.1f}", flush=True)
        stop.set()
        proc.join(60)
    prober.close()


if __name__ == "__main__":
    main()
