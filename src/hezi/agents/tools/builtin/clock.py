"""The current_time tool: the date and time now, in a named IANA time zone or the server's own."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hezi.agents.tools.base import ToolFailed, ToolResult

if TYPE_CHECKING:
    from hezi.agents.context import RunContext


class CurrentTime:
    name = "current_time"
    description = "Get the current date and time, optionally in a time zone such as Asia/Shanghai."

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": {"timezone": {"type": "string", "description": "IANA time zone, e.g. Asia/Shanghai"}},
        }

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        requested = args.get("timezone")
        if requested is not None and not isinstance(requested, str):
            raise ToolFailed("timezone must be a string such as Asia/Shanghai.")
        zone, name = _zone(requested.strip()) if requested and requested.strip() else local_zone()
        now = datetime.now(zone)
        return ToolResult(
            {
                "time": now.isoformat(timespec="seconds"),
                "weekday": now.strftime("%A"),
                "timezone": name,
                "utc_offset": now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
            }
        )


def _zone(name: str) -> tuple[tzinfo, str]:
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolFailed(f"Unknown time zone {name!r}: use an IANA name such as Asia/Shanghai or UTC.") from None


def local_zone() -> tuple[tzinfo, str]:
    """The server's zone and its IANA name where it can be told (TZ, /etc/localtime), else its abbreviation."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = os.readlink(localtime)  # the zone as configured (resolving further may name an alias)
        candidates.append(target.partition("/zoneinfo/")[2])
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name), name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    here = datetime.now().astimezone().tzinfo
    assert here is not None
    return here, datetime.now(here).tzname() or "local"
