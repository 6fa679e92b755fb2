"""Repeated failed logins are slowed, then refused for a while — per account and per address."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import LiveServer
from tests.helpers import assert_error

DELAY = 4.0


@pytest.fixture(scope="module")
def strict_server(make_server: Callable[..., LiveServer]) -> LiveServer:
    return make_server(
        login_slow_after=2,
        login_max_failures=3,
        login_ip_max_failures=6,
        login_lockout_seconds=3,
        # Long enough to stand far above what a login costs on a loaded machine (argon2): the test compares
        # attempts with each other, never with a fixed time.
        login_delay_seconds=DELAY,
    )


def _timed_login(server: LiveServer, username: str, password: str) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    r = _login(server, username, password)
    return r, time.monotonic() - start


def _login(server: LiveServer, username: str, password: str, ip: str = "127.0.0.1") -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=ip)
    with httpx.Client(base_url=server.url, transport=transport, timeout=30) as client:
        return client.post("/api/auth/login", json={"username": username, "password": password})


def test_account_is_slowed_then_locked_then_released(strict_server: LiveServer) -> None:
    admin = strict_server.admin()
    user = admin.create_user()
    name, good = user["username"], user["password"]

    first, t1 = _timed_login(strict_server, name, "wrong-1")
    second, t2 = _timed_login(strict_server, name, "wrong-2")
    third, t3 = _timed_login(strict_server, name, "wrong-3")  # the attempt after two failures waits first
    for r in (first, second, third):
        assert_error(r, 401)
    assert t3 >= DELAY - 0.1, "the attempt after two failures should be slowed"
    # The first two did not wait: each cost only the server's own work (argon2, over a second on a loaded machine,
    # so they are not compared with the third's extra).
    assert max(t1, t2) < DELAY - 0.1, (t1, t2, t3)

    locked = _login(strict_server, name, good)  # the third failure locked it: even the right password is refused
    err = assert_error(locked, 429, "too_many_attempts")
    retry_after = int(locked.headers["Retry-After"])
    assert 1 <= retry_after <= 3
    assert err["details"]["retry_after"] == retry_after

    # Another account is unaffected by this one's lock.
    other = admin.create_user()
    assert _login(strict_server, other["username"], other["password"]).status_code == 200

    time.sleep(retry_after + 0.2)
    assert _login(strict_server, name, good).status_code == 200

    actions = [e["action"] for e in admin.get("/api/audit-log").json()["data"] if e["actor"] == name]
    assert "login.locked" in actions


def test_one_address_guessing_many_accounts_is_refused(strict_server: LiveServer) -> None:
    admin = strict_server.admin()
    guessing_ip, other_ip = "127.0.0.7", "127.0.0.8"
    for i in range(6):
        assert_error(_login(strict_server, f"nobody-{i}", "guess-guess", ip=guessing_ip), 401)
    victim = admin.create_user()
    refused = _login(strict_server, victim["username"], victim["password"], ip=guessing_ip)
    assert_error(refused, 429, "too_many_attempts")
    # The same account from another address still works: the address was locked, not the account.
    assert _login(strict_server, victim["username"], victim["password"], ip=other_ip).status_code == 200
