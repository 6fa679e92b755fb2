"""GET /metrics in Prometheus' text format: with HEZI_METRICS_TOKEN as a bearer token, or from loopback only."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hezi.api.deps import SettingsDep
from hezi.errors import Forbidden, Unauthenticated
from hezi.serving.prefixes import refresh_health

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.get_secret_value().encode()):
            raise Unauthenticated("Send HEZI_METRICS_TOKEN as 'Authorization: Bearer …'.", code="metrics_token")
    else:
        host = request.client.host if request.client else ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise Forbidden("Metrics are served to this machine only; set HEZI_METRICS_TOKEN to scrape remotely.")
    services = request.app.state.services
    await refresh_health(services.supervisor)  # the workers' prefix-cache counters as of now, not the last check
    body = generate_latest(services.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
