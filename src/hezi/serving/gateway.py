"""Routes a request for a model name to a ready worker replica, with a bounded queue per model.

The gateway speaks the workers' internal protocol (see llamacpp/worker.py) and hands back plain events;
the HTTP layer turns them into OpenAI's wire format.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from hezi.serving.errors import GenerationRefused, ModelBusy, ModelNotFound, ModelUnavailable, WorkerFailed
from hezi.serving.supervisor import Replica, Supervisor


class Gateway:
    def __init__(self, supervisor: Supervisor, *, queue_per_model: int) -> None:
        self.supervisor = supervisor
        self.queue_per_model = queue_per_model

    def models(self) -> list[tuple[str, str]]:
        """(name, kind) of every deployed model."""
        return sorted({(s.model_name, s.kind) for s in self.supervisor.specs()})

    def queue_depth(self, model_name: str) -> int:
        return sum(r.in_flight for r in self.supervisor.ready(model_name))

    @asynccontextmanager
    async def _replica(self, model_name: str, kind: str) -> AsyncIterator[Replica]:
        spec = self.supervisor.spec_for(model_name)
        if spec is None:
            raise ModelNotFound(f"The model {model_name!r} does not exist or is not deployed.")
        if spec.kind != kind:
            what = "an embedding model" if spec.kind == "embedding" else "a chat model"
            raise GenerationRefused("wrong_model_kind", f"{model_name!r} is {what} and cannot serve this endpoint.")
        ready = self.supervisor.ready(model_name)
        if not ready:
            raise ModelUnavailable(f"The model {model_name!r} is not ready (starting, stopped or failed).")
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

    async def generate(self, model_name: str, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Events from the worker: start, token…, then done or error.

        Refusals (unknown model, full queue, prompt too long, bad schema) raise before the first event, so
        the HTTP layer can still answer with a proper status code.
        """
        stream = self._stream(model_name, body)
        first = await anext(stream)  # raises the refusals
        return _prepend(first, stream)

    async def _stream(self, model_name: str, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any]]:
        async with self._replica(model_name, "chat") as replica:
            client = replica.shared
            try:
                async with client.stream("POST", "/generate", json=body) as response:
                    if response.status_code != 200:
                        await response.aread()
                        err = response.json().get("error", {})
                        raise GenerationRefused(
                            err.get("code", "invalid_request"), err.get("message", ""), err.get("details")
                        )
                    async for line in response.aiter_lines():
                        if line:
                            yield json.loads(line)
            except (httpx.TransportError, json.JSONDecodeError) as exc:
                raise WorkerFailed(
                    f"The worker for {model_name!r} stopped in the middle of this request; it is being restarted."
                ) from exc

    async def embed(
        self, model_name: str, inputs: list[str], *, truncate: bool = False
    ) -> tuple[list[list[float]], int]:
        """Vectors and tokens read. `truncate`: embed an over-long input's first tokens rather than refuse it."""
        async with self._replica(model_name, "embedding") as replica:
            try:
                r = await replica.shared.post("/embed", json={"input": inputs, "truncate": truncate}, timeout=300)
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
