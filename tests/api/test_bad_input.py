"""Bad input gets a 4xx in the one error shape — never a 500 — and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique


def _user_count(admin: Api) -> int:
    return int(admin.get("/api/users").json()["count"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"username": "a", "password": ', 400, "malformed_json"),
        (b"\xff\xfe not utf-8", 400, "malformed_json"),
        (b'{"username": 12, "password": ["x"]}', 422, "validation_error"),
        (b'{"password": "password-123"}', 422, "validation_error"),
        (
            b'{"username": "ok-name", "password": "password-123", "is_superuser": "very"}',
            422,
            "validation_error",
        ),
        (b'{"username": "ok-name", "password": "password-123", "extra": 1}', 422, "validation_error"),
        (b'{"username": "../../etc", "password": "password-123"}', 422, "validation_error"),
        (b'{"username": "ok-name", "password": "short"}', 422, "validation_error"),
        (b"[]", 422, "validation_error"),
        (b"", 422, "validation_error"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_created(admin: Api, body: bytes, status: int, code: str) -> None:
    before = _user_count(admin)
    r = admin.post("/api/users", content=body, headers={"Content-Type": "application/json"})
    err = assert_error(r, status, code)
    if code == "validation_error":
        assert all({"loc", "msg", "type"} <= set(d) for d in err["details"])
    assert _user_count(admin) == before


def test_validation_errors_say_which_field(admin: Api) -> None:
    r = admin.post("/api/users", json={"username": "ok-name"})
    err = assert_error(r, 422, "validation_error")
    assert ["body", "password"] in [d["loc"] for d in err["details"]]


def test_oversized_bodies_are_413(live_server: LiveServer, admin: Api) -> None:
    limit = live_server.settings.max_body_bytes
    big = b'{"name": "' + b"x" * (limit + 10) + b'"}'
    r = admin.post("/api/workspaces", content=big, headers={"Content-Type": "application/json"})
    err = assert_error(r, 413, "payload_too_large")
    assert err["details"] == {"max_bytes": limit}

    def chunks() -> Iterator[bytes]:  # no Content-Length: streamed in pieces
        yield b'{"name": "'
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536
        yield b'"}'

    r = admin.post("/api/workspaces", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_small_chunked_bodies_still_work(admin: Api) -> None:
    name = unique("chunked")

    def chunks() -> Iterator[bytes]:
        yield b'{"name": '
        yield f'"{name}"}}'.encode()

    r = admin.post("/api/workspaces", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201 and r.json()["name"] == name


def test_bad_paths_and_methods(admin: Api) -> None:
    assert_error(admin.get("/api/workspaces/not-a-uuid/members"), 422, "validation_error")
    assert_error(admin.get("/api/no-such-thing"), 404, "not_found")
    assert_error(admin.request("PUT", "/api/auth/me"), 405, "method_not_allowed")
    assert_error(admin.get("/api/audit-log", params={"limit": 0}), 422)
    assert_error(admin.get("/api/audit-log", params={"limit": "lots"}), 422)


def test_wrong_content_type_is_a_clear_error(admin: Api) -> None:
    r = admin.post("/api/workspaces", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500
    assert_error(r, r.status_code)


def test_duplicate_username_is_409(admin: Api) -> None:
    user = admin.create_user()
    r = admin.post("/api/users", json={"username": user["username"].upper(), "password": "password-123"})
    assert_error(r, 409, "username_taken")


def test_invalid_json_on_login_is_400_not_401(live_server: LiveServer) -> None:
    r = httpx.post(f"{live_server.url}/api/auth/login", content=b"{", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")
