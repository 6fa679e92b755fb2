"""Helpers for app tests: an agent with published versions, and an app serving one."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, unique


def published_agent(api: Api, ws: str, versions: int = 1, **body: Any) -> dict[str, Any]:
    r = api.post(f"/api/workspaces/{ws}/agents", json={"name": unique("agent"), **body})
    assert r.status_code == 201, r.text
    agent = dict(r.json())
    for _ in range(versions):
        p = api.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={})
        assert p.status_code in (200, 201), p.text
    return agent


def make_app(api: Api, ws: str, **body: Any) -> dict[str, Any]:
    if "agent_id" not in body:
        body["agent_id"] = published_agent(api, ws)["id"]
    r = api.post(f"/api/workspaces/{ws}/apps", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
