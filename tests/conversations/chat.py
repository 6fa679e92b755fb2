"""Helpers for chat tests: create an agent, ask it, read the server-sent events."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import Api, unique


def make_agent(api: Api, ws: str, **config: Any) -> dict[str, Any]:
    body = {"name": unique("agent"), "config": {"model_params": {"temperature": 0, "max_tokens": 48}, **config}}
    r = api.post(f"/api/workspaces/{ws}/agents", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def events_of(api: Api, path: str, body: dict[str, Any], timeout: float = 300) -> list[dict[str, Any]]:
    """POST and read the whole event stream."""
    headers = {"Authorization": f"Bearer {api.token}"} if api.token else {}
    out = []
    with api.http.stream("POST", path, json=body, headers=headers, timeout=timeout) as r:
        assert r.status_code == 200, r.read().decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def ask(api: Api, ws: str, agent_id: str, query: str, **body: Any) -> list[dict[str, Any]]:
    return events_of(api, f"/api/workspaces/{ws}/agents/{agent_id}/chat", {"query": query, **body})


def answer_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    ends = [e for e in events if e["event"] == "end"]
    assert ends, f"no end event in {events}"
    return dict(ends[-1]["message"])
