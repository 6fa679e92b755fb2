"""A small client for hezi's console API, so tests read as what a user does."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body["error"])


def wait_for(condition: Callable[[], T], what: str, timeout: float = 60, interval: float = 0.2) -> T:
    """Polls `condition` until it returns something truthy, and returns that; fails naming `what` after `timeout` s.

    Tests wait on the very condition they go on to rely on, never for a fixed time.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last seen: {value!r}")
        time.sleep(interval)


def model_ready(api: Api, name: str) -> dict[str, Any] | None:
    """The model called `name` if every replica of its deployment has loaded it and serves, else None."""
    model = next((m for m in api.get("/api/models").json()["data"] if m["name"] == name), None)
    deployment = model["deployment"] if model else None
    if not deployment or deployment["status"] != "ready" or not deployment["instances"]:
        return None
    return model if all(i["status"] == "ready" for i in deployment["instances"]) else None


def wait_model_ready(api: Api, name: str, timeout: float = 120) -> dict[str, Any]:
    """Waits until every replica of `name` is ready: its worker has loaded the model, not merely started."""
    return wait_for(lambda: model_ready(api, name), f"every replica of {name} to be ready", timeout)


def worker_health(app: Any, model_name: str) -> list[dict[str, Any]]:
    """What each ready replica's worker process says of itself (its own /health over its Unix socket), by index.

    The gateway's counters say what hezi asked for; this says what the worker actually did.
    """
    replicas = sorted(app.state.services.supervisor.ready(model_name), key=lambda r: r.index)
    out = []
    for replica in replicas:
        transport = httpx.HTTPTransport(uds=str(replica.socket_path))
        with httpx.Client(transport=transport, base_url="http://worker", timeout=30) as worker:
            out.append(dict(worker.get("/health").json()))
    return out


class Api:
    def __init__(self, base_url: str, **client_kwargs: Any) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30, **client_kwargs)
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    # raw verbs, with the caller's bearer token when signed in
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "authorization" not in {k.lower() for k in headers}:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    # what users do
    def login(self, username: str, password: str) -> Api:
        r = self.http.post("/api/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return self

    def as_token(self, token: str) -> Api:
        other = Api(self.base_url)
        other.token = token
        return other

    def me(self) -> dict[str, Any]:
        r = self.get("/api/auth/me")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def default_workspace(self) -> str:
        return str(self.me()["workspaces"][0]["id"])

    def create_user(self, username: str | None = None, password: str = "password-123", **extra: Any) -> dict[str, Any]:
        r = self.post("/api/users", json={"username": username or unique("user"), "password": password, **extra})
        assert r.status_code == 201, r.text
        return {**r.json(), "password": password}

    def create_workspace(self, name: str | None = None) -> dict[str, Any]:
        r = self.post("/api/workspaces", json={"name": name or unique("ws")})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def create_knowledge_base(self, workspace_id: str | None = None, **body: Any) -> dict[str, Any]:
        """A knowledge base (in a new workspace unless one is named), with its workspace's id under "ws"."""
        ws = workspace_id or self.create_workspace()["id"]
        r = self.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": unique("kb"), **body})
        assert r.status_code == 201, r.text
        return {**r.json(), "ws": ws}

    def add_member(self, workspace_id: str, username: str, role: str) -> dict[str, Any]:
        r = self.post(f"/api/workspaces/{workspace_id}/members", json={"username": username, "role": role})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def create_key(self, workspace_id: str, name: str = "test key", **extra: Any) -> dict[str, Any]:
        r = self.post(f"/api/workspaces/{workspace_id}/api-keys", json={"name": name, **extra})
        assert r.status_code == 201, r.text
        return dict(r.json())
