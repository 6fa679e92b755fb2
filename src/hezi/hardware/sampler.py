"""Samples the box's load every few seconds: kept in memory (for /metrics and the dashboard) and in PostgreSQL
(24 hours of history, thinned to one sample a minute after the first hour)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.db.base import utcnow
from hezi.db.tables import HardwareSample
from hezi.hardware.inventory import Inventory, Prober

log = logging.getLogger(__name__)

# (model name, replica index, pid) of every running model worker.
InstanceLister = Callable[[], list[tuple[str, int, int]]]


@dataclass
class Sample:
    at: datetime
    cpu_percent: float
    inventory: Inventory
    instances: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        inv = self.inventory
        return {
            "at": self.at.isoformat(),
            "cpu_percent": self.cpu_percent,
            "memory": asdict(inv.memory),
            "disk": asdict(inv.disk),
            "gpus": [_gpu_point(g) for g in inv.gpus],
            "instances": self.instances,
        }


def _gpu_point(g: Any) -> dict[str, Any]:
    return {"index": g.index, "name": g.name, "utilization_percent": g.utilization_percent,
            "memory_used": g.memory_used, "memory_total": g.memory_total, "temperature_c": g.temperature_c,
            "power_w": g.power_w}  # fmt: skip


class HardwareSampler:
    def __init__(
        self,
        prober: Prober,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        instances: InstanceLister,
        *,
        interval: float = 5.0,
    ) -> None:
        self.prober = prober
        self.sessionmaker = sessionmaker
        self.list_instances = instances
        self.interval = interval
        self.latest: Sample | None = None
        self._procs: dict[int, psutil.Process] = {}
        self._task: asyncio.Task[None] | None = None
        psutil.cpu_percent(None)  # the first reading only sets the baseline

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="hardware-sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                sample = await asyncio.to_thread(self.sample)
                if self.sessionmaker is not None:
                    await self._store(sample)
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed reading is logged and the next one tried; the server goes on
                log.exception("hardware sampling failed")
            await asyncio.sleep(self.interval)

    def sample(self) -> Sample:
        """Read everything now (blocking: NVML and /proc)."""
        inv = self.prober.inventory()
        instances = []
        alive: set[int] = set()
        for model, index, pid in self.list_instances():
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                    proc.cpu_percent(None)
                mem = proc.memory_info().rss
                cpu = proc.cpu_percent(None)
            except psutil.Error:
                continue
            alive.add(pid)
            gpu_mem = sum(g.processes.get(pid, 0) for g in inv.gpus)
            instances.append({"model": model, "instance": index, "pid": pid, "memory": mem, "gpu_memory": gpu_mem,
                              "cpu_percent": cpu})  # fmt: skip
        self._procs = {pid: p for pid, p in self._procs.items() if pid in alive}
        self.latest = Sample(at=utcnow(), cpu_percent=psutil.cpu_percent(None), inventory=inv, instances=instances)
        return self.latest

    async def _store(self, s: Sample) -> None:
        assert self.sessionmaker is not None
        async with self.sessionmaker() as db:
            db.add(
                HardwareSample(
                    at=s.at, cpu_percent=s.cpu_percent, memory_used=s.inventory.memory.used,
                    memory_total=s.inventory.memory.total, disk_used=s.inventory.disk.used,
                    disk_total=s.inventory.disk.total, gpus=[_gpu_point(g) for g in s.inventory.gpus],
                    instances=s.instances,
                )
            )  # fmt: skip
            await db.commit()


async def history(db: AsyncSession, *, minutes: int, points: int = 240) -> list[dict[str, Any]]:
    """The last `minutes` of samples, averaged into at most `points` buckets for charts."""
    bucket = max(5, int(minutes * 60 / points))
    rows = await db.execute(
        text(
            """
            SELECT date_bin(make_interval(secs => :bucket), at, TIMESTAMPTZ '2000-01-01') AS t,
                   avg(cpu_percent), avg(memory_used)::bigint, max(memory_total),
                   avg(disk_used)::bigint, max(disk_total),
                   (array_agg(gpus ORDER BY at DESC))[1], (array_agg(instances ORDER BY at DESC))[1]
            FROM hardware_samples WHERE at >= now() - make_interval(mins => :minutes)
            GROUP BY t ORDER BY t
            """
        ),
        {"bucket": bucket, "minutes": minutes},
    )
    return [
        {
            "at": t.isoformat(),
            "cpu_percent": round(float(cpu), 1),
            "memory_used": int(mu),
            "memory_total": int(mt),
            "disk_used": int(du),
            "disk_total": int(dt),
            "gpus": gpus,
            "instances": inst,
        }
        for t, cpu, mu, mt, du, dt, gpus, inst in rows.all()
    ]


async def thin(db: AsyncSession, *, now: datetime | None = None) -> int:
    """Drop samples older than a day, and all but one a minute of those older than an hour."""
    now = now or utcnow()
    old = await db.execute(text("DELETE FROM hardware_samples WHERE at < :cut"), {"cut": now - timedelta(days=1)})
    thinned = await db.execute(
        text(
            """
            DELETE FROM hardware_samples WHERE id IN (
                SELECT id FROM (
                    SELECT id, row_number() OVER (PARTITION BY date_trunc('minute', at) ORDER BY at) AS n
                    FROM hardware_samples WHERE at < :cut
                ) ranked WHERE n > 1
            )
            """
        ),
        {"cut": now - timedelta(hours=1)},
    )
    await db.commit()
    return int(getattr(old, "rowcount", 0) or 0) + int(getattr(thinned, "rowcount", 0) or 0)
