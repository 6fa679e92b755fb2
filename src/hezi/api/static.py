"""Serves the built web console (web/dist) with a fallback to index.html for client-side routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

# Paths that belong to APIs: an unknown one there is a JSON 404, never the console page.
_API_PREFIXES = ("api/", "v1/", "app/", "healthz", "readyz", "metrics")

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>hezi</title>
<p>The hezi web console has not been built. Run <code>make run</code> (it builds <code>web/</code>).</p>"""


def router_for(dist: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    root = dist.resolve()

    @router.get("/{path:path}")
    async def spa(path: str) -> Response:
        if path.startswith(_API_PREFIXES):
            raise HTTPException(404, "Not found.")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT, status_code=503)
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            # Vite fingerprints files under assets/, so they can be cached for good.
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return router
