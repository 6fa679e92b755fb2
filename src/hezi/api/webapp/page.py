"""The web app's page at /app/{token} (`?embed=1`: the widget's iframe, without page chrome) and the widget's script
at /app/{token}/widget.js. Both are files of the built web UI (web/dist/webapp.html, web/dist/widget.js); what this
adds is which pages may frame them: `Content-Security-Policy: frame-ancestors` lists the app's allowed origins for
the iframe, and only hezi itself for the full page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from hezi.api.deps import SettingsDep
from hezi.api.webapp.deps import DoorDep
from hezi.apps.errors import AppNotFound, AppUnavailable
from hezi.db.tables import App

router = APIRouter(include_in_schema=False)

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>hezi</title>
<p>The hezi web UI has not been built. Run <code>make web</code>.</p>"""


def _frame_ancestors(app: App | None, embed: bool) -> str:
    origins = [o for o in (app.allowed_origins if app is not None and embed else []) if " " not in o and ";" not in o]
    return "frame-ancestors " + " ".join(["'self'", *origins])


@router.get("/app/{token}")
@router.get("/app/{token}/")
async def page(token: str, door: DoorDep, settings: SettingsDep, embed: bool = False) -> Response:
    """The page; it asks the API who the visitor is. An unknown token answers 404, a disabled app or a closed
    channel 403, with the same page, which then says so in the visitor's language."""
    status, app = 200, None
    try:
        app = await door.open(token, "widget" if embed else "web_app")
    except AppNotFound:
        status = 404
    except AppUnavailable:
        status = 403
    headers = {
        "Content-Security-Policy": _frame_ancestors(app, embed),
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    html = settings.web_dist.resolve() / "webapp.html"
    if not html.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=503, headers=headers)
    return FileResponse(html, status_code=status, headers=headers, media_type="text/html")


@router.get("/app/{token}/widget.js")
async def widget_js(token: str, door: DoorDep, settings: SettingsDep) -> Response:
    """The widget's script (the same for every app: it reads the app's address from its own `src`); a page whose
    origin the app does not allow gets no bubble, as widget.js asks /api/widget first."""
    script: Path = settings.web_dist.resolve() / "widget.js"
    try:
        await door.open(token, "widget")
    except (AppNotFound, AppUnavailable) as exc:
        body = f"/* hezi: {exc.message} */\n"
        return Response(body, status_code=404, media_type="text/javascript; charset=utf-8")
    if not script.is_file():
        return Response("/* hezi: the web UI has not been built (make web) */\n", status_code=503,
                        media_type="text/javascript; charset=utf-8")  # fmt: skip
    headers = {"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"}
    return FileResponse(script, headers=headers, media_type="text/javascript; charset=utf-8")
