"""Routes a request for a model name to a ready worker replica, with a bounded queue per model.

The gateway speaks the workers' internal protocol (see llamacpp/worker.py) and hands back plain events;
the HTTP layer turns them into OpenAI's wire format.

While a model's replicas are starting or restarting after a crash, a request waits for one (woken by the
supervisor, bounded by `wait_for_replica` seconds and by the caller's deadline) instead of being refused; a model
that is stopped, or fails to load, is refused at once. A request whose worker dies before answering anything is
sent once more, to the restarted replica.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from hezi.serving.errors import GenerationRefused, ModelBusy, ModelNotFound, ModelUnavailable, WorkerFailed
from hezi.serving.supervisor import Replica, Supervisor
from hezi.serving.worker_http import WorkerConnectionLost, WorkerConnectTimeout, WorkerUnreachable

# What a worker that was killed looks like from here: the socket refuses, or the connection breaks unanswered.
_DIED_BEFORE_ANSWERING = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_LOST_BEFORE_ANSWERING = (WorkerUnreachable, WorkerConnectionLost)  # the same, on the generation connections
_LAST_EVENTS = ("done", "error")


class Gateway:
    def __init__(self, supervisor: Supervisor, *, queue_per_model: int, wait_for_replica: float = 30.0) -> None:
        self.supervisor = supervisor
        self.queue_per_model = queue_per_model
        self.wait_for_replica = wait_for_replica
        self._waiting: collections.Counter[str] = collections.Counter()  # requests waiting for a replica

    def models(self) -> list[tuple[str, str]]:
        """(name, kind) of every deployed model."""
        return sorted({(s.model_name, s.kind) for s in self.supervisor.specs()})

    def queue_depth(self, model_name: str) -> int:
        return sum(r.in_flight for r in self.supervisor.ready(model_name))

    @asynccontextmanager
    async def _replica(
        self, model_name: str, kind: str, deadline: float | None, avoid: tuple[Replica, int | None] | None = None
    ) -> AsyncIterator[Replica]:
        """A ready replica with room, held for the request. `avoid`: a (replica, pid) that just failed to answer."""
        spec = self.supervisor.spec_for(model_name)
        if spec is None:
            raise ModelNotFound(f"The model {model_name!r} does not exist or is not deployed.")
        if spec.kind != kind:
            what = "an embedding model" if spec.kind == "embedding" else "a chat model"
            raise GenerationRefused("wrong_model_kind", f"{model_name!r} is {what} and cannot serve this endpoint.")
        ready = self._ready(model_name, avoid)
        if not ready:
            ready = await self._wait_ready(model_name, spec.parallel * spec.replicas, deadline, avoid)
        capacity = spec.parallel * len(ready) + self.queue_per_model
        if sum(r.in_flight for r in ready) >= capacity:
            # Roughly how long until a slot frees: one short generation.
            raise ModelBusy(f"The model {model_name!r} is busy; its queue is full.", retry_after=2)
        replica = min(ready, key=lambda r: r.in_flight)
        replica.in_flight += 1
        try:
            yield replica
        finally:
            replica.in_flight -= 1

    def _ready(self, model_name: str, avoid: tuple[Replica, int | None] | None) -> list[Replica]:
        ready = self.supervisor.ready(model_name)
        if avoid is not None:
            ready = [r for r in ready if not (r is avoid[0] and r.pid == avoid[1])]
        return ready

    async def _wait_ready(
        self, model_name: str, slots: int, deadline: float | None, avoid: tuple[Replica, int | None] | None
    ) -> list[Replica]:
        """Wait (woken by the supervisor, never polling) for a replica that is starting or restarting.

        Bounded by `wait_for_replica` and by the caller's `deadline` (time.monotonic()); refused at once when
        nothing is on its way (stopped, failed to load, backing off for longer than the wait) or when as many
        requests already wait as the model could hold.
        """
        limit = time.monotonic() + self.wait_for_replica
        if deadline is not None:
            limit = min(limit, deadline)
        if self._waiting[model_name] >= slots + self.queue_per_model:
            raise ModelBusy(f"The model {model_name!r} is restarting and enough requests wait for it.", retry_after=2)
        self._waiting[model_name] += 1
        try:
            while True:
                changed = self.supervisor.changed()  # taken before looking, so no change is missed
                if self.supervisor.spec_for(model_name) is None:
                    raise ModelUnavailable(f"The model {model_name!r} was stopped.")
                if ready := self._ready(model_name, avoid):
                    return ready
                remaining = limit - time.monotonic()
                dead_replica = avoid is not None and avoid[0].status == "ready" and avoid[0].pid == avoid[1]
                if remaining <= 0 or not (dead_replica or self.supervisor.coming(model_name, within=remaining)):
                    raise ModelUnavailable(
                        f"The model {model_name!r} is not ready (starting, stopped or failed)."
                        if remaining > 0
                        else f"The model {model_name!r} did not become ready in time."
                    )
                try:
                    async with asyncio.timeout(remaining):
                        await changed.wait()
                except TimeoutError:
                    pass
        finally:
            self._waiting[model_name] -= 1
            if not self._waiting[model_name]:
                del self._waiting[model_name]

    async def generate(
        self, model_name: str, body: dict[str, Any], *, deadline: float | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Events from the worker: start, token…, then done or error.

        Refusals (unknown model, full queue, prompt too long, bad schema) raise before the first event, so
        the HTTP layer can still answer with a proper status code. `deadline` (time.monotonic()) bounds the
        wait for a restarting replica.
        """
        stream = self._stream(model_name, body, deadline)
        first = await anext(stream)  # raises the refusals
        return _prepend(first, stream)

    async def _stream(
        self, model_name: str, body: dict[str, Any], deadline: float | None
    ) -> AsyncGenerator[dict[str, Any]]:
        avoid: tuple[Replica, int | None] | None = None
        while True:
            last: dict[str, Any] | None = None
            async with self._replica(model_name, "chat", deadline, avoid) as replica:
                pid = replica.pid
                answered = False
                try:
                    async with replica.worker.post("/generate", body) as response:
                        if response.status != 200:
                            err = json.loads(await response.read()).get("error", {})
                            raise GenerationRefused(
                                err.get("code", "invalid_request"), err.get("message", ""), err.get("details")
                            )
                        async for line in response.lines():
                            answered = True
                            event = json.loads(line)
                            if event.get("type") in _LAST_EVENTS:
                                # Handed on once the body has ended (the worker ends it right after): a caller
                                # that stops at this event leaves the connection whole, kept for the next request.
                                last = event
                            else:
                                yield event
                except (WorkerUnreachable, WorkerConnectionLost, WorkerConnectTimeout, json.JSONDecodeError) as exc:
                    if last is None:  # (after the last event, the answer is whole: only the connection is lost)
                        if answered or avoid is not None or not isinstance(exc, _LOST_BEFORE_ANSWERING):
                            raise WorkerFailed(
                                f"The worker for {model_name!r} stopped in the middle of this request; "
                                "it is being restarted."
                            ) from exc
                        # Nothing reached the caller yet: the worker died before answering. Once more, elsewhere.
                        avoid = (replica, pid)
                        continue
            if last is not None:
                yield last
            return

    async def embed(
        self,
        model_name: str,
        inputs: list[str],
        *,
        truncate: bool = False,
        role: str | None = None,
        deadline: float | None = None,
    ) -> tuple[list[list[float]], int]:
        """Vectors and tokens read. `truncate`: embed an over-long input's first tokens rather than refuse it.
        `role` ("query" | "document"): the worker puts the model's prefix for it before each input, if it has one."""
        avoid: tuple[Replica, int | None] | None = None
        while True:
            async with self._replica(model_name, "embedding", deadline, avoid) as replica:
                pid = replica.pid
                try:
                    body = {"input": inputs, "truncate": truncate, "role": role}
                    r = await replica.shared.post("/embed", json=body, timeout=300)
                    break
                except _DIED_BEFORE_ANSWERING as exc:
                    if avoid is not None:
                        raise WorkerFailed(f"The worker for {model_name!r} failed during this request.") from exc
                    avoid = (replica, pid)  # it died before answering: once more, on the restarted replica
                except httpx.TransportError as exc:
                    raise WorkerFailed(f"The worker for {model_name!r} failed during this request.") from exc
        data = r.json()
        if r.status_code != 200:
            err = data.get("error", {})
            raise GenerationRefused(err.get("code", "invalid_request"), err.get("message", ""), err.get("details"))
        return data["data"], int(data["prompt_tokens"])


async def _prepend(first: dict[str, Any], rest: AsyncGenerator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    try:
        yield first
        async for event in rest:
            yield event
    finally:
        await rest.aclose()  # releases the replica and the worker connection when the client goes away
