"""Published apps for people: the web app at /app/{token} (a full-page chat; `?embed=1` is the widget's iframe),
the widget's script, and the JSON API both call (/app/{token}/api/…), for visitors kept by a signed cookie.

Access (public, password, workspace members), channels and allowed origins are checked on every request through
`apps.webapp` and `apps.gate`; the chat runs through the conversations layer as for any app's end user."""

from fastapi import APIRouter

from hezi.api.webapp import api, page

router = APIRouter()
router.include_router(api.router)
router.include_router(page.router)

__all__ = ["router"]
