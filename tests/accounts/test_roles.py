"""Who may do what: roles inside a workspace, and nothing across workspaces."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.helpers import Api, assert_error


@pytest.fixture
def team(live_server: LiveServer, admin: Api) -> dict[str, Any]:
    """A fresh workspace owned by a fresh owner, with one admin, one editor and one member."""
    owner_user = admin.create_user()
    owner = live_server.api().login(owner_user["username"], owner_user["password"])
    ws = owner.create_workspace()
    people: dict[str, Any] = {"ws": ws["id"], "owner": owner, "owner_user": owner_user}
    for role in ("admin", "editor", "member"):
        u = admin.create_user()
        owner.add_member(ws["id"], u["username"], role)
        people[role] = live_server.api().login(u["username"], u["password"])
        people[f"{role}_user"] = u
    return people


def test_member_cannot_manage_keys_or_members_or_users(team: dict[str, Any], admin: Api) -> None:
    member: Api = team["member"]
    ws = team["ws"]
    assert_error(member.get(f"/api/workspaces/{ws}/api-keys"), 403, "forbidden")
    assert_error(member.post(f"/api/workspaces/{ws}/api-keys", json={"name": "k"}), 403, "forbidden")
    assert_error(member.post(f"/api/workspaces/{ws}/members", json={"username": "admin", "role": "member"}), 403)
    assert_error(member.get("/api/users"), 403)
    assert_error(member.post("/api/users", json={"username": "sneaky", "password": "password-123"}), 403)
    assert_error(member.get(f"/api/workspaces/{ws}/audit-log"), 403)
    # ...but members can see who else is in the workspace.
    listed = member.get(f"/api/workspaces/{ws}/members").json()
    assert {m["role"] for m in listed["data"]} == {"owner", "admin", "editor", "member"}
    assert_error(team["editor"].post(f"/api/workspaces/{ws}/api-keys", json={"name": "k"}), 403)
    assert admin.get("/api/users").status_code == 200


def test_workspace_admin_manages_keys_and_members_but_not_owners(team: dict[str, Any]) -> None:
    ws_admin: Api = team["admin"]
    ws = team["ws"]
    key = ws_admin.create_key(ws)
    assert key["key"].startswith("hzk_")
    member_id = team["member_user"]["id"]
    r = ws_admin.patch(f"/api/workspaces/{ws}/members/{member_id}", json={"role": "editor"})
    assert r.status_code == 200 and r.json()["role"] == "editor"
    assert_error(ws_admin.patch(f"/api/workspaces/{ws}/members/{member_id}", json={"role": "owner"}), 403)
    owner_id = team["owner_user"]["id"]
    assert_error(ws_admin.delete(f"/api/workspaces/{ws}/members/{owner_id}"), 403)
    assert_error(ws_admin.delete(f"/api/workspaces/{ws}"), 403)


def test_role_change_is_audited(team: dict[str, Any]) -> None:
    owner: Api = team["owner"]
    ws = team["ws"]
    member = team["member_user"]
    owner.patch(f"/api/workspaces/{ws}/members/{member['id']}", json={"role": "admin"})
    log = owner.get(f"/api/workspaces/{ws}/audit-log").json()["data"]
    change = next(e for e in log if e["action"] == "member.role_changed")
    assert change["target"] == member["username"]
    assert change["details"] == {"old_role": "member", "new_role": "admin"}
    assert change["actor"] == team["owner_user"]["username"]


def test_the_last_owner_cannot_leave_or_be_demoted(team: dict[str, Any]) -> None:
    owner: Api = team["owner"]
    ws = team["ws"]
    me = team["owner_user"]["id"]
    assert_error(owner.patch(f"/api/workspaces/{ws}/members/{me}", json={"role": "admin"}), 409, "last_owner")
    assert_error(owner.delete(f"/api/workspaces/{ws}/members/{me}"), 409, "last_owner")
    # With a second owner, the first may step down.
    owner.patch(f"/api/workspaces/{ws}/members/{team['admin_user']['id']}", json={"role": "owner"})
    assert owner.patch(f"/api/workspaces/{ws}/members/{me}", json={"role": "admin"}).status_code == 200


def test_a_user_of_one_workspace_sees_nothing_of_another(live_server: LiveServer, admin: Api) -> None:
    a_user, b_user = admin.create_user(), admin.create_user()
    a = live_server.api().login(a_user["username"], a_user["password"])
    b = live_server.api().login(b_user["username"], b_user["password"])
    ws_b = b.create_workspace()["id"]
    b_key = b.create_key(ws_b)

    assert ws_b not in [w["id"] for w in a.get("/api/workspaces").json()["data"]]
    assert ws_b not in [w["id"] for w in a.me()["workspaces"]]
    for path in ("members", "api-keys", "audit-log"):
        assert_error(a.get(f"/api/workspaces/{ws_b}/{path}"), 404, "workspace_not_found")
    assert_error(a.post(f"/api/workspaces/{ws_b}/api-keys", json={"name": "mine now"}), 404)
    assert_error(a.delete(f"/api/workspaces/{ws_b}/api-keys/{b_key['id']}"), 404)
    assert_error(a.post(f"/api/workspaces/{ws_b}/members", json={"username": a_user["username"]}), 404)
    assert_error(a.patch(f"/api/workspaces/{ws_b}", json={"name": "taken over"}), 404)
    assert_error(a.delete(f"/api/workspaces/{ws_b}"), 404)
    # A workspace admin of A revoking B's key by id through A's workspace fails too.
    ws_a = a.create_workspace()["id"]
    assert_error(a.delete(f"/api/workspaces/{ws_a}/api-keys/{b_key['id']}"), 404, "api_key_not_found")
    assert b.as_token(b_key["key"]).get("/api/auth/me").status_code == 200
    # Even the platform admin is not silently a member of B.
    assert_error(admin.get(f"/api/workspaces/{ws_b}/members"), 404)


def test_owner_renames_and_deletes_a_workspace_but_not_the_default(live_server: LiveServer, admin: Api) -> None:
    ws = admin.create_workspace()
    r = admin.patch(f"/api/workspaces/{ws['id']}", json={"name": "Renamed 研发部"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed 研发部"
    assert admin.delete(f"/api/workspaces/{ws['id']}").status_code == 204
    assert_error(admin.get(f"/api/workspaces/{ws['id']}/members"), 404)
    default = admin.default_workspace()
    assert_error(admin.delete(f"/api/workspaces/{default}"), 409, "default_workspace")


def test_adding_members_reports_clear_errors(team: dict[str, Any]) -> None:
    owner: Api = team["owner"]
    ws = team["ws"]
    r = owner.post(f"/api/workspaces/{ws}/members", json={"username": "no-such-person", "role": "member"})
    assert_error(r, 404, "user_not_found")
    again = owner.post(f"/api/workspaces/{ws}/members", json={"username": team["member_user"]["username"]})
    assert_error(again, 409, "already_member")
    bad_role = owner.post(f"/api/workspaces/{ws}/members", json={"username": "x1", "role": "god"})
    assert_error(bad_role, 422, "validation_error")
