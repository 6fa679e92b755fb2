"""Published apps' prompt prefixes, kept computed in their model's workers, and what prefix caching saves.

Every conversation of an app starts with the same tokens: its system prompt and tool schemas. Publishing asks each
ready worker of the app's model to compute them into a pinned sequence (`POST /warm`), from which the engine copies
them into every new conversation. A worker that starts again (after a crash, a redeploy) is asked again for its
model's prefixes, the most recently warmed last, so its least-recently-used order holds. Warming runs in the
background: no request waits for it, and a failed warming only costs the first user the prefill.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from collections.abc import Coroutine, Iterable
from typing import Any

import httpx

from hezi.serving.schemas import PrefixCachePublic
from hezi.serving.supervisor import Replica, Supervisor

log = logging.getLogger(__name__)

REMEMBERED_PER_MODEL = 64  # prefixes asked for again after a restart (a worker holds `pinned` of them)
HEALTH_WAIT = 2.0


class PrefixWarmer:
    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self._wanted: dict[str, collections.OrderedDict[str, dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        supervisor.on_ready.append(self._replica_ready)

    def warm(self, model: str, key: str, body: dict[str, Any]) -> int:
        """Have the ready workers of `model` compute `body`'s prompt (`messages` and `tools`, or `prompt`) into a
        pinned sequence for `key`, now and after each restart. Returns how many workers were asked."""
        wanted = self._wanted.setdefault(model, collections.OrderedDict())
        wanted.pop(key, None)
        wanted[key] = body
        while len(wanted) > REMEMBERED_PER_MODEL:
            wanted.popitem(last=False)
        replicas = [r for r in self.supervisor.ready(model) if _pins(r)]
        for rep in replicas:
            self._spawn(self._send(rep, [(key, body)]))
        return len(replicas)

    async def wait_sent(self) -> None:
        """Until the requests already made have reached the workers (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _replica_ready(self, rep: Replica) -> None:
        if not _pins(rep):
            return
        items = list(self._wanted.get(rep.spec.model_name, {}).items())
        await self._send(rep, items[-rep.spec.pinned :])

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, rep: Replica, items: list[tuple[str, dict[str, Any]]]) -> None:
        try:
            async with rep.client(timeout=30) as client:
                for key, body in items:
                    r = await client.post("/warm", json={**body, "key": key})
                    if r.status_code >= 400:
                        log.warning("warming %s on %s was refused: %s", key, rep.spec.model_name, r.text[:300])
        except (httpx.TransportError, OSError) as exc:
            log.warning("warming on %s failed: %s", rep.spec.model_name, exc)


def _pins(rep: Replica) -> bool:
    return rep.spec.kind == "chat" and rep.spec.pinned > 0 and rep.status == "ready"


async def refresh_health(supervisor: Supervisor) -> None:
    """Read every ready chat worker's counters now (a few ms each on the socket), for a page or a scrape."""
    reps = [
        r
        for spec in supervisor.specs()
        if spec.kind == "chat"
        for r in supervisor.replicas(spec.deployment_id)
        if r.status == "ready"
    ]
    await asyncio.gather(*(_read(supervisor, r) for r in reps))


async def _read(supervisor: Supervisor, rep: Replica) -> None:
    # The last reading stays when a worker does not answer; the supervisor's own checks deal with that worker.
    with contextlib.suppress(httpx.TransportError, OSError, ValueError):
        await supervisor.read_health(rep, wait=HEALTH_WAIT)


def prefix_cache(replicas: Iterable[Replica]) -> PrefixCachePublic | None:
    """The counters of a chat deployment's ready replicas, summed; None when none has reported."""
    healths = [r.health for r in replicas if r.spec.kind == "chat" and r.status == "ready" and r.health]
    if not healths:
        return None

    def total(name: str) -> int:
        return sum(int(h.get(name) or 0) for h in healths)

    return PrefixCachePublic(
        prefix_hits=total("prefix_copies"),
        pinned_hits=total("pinned_hits"),
        tokens_reused=total("tokens_reused"),
        tokens_copied=total("tokens_copied"),
        pinned=total("pinned"),
        pinned_capacity=total("pinned_capacity"),
        pinned_tokens=total("pinned_tokens"),
        pinned_bytes=total("pinned_bytes"),
        pinned_reserved_bytes=total("pinned_reserved_bytes"),
        warmed=total("warmed"),
        evicted=total("evicted"),
    )


def deployment_cache(supervisor: Supervisor, deployment_id: uuid.UUID) -> PrefixCachePublic | None:
    return prefix_cache(supervisor.replicas(deployment_id))
