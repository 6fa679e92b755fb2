"""Errors of the apps domain."""

from __future__ import annotations

from hezi.errors import Conflict, InvalidInput, NotFound


class AppNotFound(NotFound):
    code = "app_not_found"


class AppSlugTaken(Conflict):
    code = "app_slug_taken"


class AgentNotPublished(Conflict):
    code = "agent_not_published"


class AgentVersionNotFound(NotFound):
    code = "agent_version_not_found"


class NothingToRollBack(Conflict):
    code = "nothing_to_roll_back"


class AppUnavailable(InvalidInput):
    """Disabled, or the channel asked for is switched off (Dify's `app_unavailable`, 400)."""

    code = "app_unavailable"
