"""Who calls a web app's API, from which page, through which channel; the visitor cookie; CORS for allowed origins.

A request from a page on another origin (its `Origin` header) is answered only when the app lists that origin in
`allowed_origins`, with CORS headers naming it; any other is refused (`403 origin_not_allowed`, no CORS headers),
which is also what keeps other sites from posting with a visitor's cookie. The page itself and the widget's iframe
are hezi's own origin. See docs/decisions/0022-web-app-visitors-and-widget.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from hezi.accounts.auth import AuthService
from hezi.accounts.principal import Caller
from hezi.accounts.throttle import ThrottlePolicy
from hezi.api.deps import SESSION_COOKIE, ServicesDep, SessionDep, SettingsDep, client_ip
from hezi.apps import gate
from hezi.apps.errors import OriginNotAllowed
from hezi.apps.webapp import Entry, WebAppDoor
from hezi.db.tables import App
from hezi.errors import Unauthenticated
from hezi.settings import Settings

VISITOR_COOKIE = "hezi_visitor"
# The widget's iframe on a page of another site over plain http gets no cookie (SameSite); it keeps the visitor
# token in its own (partitioned) storage and sends it in this header instead.
VISITOR_HEADER = "x-hezi-visitor"
EMBED_HEADER = "x-hezi-embed"  # "1" from the widget's iframe: the widget channel
VISITOR_MAX_AGE = timedelta(days=365)
_CORS_STATE = "webapp_cors_origin"
_GRANT_KEY_PURPOSE = "hezi web-app password grants v1"


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "Retry-After",
        "Vary": "Origin",
    }


class WebAppRoute(APIRoute):
    """A route whose answers — errors included — carry CORS headers for the allowed origin that called it."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                origin = scope.get("state", {}).get(_CORS_STATE)
                if origin:
                    headers = MutableHeaders(scope=message)
                    for name, value in cors_headers(origin).items():
                        headers[name] = value
            await send(message)

        await super().handle(scope, receive, send_with_cors)


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    """Password attempts are throttled as console logins are, by the same settings."""
    return ThrottlePolicy(
        slow_after=settings.login_slow_after,
        max_failures=settings.login_max_failures,
        ip_max_failures=settings.login_ip_max_failures,
        lockout_seconds=settings.login_lockout_seconds,
        window_seconds=settings.login_failure_window_seconds,
        delay_seconds=settings.login_delay_seconds,
    )


async def get_door(db: SessionDep, services: ServicesDep, settings: SettingsDep) -> WebAppDoor:
    key = services.secrets.derive(_GRANT_KEY_PURPOSE)
    return WebAppDoor(db, services.visitors, throttle_policy(settings), key)


DoorDep = Annotated[WebAppDoor, Depends(get_door)]


def check_origin(request: Request, app: App) -> bool:
    """Whether the request comes from a page on another origin (then allowed, with CORS); raises if not allowed."""
    origin = request.headers.get("origin")
    if origin is None or origin == own_origin(request):
        return False
    if origin not in app.allowed_origins:
        raise OriginNotAllowed(f"Pages on {origin[:200]} may not use this app: it is not among its allowed origins.")
    request.state.webapp_cors_origin = origin
    return True


def visitor_token(request: Request) -> str | None:
    return request.headers.get(VISITOR_HEADER) or request.cookies.get(VISITOR_COOKIE)


def embedded(request: Request) -> bool:
    return request.headers.get(EMBED_HEADER) == "1"


async def member(request: Request, app: App, db: SessionDep, settings: Settings) -> Caller | None:
    """The console session of a workspace app's visitor, if signed in."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if app.access != "workspace" or not cookie:
        return None
    try:
        principal = await AuthService.from_settings(db, settings).authenticate(cookie)
    except Unauthenticated:
        return None
    return Caller(principal=principal, ip=client_ip(request))


@dataclass(frozen=True)
class Visit:
    """A request let into an app: the app, the channel it came through, and the end user it acts as."""

    app: App
    channel: gate.Channel
    entry: Entry


async def opened(request: Request, token: str, door: DoorDep) -> tuple[App, gate.Channel]:
    """The app at /app/{token}, if the calling page may use it and its channel is open: the widget's (from the
    iframe or an allowed origin) or the web app's."""
    app = await door.find(token)
    foreign = check_origin(request, app)
    channel: gate.Channel = "widget" if foreign or embedded(request) else "web_app"
    return await door.open(token, channel), channel


async def get_visit(
    request: Request,
    door: DoorDep,
    db: SessionDep,
    settings: SettingsDep,
    app_channel: Annotated[tuple[App, gate.Channel], Depends(opened)],
) -> Visit:
    """Let in a visitor with a token (or a member): 401 with what is missing otherwise."""
    app, channel = app_channel
    entry = await door.enter(app, visitor_token(request), await member(request, app, db, settings), issue=False)
    return Visit(app, channel, entry)


VisitDep = Annotated[Visit, Depends(get_visit)]
OpenedDep = Annotated[tuple[App, gate.Channel], Depends(opened)]


def set_visitor_cookie(response: Response, request: Request, app: App, token: str, settings: Settings) -> None:
    """The visitor token in an HttpOnly cookie for this app's path only. Over https it is SameSite=None; Secure;
    Partitioned, so that the widget's iframe on another site keeps it; over plain http (where browsers refuse
    Secure cookies) it is SameSite=Lax: the page and same-site iframes keep it, others use the header."""
    secure = settings.cookie_secure or request.url.scheme == "https"
    parts = [
        f"{VISITOR_COOKIE}={token}",
        f"Max-Age={int(VISITOR_MAX_AGE.total_seconds())}",
        f"Path=/app/{app.token}",
        "HttpOnly",
        "SameSite=None; Secure; Partitioned" if secure else "SameSite=Lax",
    ]
    response.headers.append("set-cookie", "; ".join(parts))
