"""Each API answers errors in its own shape, chosen by the route that matched — not by the URL's prefix."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Query
from fastapi.routing import APIRoute

from hezi.api.dify.errors import DIFY
from hezi.api.shapes import CONSOLE, JSONRPC, OPENAI, ErrorShape
from hezi.errors import Conflict, TooManyRequests
from tests.api.shapes import console_error, dify_error, openai_error
from tests.conftest import LiveServer
from tests.helpers import Api, unique

NOBODY = str(uuid.UUID(int=1))


@pytest.fixture(scope="module")
def workspace(admin_module: Api) -> str:
    return str(admin_module.create_workspace()["id"])


@pytest.fixture(scope="module")
def admin_module(live_server: LiveServer) -> Iterator[Api]:
    api = live_server.admin()
    yield api
    api.close()


@pytest.fixture(scope="module")
def v1(live_server: LiveServer, admin_module: Api, workspace: str) -> Iterator[httpx.Client]:
    """A client of /v1 holding a key with both the OpenAI (`api`) and the Dify (`datasets`) scope."""
    key = admin_module.create_key(workspace, scopes=["api", "datasets"])["key"]
    with httpx.Client(base_url=f"{live_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def v1_only_datasets(live_server: LiveServer, admin_module: Api, workspace: str) -> Iterator[httpx.Client]:
    key = admin_module.create_key(workspace, scopes=["datasets"])["key"]
    with httpx.Client(base_url=f"{live_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        yield c


# ---- the console: {"error": {"code", "message", "details"}} ---------------------------------------------------


def test_console_errors(live_server: LiveServer, admin_module: Api) -> None:
    invalid = console_error(admin_module.post("/api/users", json={"username": 12}), 422, "validation_error")
    assert invalid["message"] == "Some fields are missing or invalid."  # the console shows `details` per field
    assert {"loc", "msg", "type"} <= set(invalid["details"][0])
    console_error(httpx.get(f"{live_server.url}/api/auth/me"), 401, "not_authenticated")
    console_error(admin_module.get(f"/api/workspaces/{NOBODY}/members"), 404)
    taken = admin_module.create_user()["username"]
    console_error(admin_module.post("/api/users", json={"username": taken, "password": "password-123"}), 409)
    console_error(admin_module.request("PUT", "/api/auth/me"), 405, "method_not_allowed")


def test_console_429_is_the_login_throttle(live_server: LiveServer) -> None:
    name = unique("locked")
    for _ in range(live_server.settings.login_max_failures):
        r = httpx.post(f"{live_server.url}/api/auth/login", json={"username": name, "password": "wrong-password"})
        assert r.status_code == 401, r.text
    r = httpx.post(f"{live_server.url}/api/auth/login", json={"username": name, "password": "wrong-password"})
    err = console_error(r, 429, "too_many_attempts")
    assert int(r.headers["Retry-After"]) > 0 and err["details"]["retry_after"] > 0


# ---- OpenAI's /v1: {"error": {"message", "type", "param", "code"}} ---------------------------------------------


def test_openai_errors(live_server: LiveServer, v1: httpx.Client, v1_only_datasets: httpx.Client) -> None:
    # Invalid fields are 400 (never 422) and name the field in `param` and in the message.
    invalid = openai_error(v1.post("/chat/completions", json={"model": "m"}), 400, "validation_error")
    assert invalid["param"] == "messages" and "messages" in invalid["message"]
    assert invalid["type"] == "invalid_request_error"
    openai_error(v1.post("/chat/completions", content=b"{", headers={"Content-Type": "application/json"}), 400,
                 "malformed_json")  # fmt: skip
    for path in ("/models", "/chat/completions"):
        anonymous = openai_error(httpx.request("GET" if path == "/models" else "POST", f"{live_server.url}/v1{path}",
                                               json={"model": "m", "messages": []}), 401)  # fmt: skip
        assert anonymous["type"] == "authentication_error"
    # Domain errors: an unknown model, a key without the `api` scope.
    chat = {"model": unique("no-such-model"), "messages": [{"role": "user", "content": "hi"}]}
    unknown = openai_error(v1.post("/chat/completions", json=chat), 404, "model_not_found")
    assert unknown["type"] == "invalid_request_error"
    scope = openai_error(v1_only_datasets.get("/models"), 403, "insufficient_scope")
    assert scope["type"] == "permission_error"
    openai_error(v1.delete("/models"), 405, "method_not_allowed")


# ---- Dify's /v1/datasets: {"code", "message", "status"} --------------------------------------------------------


def test_dify_errors(live_server: LiveServer, v1: httpx.Client) -> None:
    missing = dify_error(v1.post("/datasets", json={}), 400, "invalid_param")
    assert missing["params"] == "name"
    dify_error(v1.post("/datasets", content=b"{", headers={"Content-Type": "application/json"}), 400, "bad_request")
    dify_error(httpx.get(f"{live_server.url}/v1/datasets"), 401, "unauthorized")
    dify_error(v1.get(f"/datasets/{NOBODY}"), 404, "not_found")
    dify_error(v1.get("/datasets", params={"page": 0}), 400, "invalid_param")
    dify_error(v1.put("/datasets"), 405, "method_not_allowed")


def test_dify_domain_error(v1: httpx.Client) -> None:
    """This server deploys no embedding model: the knowledge service's ModelNotFound, in Dify's terms."""
    err = dify_error(v1.post("/datasets", json={"name": unique("ds")}), 400, "invalid_param")
    assert "model" in err["message"]


# ---- paths no route matched --------------------------------------------------------------------------------


def test_unknown_paths(live_server: LiveServer, admin_module: Api, v1: httpx.Client) -> None:
    console_error(admin_module.get("/api/no-such-thing"), 404, "not_found")
    console_error(admin_module.post("/api/no-such-thing", json={}), 405)
    # /v1 is shared by OpenAI's and Dify's APIs: an unknown path there answers in hezi's own shape, which
    # OpenAI's SDKs read as well ({"error": {"message", "code"}}).
    console_error(v1.get("/no-such-thing"), 404, "not_found")
    console_error(httpx.get(f"{live_server.url}/v1/no-such-thing"), 404, "not_found")
    # Below /v1/datasets every route is Dify's: an unknown path there answers as Dify does.
    dify_error(v1.get(f"/datasets/{NOBODY}/no-such-thing"), 404, "not_found")


# ---- the shape follows the route: every status, including 429, wherever the route is ---------------------------


def _probe_router(shape: ErrorShape | None, prefix: str) -> APIRouter:
    route_class = shape.route_class if shape else APIRoute  # a plain route declares no shape
    router = APIRouter(prefix=prefix, include_in_schema=False, route_class=route_class)

    @router.get("/busy")
    async def busy() -> None:
        raise TooManyRequests("Slow down.", retry_after=7)

    @router.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Taken.", code="name_taken")

    @router.get("/count")
    async def count(n: int = Query(ge=1)) -> int:
        return n

    return router


@pytest.fixture(scope="module")
def probes(make_server: Callable[..., LiveServer]) -> str:
    """A server of its own with routes of each shape mounted where another API's routes live."""
    server = make_server()
    routes = server.app.router.routes
    for shape, prefix in ((OPENAI, "/api/probe-openai"), (DIFY, "/api/probe-dify"), (JSONRPC, "/api/probe-jsonrpc"),
                          (None, "/v1/probe-console")):  # fmt: skip
        server.app.include_router(_probe_router(shape, prefix))
        routes.insert(0, routes.pop())  # ahead of the web console's catch-all
    return server.url


def test_the_route_chooses_the_shape_not_the_url(probes: str) -> None:
    r = httpx.get(f"{probes}/api/probe-openai/busy")
    assert openai_error(r, 429, "too_many_requests")["type"] == "rate_limit_error"
    assert r.headers["Retry-After"] == "7"
    openai_error(httpx.get(f"{probes}/api/probe-openai/conflict"), 409, "name_taken")
    assert openai_error(httpx.get(f"{probes}/api/probe-openai/count?n=0"), 400, "validation_error")["param"] == "n"

    r = httpx.get(f"{probes}/api/probe-dify/busy")
    dify_error(r, 429, "too_many_requests")
    assert r.headers["Retry-After"] == "7"
    dify_error(httpx.get(f"{probes}/api/probe-dify/conflict"), 409, "conflict")
    assert dify_error(httpx.get(f"{probes}/api/probe-dify/count?n=0"), 400, "invalid_param")["params"] == "n"

    r = httpx.get(f"{probes}/v1/probe-console/busy")
    console_error(r, 429, "too_many_requests")
    assert r.headers["Retry-After"] == "7"
    console_error(httpx.get(f"{probes}/v1/probe-console/count?n=0"), 422, "validation_error")

    r = httpx.get(f"{probes}/api/probe-jsonrpc/busy")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    body = r.json()
    assert body["jsonrpc"] == "2.0" and body["id"] is None
    assert body["error"]["code"] == -32000 and body["error"]["data"]["code"] == "too_many_requests"
    assert httpx.get(f"{probes}/api/probe-jsonrpc/count?n=0").json()["error"]["code"] == -32602

    # A path no route matched: the shape of its nearest routes where they agree, hezi's own where they do not.
    openai_error(httpx.get(f"{probes}/api/probe-openai/nope"), 404, "not_found")
    dify_error(httpx.get(f"{probes}/api/probe-dify/nope"), 404, "not_found")
    console_error(httpx.get(f"{probes}/api/nope"), 404, "not_found")


# ---- encoders, for errors that happen mid-stream ------------------------------------------------------------


def _event(frame: bytes) -> dict[str, Any]:
    text = frame.decode()
    assert text.startswith("data: ") and text.endswith("\n\n") and text.count("\n") == 2, text
    return dict(json.loads(text.removeprefix("data: ")))


def test_mid_stream_errors_are_one_event_in_the_apis_shape() -> None:
    openai = _event(OPENAI.sse_event(503, "worker_failed", "The model stopped; 模型已停止。"))
    assert openai == {"error": {"message": "The model stopped; 模型已停止。", "type": "server_error", "param": None,
                                "code": "worker_failed"}}  # fmt: skip
    dify = _event(DIFY.sse_event(500, "internal_error", "Broken.", task_id="t1", message_id="m1"))
    assert dify == {"event": "error", "code": "internal_server_error", "message": "Broken.", "status": 500,
                    "task_id": "t1", "message_id": "m1"}  # fmt: skip
    console = _event(CONSOLE.sse_event(503, "unavailable", "Later."))
    assert console == {"error": {"code": "unavailable", "message": "Later.", "details": None}}
    rpc = _event(JSONRPC.sse_event(500, "internal_error", "Broken.", id=7))
    assert rpc["jsonrpc"] == "2.0" and rpc["id"] == 7 and rpc["error"]["code"] == -32603


def test_json_rpc_codes() -> None:
    def code(status: int, hezi_code: str) -> int:
        status, body = JSONRPC.body(status, hezi_code, "m")
        assert set(body) == {"jsonrpc", "id", "error"} and set(body["error"]) == {"code", "message", "data"}
        assert body["error"]["data"]["code"] == hezi_code and body["error"]["data"]["status"] == status
        return int(body["error"]["code"])

    assert code(400, "malformed_json") == -32700
    assert code(422, "validation_error") == -32602
    assert code(400, "nul_character") == -32602
    assert code(404, "not_found") == -32601
    assert code(500, "internal_error") == -32603
    assert code(401, "not_authenticated") == -32000


def test_openai_reports_invalid_fields_as_400() -> None:
    status, body = OPENAI.body(422, "validation_error", "Invalid 'model'", [{"loc": ["body", "model"]}])
    assert status == 400 and body["error"]["param"] == "model"
