"""Errors of the apps domain."""

from __future__ import annotations

from hezi.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated


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


class AppPasswordRequired(Unauthenticated):
    """The web app asks for its password before anything else (a wrong one is `wrong_app_password`)."""

    code = "app_password_required"


class WrongAppPassword(Unauthenticated):
    code = "wrong_app_password"


class AppSignInRequired(Unauthenticated):
    """The web app is for its workspace's members: sign in first."""

    code = "app_sign_in_required"


class NotAppMember(Forbidden):
    code = "app_not_member"


class VisitorRequired(Unauthenticated):
    """A web app's request without a visitor token: the page issues one when it opens."""

    code = "visitor_required"


class OriginNotAllowed(Forbidden):
    """A page on an origin the app does not list in `allowed_origins` called the web app's API."""

    code = "origin_not_allowed"
