"""Starts, health-checks and restarts the worker processes of deployed models.

Each replica is one `hezi.serving.llamacpp.worker` process on its own Unix socket. It is *ready* only after
a real one-token generation succeeded. When it dies it is restarted after a backoff that doubles from one
second up to a minute, and resets once a replica has stayed up for a while. Its output goes to a log file
and its last lines are kept for the console.

Every change of a replica's status sets the event `changed()` handed out before it, so the gateway can wait for a
replica that is starting or restarting without polling.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hezi.serving.worker_http import WorkerClient

log = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
STABLE_AFTER = 60.0  # seconds up before the backoff resets
HEALTH_INTERVAL = 15.0
HEALTH_FAILURES_BEFORE_RESTART = 3
START_TIMEOUT = 300.0  # loading a big GGUF from a slow disk takes a while


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs; a change of spec restarts the replicas."""

    deployment_id: uuid.UUID
    model_name: str
    model_path: str
    kind: str  # chat | embedding
    context_size: int
    threads: int
    gpu_layers: int
    parallel: int
    replicas: int
    device: str = "cpu"
    pinned: int = 0  # sequences kept for published apps' prompt prefixes (chat)
    kv_unified: bool = False  # one KV cache for every sequence (chat; decision 0024)

    def argv(self, socket_path: Path) -> list[str]:
        return [
            sys.executable, "-m", "hezi.serving.llamacpp.worker",
            "--model", self.model_path, "--name", self.model_name, "--socket", str(socket_path),
            "--ctx", str(self.context_size), "--parallel", str(self.parallel),
            "--threads", str(self.threads), "--gpu-layers", str(self.gpu_layers),
            "--kind", self.kind, "--pinned", str(self.pinned if self.kind == "chat" else 0),
            *(["--kv-unified"] if self.kv_unified and self.kind == "chat" else []),
        ]  # fmt: skip


@dataclass
class Replica:
    spec: WorkerSpec
    index: int
    socket_path: Path
    log_path: Path
    status: str = "starting"  # starting | ready | failed | stopped
    pid: int | None = None
    restarts: int = 0
    last_error: str | None = None
    started_at: float | None = None
    in_flight: int = 0
    served: bool = False  # the last run got ready: a crash in service, not a model that fails to load
    restart_at: float | None = None  # monotonic time of the next start, while failed and backing off
    lines: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200))
    health: dict[str, Any] = field(default_factory=dict)  # the worker's last /health (chat: its engine's counters)
    process: asyncio.subprocess.Process | None = None
    task: asyncio.Task[None] | None = None
    _shared: httpx.AsyncClient | None = None
    _worker: WorkerClient | None = None

    def client(self, timeout: float | None = None) -> httpx.AsyncClient:
        """A fresh client (for health checks, which must not share a broken connection)."""
        # Plain HTTP on a Unix socket: verify=False spares loading the CA bundle, ~40 ms of CPU on the event loop
        # that serves every request, for each health check.
        transport = httpx.AsyncHTTPTransport(uds=str(self.socket_path), verify=False)
        return httpx.AsyncClient(transport=transport, base_url="http://worker", timeout=timeout)

    @property
    def shared(self) -> httpx.AsyncClient:
        """One pooled client per replica for serving requests: keeps connections to the worker open."""
        if self._shared is None:
            transport = httpx.AsyncHTTPTransport(
                uds=str(self.socket_path), limits=httpx.Limits(max_connections=None), verify=False
            )
            timeout = httpx.Timeout(None, connect=10.0)  # a stream may wait long in the queue, never to connect
            self._shared = httpx.AsyncClient(transport=transport, base_url="http://worker", timeout=timeout)
        return self._shared

    @property
    def worker(self) -> WorkerClient:
        """Kept connections for generation requests, the call on every chat request's path (see worker_http)."""
        if self._worker is None:
            self._worker = WorkerClient(self.socket_path)
        return self._worker

    async def drop_client(self) -> None:
        if self._shared is not None:
            await self._shared.aclose()
            self._shared = None
        if self._worker is not None:
            await self._worker.aclose()
            self._worker = None

    def public(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "pid": self.pid,
            "restarts": self.restarts,
            "in_flight": self.in_flight,
            "last_error": self.last_error,
            "uptime_s": round(time.monotonic() - self.started_at, 1) if self.started_at else None,
        }


class Supervisor:
    def __init__(self, run_dir: Path, log_dir: Path) -> None:
        self.run_dir = run_dir
        self.log_dir = log_dir
        self._replicas: dict[uuid.UUID, list[Replica]] = {}
        self._specs: dict[uuid.UUID, WorkerSpec] = {}
        self._changed = asyncio.Event()
        # Called (in a task of its own) each time a replica becomes ready, e.g. to warm published apps' prefixes.
        self.on_ready: list[Callable[[Replica], Coroutine[Any, Any, None]]] = []
        self._hooks: set[asyncio.Task[None]] = set()

    # --- what the rest of hezi asks ---

    def changed(self) -> asyncio.Event:
        """An event set at the next change of any replica's status (or of the deployments); take it, then look."""
        return self._changed

    def coming(self, model_name: str, within: float) -> bool:
        """Whether a replica of the model is expected to be ready soon: it is starting, or it crashed while
        serving and restarts within `within` seconds. A model that failed to load, or is stopped, is not coming."""
        now = time.monotonic()
        for reps in self._replicas.values():
            for r in reps:
                if r.spec.model_name != model_name:
                    continue
                if r.status == "starting":
                    return True
                # restart_at is None for the moment between the exit and the backoff being chosen
                if r.status == "failed" and r.served and (r.restart_at is None or r.restart_at - now <= within):
                    return True
        return False

    def replicas(self, deployment_id: uuid.UUID) -> list[Replica]:
        return list(self._replicas.get(deployment_id, []))

    def ready(self, model_name: str) -> list[Replica]:
        return [
            r
            for reps in self._replicas.values()
            for r in reps
            if r.spec.model_name == model_name and r.status == "ready"
        ]

    def specs(self) -> list[WorkerSpec]:
        return list(self._specs.values())

    def spec_for(self, model_name: str) -> WorkerSpec | None:
        return next((s for s in self._specs.values() if s.model_name == model_name), None)

    def status(self, deployment_id: uuid.UUID) -> str:
        """ready if any replica is; else starting / failed / stopped, in that order of hope."""
        reps = self._replicas.get(deployment_id, [])
        states = {r.status for r in reps}
        for state in ("ready", "starting", "failed"):
            if state in states:
                return state
        return "stopped"

    def instances(self) -> list[tuple[str, int, int]]:
        """(model, replica index, pid) of every live worker, for the hardware sampler."""
        return [
            (r.spec.model_name, r.index, r.pid)
            for reps in self._replicas.values()
            for r in reps
            if r.pid is not None and r.process is not None and r.process.returncode is None
        ]

    def logs(self, deployment_id: uuid.UUID, limit: int = 200) -> list[str]:
        out: list[str] = []
        for r in self._replicas.get(deployment_id, []):
            out.extend(f"[{r.index}] {line}" for line in list(r.lines)[-limit:])
        return out[-limit:]

    # --- lifecycle ---

    async def apply(self, spec: WorkerSpec) -> None:
        """Run the deployment as `spec` says; restarts its replicas if the spec changed."""
        if self._specs.get(spec.deployment_id) == spec and self._replicas.get(spec.deployment_id):
            return
        old = self._replicas.pop(spec.deployment_id, [])
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # The new replicas count as starting while the old ones stop, so requests wait instead of being refused.
        self._specs[spec.deployment_id] = spec
        reps = []
        for i in range(spec.replicas):
            name = f"{spec.deployment_id.hex[:12]}-{i}"
            reps.append(Replica(spec, i, self.run_dir / f"{name}.sock", self.log_dir / f"{name}.log"))
        self._replicas[spec.deployment_id] = reps
        self._notify()
        await asyncio.gather(*(self._stop_replica(r, notify=False) for r in old))  # they share the socket paths
        for rep in reps:
            rep.task = asyncio.create_task(self._keep_running(rep), name=f"replica-{rep.socket_path.stem}")

    async def stop(self, deployment_id: uuid.UUID) -> None:
        reps = self._replicas.pop(deployment_id, [])
        self._specs.pop(deployment_id, None)
        self._notify()
        await asyncio.gather(*(self._stop_replica(r) for r in reps))

    async def close(self) -> None:
        await asyncio.gather(*(self.stop(d) for d in list(self._replicas)))

    # --- one replica ---

    def _notify(self) -> None:
        """Wake everyone waiting on the event handed out so far; later waiters get a fresh one."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _set_status(self, rep: Replica, status: str) -> None:
        rep.status = status
        self._notify()

    async def _keep_running(self, rep: Replica) -> None:
        backoff = BACKOFF_START
        while True:
            up_since = time.monotonic()
            try:
                await self._run_once(rep)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                rep.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("replica %s of %s failed", rep.index, rep.spec.model_name)
            if rep.last_error is None:
                rep.last_error = "\n".join(list(rep.lines)[-10:]) or "the worker exited"
            if time.monotonic() - up_since > STABLE_AFTER:
                backoff = BACKOFF_START
            rep.restart_at = time.monotonic() + backoff
            self._set_status(rep, "failed")
            log.warning("worker for %s exited; restarting in %.0fs", rep.spec.model_name, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)
            rep.restarts += 1
            rep.restart_at = None

    async def _run_once(self, rep: Replica) -> None:
        rep.served = False
        rep.last_error = None
        self._set_status(rep, "starting")
        with contextlib.suppress(FileNotFoundError):
            rep.socket_path.unlink()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **_gpu_env(rep.spec)}
        rep.process = await asyncio.create_subprocess_exec(
            *rep.spec.argv(rep.socket_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl-C in hezi's terminal reaches hezi, which stops workers in order
        )
        rep.pid = rep.process.pid
        rep.started_at = time.monotonic()
        reader = asyncio.create_task(self._pump(rep))
        try:
            await self._wait_started(rep)
            rep.served = True
            self._set_status(rep, "ready")
            for hook in self.on_ready:
                task = asyncio.create_task(hook(rep))
                self._hooks.add(task)
                task.add_done_callback(self._hooks.discard)
            log.info("worker for %s ready (pid %s)", rep.spec.model_name, rep.pid)
            await self._watch(rep)
        finally:
            rep.started_at = None
            if rep.status == "ready":  # at once: no request may be routed to a dead process
                self._set_status(rep, "failed")
            await rep.drop_client()
            if rep.process.returncode is None:
                await _terminate(rep.process)
            await asyncio.wait([reader], timeout=2)
            if rep.process.returncode not in (None, 0):
                rep.last_error = f"exit code {rep.process.returncode}: " + " | ".join(list(rep.lines)[-5:])

    async def _wait_started(self, rep: Replica) -> None:
        assert rep.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if rep.process.returncode is not None:
                raise RuntimeError("the worker exited while loading the model")
            if rep.socket_path.exists() and await self._healthy(rep):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the worker did not become ready in time")

    async def _watch(self, rep: Replica) -> None:
        """Until the process exits, or fails its health check several times in a row."""
        assert rep.process is not None
        failures = 0
        steps: int | None = None
        while True:
            try:
                await asyncio.wait_for(rep.process.wait(), timeout=HEALTH_INTERVAL)
                return
            except TimeoutError:
                pass
            healthy, steps = await self._serving(rep, steps)
            failures = 0 if healthy else failures + 1
            if failures >= HEALTH_FAILURES_BEFORE_RESTART:
                rep.last_error = "health check failed three times in a row"
                return

    async def _serving(self, rep: Replica, steps_before: int | None) -> tuple[bool, int | None]:
        """Whether a ready chat worker still serves, and its engine's step count. A busy one is alive if its engine
        advanced since the last check (a test generation would queue behind the load and time out under a burst,
        and a restart would then fail every request in flight); an idle one must answer a real inference."""
        steps = None
        if rep.spec.kind == "chat":
            try:
                health = await self.read_health(rep, wait=10)
                steps = int(health["steps"])
                if health["active"] or health["queued"]:
                    return steps_before is None or steps > steps_before, steps
            except (httpx.TransportError, OSError, ValueError, KeyError, TypeError):
                return False, None
        return await self._healthy(rep), steps

    async def read_health(self, rep: Replica, wait: float) -> dict[str, Any]:
        """The worker's /health now (waiting at most `wait` seconds), kept on the replica for the console and
        /metrics."""
        async with rep.client(timeout=wait) as client:
            health = (await client.get("/health")).json()
        if not isinstance(health, dict):
            raise ValueError("the worker's /health is not an object")
        rep.health = health
        return health

    async def _healthy(self, rep: Replica) -> bool:
        """A real inference: one token for a chat model, one vector for an embedding model."""
        try:
            async with rep.client(timeout=60) as client:
                if rep.spec.kind == "embedding":
                    r = await client.post("/embed", json={"input": ["ok"]})
                    return r.status_code == 200
                r = await client.post("/generate", json={"prompt": "ok", "max_tokens": 1, "temperature": 0})
                return r.status_code == 200 and '"done"' in r.text
        except (httpx.TransportError, OSError):
            return False

    async def _pump(self, rep: Replica) -> None:
        assert rep.process is not None and rep.process.stdout is not None
        with rep.log_path.open("ab") as fh:
            async for raw in rep.process.stdout:
                fh.write(raw)
                fh.flush()
                rep.lines.append(raw.decode("utf-8", errors="replace").rstrip())

    async def _stop_replica(self, rep: Replica, *, notify: bool = True) -> None:
        if rep.task is not None:
            rep.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await rep.task
        if rep.process is not None and rep.process.returncode is None:
            await _terminate(rep.process)
        rep.status = "stopped"
        if notify:
            self._notify()
        await rep.drop_client()
        with contextlib.suppress(FileNotFoundError):
            rep.socket_path.unlink()


def _gpu_env(spec: WorkerSpec) -> dict[str, str]:
    """Show a worker only the GPU placement gave it (NVML's numbering), or none for a CPU deployment — a CUDA
    build otherwise takes ~0.6 GiB of every visible GPU for its context even with no layers offloaded."""
    if spec.gpu_layers == 0 or not spec.device.startswith("cuda:"):
        return {"CUDA_VISIBLE_DEVICES": ""}
    return {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": spec.device.split(":")[1]}


async def _terminate(proc: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), timeout=grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
