"""What tasks receive to reach the services: handed through the worker's additional context."""

from __future__ import annotations

from dataclasses import dataclass

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.knowledge.access import Embed
from hezi.settings import Settings


@dataclass(frozen=True)
class JobDeps:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    # Set in `hezi serve`'s worker, which holds the model gateway; None in a standalone `hezi worker`.
    embed: Embed | None = None


def deps_of(context: procrastinate.JobContext) -> JobDeps:
    deps = context.additional_context["deps"]
    assert isinstance(deps, JobDeps)
    return deps
