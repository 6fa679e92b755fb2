"""API keys: shown once, authenticate for their workspace only, revocation is immediate."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique


def test_key_authenticates_and_is_listed_without_its_secret(live_server: LiveServer, admin: Api) -> None:
    ws = admin.default_workspace()
    created = admin.create_key(ws, name=unique("ci"))
    assert created["key"].startswith(created["prefix"]) and len(created["key"]) > 40
    assert created["last_used_at"] is None

    as_key = admin.as_token(created["key"])
    me = as_key.me()
    assert me["user"]["username"] == live_server.admin_username
    assert me["api_key_workspace_id"] == ws
    assert [w["id"] for w in me["workspaces"]] == [ws]

    listing = admin.get(f"/api/workspaces/{ws}/api-keys")
    assert created["key"] not in listing.text
    row = next(k for k in listing.json()["data"] if k["id"] == created["id"])
    assert row["prefix"] == created["prefix"] and row["last_used_at"] is not None
    assert row["created_by"] == live_server.admin_username


def test_revocation_takes_effect_at_once(admin: Api) -> None:
    ws = admin.default_workspace()
    created = admin.create_key(ws)
    as_key = admin.as_token(created["key"])
    assert as_key.get("/api/auth/me").status_code == 200
    assert admin.delete(f"/api/workspaces/{ws}/api-keys/{created['id']}").status_code == 204
    err = assert_error(as_key.get("/api/auth/me"), 401, "not_authenticated")
    assert "revoked" in err["message"]
    listed = admin.get(f"/api/workspaces/{ws}/api-keys").json()["data"]
    assert next(k for k in listed if k["id"] == created["id"])["revoked_at"] is not None


def test_a_key_is_bound_to_its_workspace_and_cannot_mint_keys(admin: Api) -> None:
    ws_a = admin.default_workspace()
    ws_b = admin.create_workspace()["id"]
    as_key = admin.as_token(admin.create_key(ws_a)["key"])
    assert as_key.get(f"/api/workspaces/{ws_a}/members").status_code == 200
    assert_error(as_key.get(f"/api/workspaces/{ws_b}/members"), 404)
    assert_error(as_key.post(f"/api/workspaces/{ws_a}/api-keys", json={"name": "child"}), 403, "session_required")
    assert_error(as_key.get("/api/users"), 403, "session_required")


def test_key_creation_and_revocation_are_audited(admin: Api) -> None:
    ws = admin.default_workspace()
    name = unique("audited")
    created = admin.create_key(ws, name=name)
    admin.delete(f"/api/workspaces/{ws}/api-keys/{created['id']}")
    log = admin.get(f"/api/workspaces/{ws}/audit-log", params={"limit": 20}).json()["data"]
    targets = {(e["action"], e["target"]) for e in log}
    label = f"{name} ({created['prefix']}…)"
    assert ("api_key.created", label) in targets and ("api_key.revoked", label) in targets


def test_bad_key_requests(admin: Api) -> None:
    ws = admin.default_workspace()
    assert_error(
        admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": "x", "scopes": ["root"]}),
        400,
        "unknown_scope",
    )
    past = admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": "x", "expires_at": "2001-01-01T00:00:00Z"})
    assert_error(past, 400, "invalid_expiry")
    assert_error(admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": ""}), 422, "validation_error")
    missing = admin.delete(f"/api/workspaces/{ws}/api-keys/00000000-0000-0000-0000-000000000000")
    assert_error(missing, 404, "api_key_not_found")


def test_expired_key_is_refused(admin: Api, db) -> None:  # type: ignore[no-untyped-def]
    ws = admin.default_workspace()
    created = admin.create_key(ws)
    db.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s", (created["id"],))
    err = assert_error(admin.as_token(created["key"]).get("/api/auth/me"), 401)
    assert "expired" in err["message"]
