"""Signing in and out, sessions by bearer token and by cookie, and password changes."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique


def test_login_returns_a_session_that_works_until_logout(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user()
    api = live_server.api().login(user["username"], user["password"])
    assert api.me()["user"]["username"] == user["username"]

    assert api.post("/api/auth/logout").status_code == 204
    assert_error(api.get("/api/auth/me"), 401, "not_authenticated")


def test_username_is_case_insensitive(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user(unique("mixed"))
    api = live_server.api().login(user["username"].upper(), user["password"])
    assert api.me()["user"]["username"] == user["username"]


def test_wrong_password_and_unknown_user_look_the_same(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user()
    client = live_server.api()
    wrong = client.post("/api/auth/login", json={"username": user["username"], "password": "nope-nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": unique("ghost"), "password": "nope-nope-nope"})
    a = assert_error(wrong, 401, "invalid_credentials")
    b = assert_error(unknown, 401, "invalid_credentials")
    assert a["message"] == b["message"]


def test_failed_and_successful_logins_are_audited(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user()
    client = live_server.api()
    client.post("/api/auth/login", json={"username": user["username"], "password": "wrong-password"})
    client.login(user["username"], user["password"])
    entries = admin.get("/api/audit-log", params={"limit": 50}).json()["data"]
    mine = [(e["action"], e["details"]) for e in entries if e["actor"] == user["username"]]
    assert ("login.succeeded", {}) in mine
    assert ("login.failed", {"reason": "bad_password"}) in mine


def test_disabled_user_cannot_log_in_and_is_signed_out(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user()
    api = live_server.api().login(user["username"], user["password"])
    assert admin.patch(f"/api/users/{user['id']}", json={"is_active": False}).status_code == 200
    assert_error(api.get("/api/auth/me"), 401)
    r = live_server.api().post("/api/auth/login", json={"username": user["username"], "password": user["password"]})
    assert_error(r, 401, "invalid_credentials")


def test_cookie_session_needs_the_csrf_header_for_changes(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as browser:
        r = browser.post(
            "/api/auth/login",
            json={"username": live_server.admin_username, "password": live_server.admin_password},
        )
        assert r.status_code == 200
        set_cookie = r.headers["set-cookie"].lower()
        assert "hezi_session=" in set_cookie and "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert browser.get("/api/auth/me").status_code == 200  # reads work with the cookie alone
        assert_error(browser.post("/api/workspaces", json={"name": "x"}), 403, "csrf_header_missing")
        ok = browser.post("/api/workspaces", json={"name": unique("csrf")}, headers={"X-Requested-With": "hezi"})
        assert ok.status_code == 201
        logout = browser.post("/api/auth/logout", headers={"X-Requested-With": "hezi"})
        assert logout.status_code == 204
        assert_error(browser.get("/api/auth/me"), 401)


def test_password_change_keeps_this_session_and_ends_the_others(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user(password="first-password")
    here = live_server.api().login(user["username"], "first-password")
    elsewhere = live_server.api().login(user["username"], "first-password")

    wrong = here.post("/api/auth/password", json={"current_password": "nope-nope", "new_password": "second-pass"})
    assert_error(wrong, 400, "wrong_password")
    short = here.post("/api/auth/password", json={"current_password": "first-password", "new_password": "short"})
    assert_error(short, 422, "validation_error")

    r = here.post("/api/auth/password", json={"current_password": "first-password", "new_password": "second-pass"})
    assert r.status_code == 204
    assert here.get("/api/auth/me").status_code == 200
    assert_error(elsewhere.get("/api/auth/me"), 401)
    live_server.api().login(user["username"], "second-pass")
    old = live_server.api().post("/api/auth/login", json={"username": user["username"], "password": "first-password"})
    assert_error(old, 401)


def test_admin_password_reset_signs_the_user_out(live_server: LiveServer, admin: Api) -> None:
    user = admin.create_user()
    api = live_server.api().login(user["username"], user["password"])
    r = admin.post(f"/api/users/{user['id']}/password", json={"new_password": "reset-by-admin"})
    assert r.status_code == 204
    assert_error(api.get("/api/auth/me"), 401)
    live_server.api().login(user["username"], "reset-by-admin")


def test_no_credentials_and_garbage_tokens_are_401(live_server: LiveServer) -> None:
    anon = live_server.api()
    assert_error(anon.get("/api/auth/me"), 401, "not_authenticated")
    for token in ("garbage", "hzs_not-a-session", "hzk_not-a-key"):
        assert_error(anon.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)
