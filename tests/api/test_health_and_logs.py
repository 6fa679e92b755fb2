"""Health endpoints, request ids and the one structured log line per request."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from tests.conftest import LiveServer


def test_healthz_and_readyz(live_server: LiveServer) -> None:
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{live_server.url}/readyz").json() == {"status": "ok"}


def test_each_request_gets_an_id_and_one_log_line(live_server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hezi.access"):
        given = httpx.get(f"{live_server.url}/healthz", headers={"X-Request-ID": "trace-abc-123"})
        fresh = httpx.get(f"{live_server.url}/api/auth/me")
        assert given.headers["x-request-id"] == "trace-abc-123"
        assert len(fresh.headers["x-request-id"]) == 32
        ids = ("trace-abc-123", fresh.headers["x-request-id"])
        deadline = time.monotonic() + 5  # the line is written just after the response has gone out
        while time.monotonic() < deadline:
            lines = [r.fields for r in caplog.records if r.name == "hezi.access"]  # type: ignore[attr-defined]
            mine = [f for f in lines if f["request_id"] in ids]
            if len(mine) >= 2:
                break
            time.sleep(0.05)
    assert len(mine) == 2
    by_path = {f["path"]: f for f in mine}
    assert by_path["/healthz"]["status"] == 200 and by_path["/healthz"]["method"] == "GET"
    assert by_path["/api/auth/me"]["status"] == 401
    assert all(isinstance(f["duration_ms"], float) for f in mine)


def test_openapi_schema_is_served(live_server: LiveServer) -> None:
    schema = httpx.get(f"{live_server.url}/api/openapi.json").json()
    assert "/api/workspaces/{workspace_id}/api-keys" in schema["paths"]
    assert "ApiKeyCreated" in schema["components"]["schemas"]


def test_console_pages_fall_back_to_the_app(live_server: LiveServer) -> None:
    for path in ("/", "/login", "/settings/api-keys"):
        r = httpx.get(f"{live_server.url}{path}")
        assert r.status_code == 200 and '<div id="root">' in r.text, path
