"""What the benchmarks share: starting `hezi serve` on a private data directory, an API key, one streamed
completion timed, percentiles."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hezi.serving.bundled import SMOLLM2_NAME  # noqa: E402

PASSWORD = "bench-admin-password"
# An agent's rules, the system prompt that many users of one agent share (prefix_sharing.py, agent_load.py).
RULES = (
    "You are the front desk of the city library. Opening hours: Monday to Friday 9:00-20:00, Saturday 10:00-16:00, "
    "closed on Sundays and public holidays. Members may borrow up to 12 items for 3 weeks and renew twice online "
    "unless someone reserved the item. Late returns cost 0.20 per item per day, capped at 6.00. Lost cards are "
    "replaced at the desk for 2.00. Study rooms are booked online up to 7 days ahead for at most 3 hours. "
)


@dataclass
class Streamed:
    text: str
    tokens: int  # as the usage says, else the pieces that came
    seconds: float
    first: float  # seconds to the first piece of text


def stream_completion(
    url: str, key: str, prompt: str, max_tokens: int, http: httpx.Client | None = None, **extra: object
) -> Streamed:
    """One streamed /v1/completions call at temperature 0 (hezi's gateway or llama-server), timed from before
    the request; with no `http` the time includes making a client, as a one-off caller's would."""
    body = {"model": SMOLLM2_NAME, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}, **extra}  # fmt: skip
    start = time.perf_counter()
    first, pieces, tokens = None, [], 0
    client = http or httpx.Client(timeout=600)
    try:
        with client.stream("POST", f"{url}/v1/completions", json=body, headers={"Authorization": f"Bearer {key}"}) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                if not line.startswith("data: {"):
                    continue
                chunk = json.loads(line[6:])
                if chunk.get("usage"):
                    tokens = chunk["usage"]["completion_tokens"]
                piece = chunk["choices"][0].get("text") if chunk.get("choices") else None
                if piece:
                    pieces.append(piece)
                    if first is None:
                        first = time.perf_counter() - start
    finally:
        if http is None:
            client.close()
    seconds = time.perf_counter() - start
    return Streamed("".join(pieces), tokens or len(pieces), seconds, first or seconds)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def raise_open_files(wanted: int) -> int:
    """Lift this process's (and its children's) open-file limit towards `wanted`; returns the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Hezi:
    proc: subprocess.Popen[bytes]
    url: str
    key: str
    data_dir: Path
    deployment_id: str

    @property
    def chat_socket(self) -> Path:
        """The chat worker's Unix socket (the supervisor names it after the deployment), to call it directly."""
        return self.data_dir / "run" / f"{self.deployment_id.replace('-', '')[:12]}-0.sock"

    def stop(self) -> None:
        """Stop hezi (which stops its workers and PostgreSQL), then remove its data directory."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_hezi(
    threads: int | None,
    *,
    parallel: int = 8,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    deployment: dict[str, object] | None = None,
) -> Hezi:
    """`hezi serve` with the bundled SmolLM2 deployed with `threads` (None: hezi's choice), `parallel` and the other
    `deployment` settings given, ready, and an API key."""
    wanted = deployment or {}
    # A benchmark stopped with SIGTERM still runs its `finally` blocks, which stop hezi (and so its workers).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data = Path(tempfile.mkdtemp(prefix="hezi-bench-"))
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "HEZI_DATA_DIR": str(data), "HEZI_PORT": str(port), "HEZI_ADMIN_PASSWORD": PASSWORD,
           "HEZI_RUN_WORKER": "false", "HEZI_LOG_LEVEL": "WARNING", **(env or {})}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "hezi", "serve"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    token = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"hezi exited with code {proc.returncode} while starting")
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
                    differs = any(dep.get(k) != v for k, v in wanted.items())
                    if (threads is not None and dep["threads"] != threads) or dep["parallel"] != parallel or differs:
                        spec = {"context_size": 2048, "parallel": parallel, "threads": threads or dep["threads"],
                                **wanted}  # fmt: skip
                        httpx.put(f"{url}/api/models/{chat['id']}/deployment", json=spec, headers=auth, timeout=30)
                        time.sleep(1)
                        continue
                    ws = httpx.get(f"{url}/api/auth/me", headers=auth).json()["workspaces"][0]["id"]
                    key = httpx.post(f"{url}/api/workspaces/{ws}/api-keys", json={"name": "bench"}, headers=auth).json()
                    return Hezi(proc, url, key["key"], data, dep["id"])
        except (httpx.TransportError, StopIteration, KeyError):
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("hezi did not start in time")
