"""The box's hardware: inventory, the latest sample and history, for the Dashboard."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from hezi.api.deps import CallerDep, ServicesDep, SessionDep
from hezi.hardware.sampler import history

router = APIRouter(prefix="/hardware", tags=["hardware"])


@router.get("")
async def hardware(services: ServicesDep, caller: CallerDep) -> dict[str, Any]:
    """What the box has, and its load a few seconds ago. Server paths are for platform administrators only."""
    sampler = services.sampler
    latest = sampler.latest
    if latest is None:  # before the first sample: read now, off the event loop (NVML and /proc reads block)
        latest = await asyncio.to_thread(sampler.sample)
    out = {"inventory": latest.inventory.to_json(), "latest": latest.to_json()}
    if not caller.principal.user.is_superuser:
        out["inventory"]["disk"]["path"] = out["latest"]["disk"]["path"] = ""
    return out


@router.get("/history")
async def hardware_history(
    _: CallerDep, db: SessionDep, minutes: Annotated[int, Query(ge=1, le=1440)] = 60
) -> dict[str, Any]:
    """Samples of the last `minutes` (up to 24 hours), averaged into at most 240 points."""
    return {"minutes": minutes, "points": await history(db, minutes=minutes)}
