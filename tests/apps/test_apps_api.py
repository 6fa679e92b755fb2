"""The apps console API: an app serves one published agent version, switched and rolled back in one step; its
settings, its keys, and who may change them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique


@pytest.fixture
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def test_an_app_serves_the_agents_latest_published_version(admin: Api, ws: str) -> None:
    agent = published_agent(admin, ws, versions=2, name=unique("Support Desk"))
    app = make_app(admin, ws, agent_id=agent["id"])
    assert app["agent_version"] == 2 and app["latest_version"] == 2 and app["agent_name"] == agent["name"]
    assert app["slug"].startswith("support-desk") and app["model"] == f"app-{app['slug']}"
    assert app["web_app_path"].startswith("/app/") and len(app["web_app_path"]) > 20
    assert app["channels"] == {"web_app": True, "widget": False, "api": True, "openai": True, "mcp": False}
    assert app["access"] == "public" and app["enabled"] and not app["has_password"]
    assert admin.get(f"/api/workspaces/{ws}/apps/{app['id']}").json() == app
    assert [a["id"] for a in admin.get(f"/api/workspaces/{ws}/apps").json()["data"]] == [app["id"]]

    draft_only = admin.post(f"/api/workspaces/{ws}/agents", json={"name": unique("draft")}).json()
    refused = admin.post(f"/api/workspaces/{ws}/apps", json={"agent_id": draft_only["id"]})
    assert_error(refused, 409, "agent_not_published")
    missing = admin.post(f"/api/workspaces/{ws}/apps", json={"agent_id": agent["id"], "agent_version": 9})
    assert_error(missing, 404, "agent_version_not_found")


def test_versions_switch_and_roll_back_in_one_step(admin: Api, ws: str) -> None:
    agent = published_agent(admin, ws, versions=3)
    app = make_app(admin, ws, agent_id=agent["id"], agent_version=1)
    url = f"/api/workspaces/{ws}/apps/{app['id']}"
    assert_error(admin.post(f"{url}/rollback"), 409, "nothing_to_roll_back")

    assert admin.post(f"{url}/release", json={"agent_version": 3}).json()["agent_version"] == 3
    assert_error(admin.post(f"{url}/release", json={"agent_version": 4}), 404, "agent_version_not_found")
    assert admin.get(url).json()["agent_version"] == 3  # a refused release changes nothing
    assert admin.post(f"{url}/rollback").json()["agent_version"] == 1
    assert admin.post(f"{url}/rollback").json()["agent_version"] == 3  # rolling back a rollback
    releases = admin.get(f"{url}/releases").json()["data"]
    assert [(r["agent_version"], r["rollback"]) for r in releases] == [(3, True), (1, True), (3, False), (1, False)]
    assert {r["created_by"] for r in releases} == {"admin"}

    # Switches at once each land whole: the app serves one of the versions asked for and the history has them all.
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda v: admin.post(f"{url}/release", json={"agent_version": v}), [1, 2, 3, 2]))
    assert [r.status_code for r in answers] == [200] * 4
    final = admin.get(url).json()["agent_version"]
    latest = admin.get(f"{url}/releases").json()["data"][0]
    assert final == latest["agent_version"] and len(admin.get(f"{url}/releases").json()["data"]) == 8


def test_slugs_are_unique_and_made_from_the_name(admin: Api, ws: str) -> None:
    agent = published_agent(admin, ws)
    first = make_app(admin, ws, agent_id=agent["id"], name="Leave Helper")
    second = make_app(admin, ws, agent_id=agent["id"], name="Leave Helper")
    assert first["slug"] == "leave-helper" or first["slug"].startswith("leave-helper-")
    assert second["slug"] != first["slug"] and second["slug"].startswith("leave-helper")
    chinese = make_app(admin, ws, agent_id=agent["id"], name="请假助手")
    assert chinese["slug"].startswith("app-") and chinese["name"] == "请假助手"

    taken = admin.post(f"/api/workspaces/{ws}/apps", json={"agent_id": agent["id"], "slug": first["slug"]})
    assert_error(taken, 409, "app_slug_taken")
    renamed = admin.patch(f"/api/workspaces/{ws}/apps/{chinese['id']}", json={"slug": first["slug"]})
    assert_error(renamed, 409, "app_slug_taken")
    bad = admin.post(f"/api/workspaces/{ws}/apps", json={"agent_id": agent["id"], "slug": "No Spaces!"})
    assert_error(bad, 422, "validation_error")


def test_settings_are_changed_and_checked(admin: Api, ws: str) -> None:
    app = make_app(admin, ws)
    url = f"/api/workspaces/{ws}/apps/{app['id']}"
    assert_error(admin.patch(url, json={"access": "password"}), 400, "password_required")
    changed = admin.patch(url, json={
        "access": "password", "password": "open sesame", "allowed_origins": ["https://intranet.example.com"],
        "channels": {"web_app": True, "widget": True, "api": True, "openai": False, "mcp": True},
        "rate_limit_rpm": 30, "token_limit_per_day": 100000,
    }).json()  # fmt: skip
    assert changed["access"] == "password" and changed["has_password"]
    assert changed["allowed_origins"] == ["https://intranet.example.com"] and changed["channels"]["mcp"]
    assert (changed["rate_limit_rpm"], changed["token_limit_per_day"]) == (30, 100000)
    lifted = admin.patch(url, json={"rate_limit_rpm": 0}).json()
    assert lifted["rate_limit_rpm"] is None and lifted["token_limit_per_day"] == 100000  # untouched
    assert_error(admin.patch(url, json={"allowed_origins": ["intranet.example.com/path"]}), 422, "validation_error")
    assert_error(admin.patch(url, json={"unknown": 1}), 422, "validation_error")


def test_members_see_apps_and_editors_change_them(live_server: LiveServer, admin: Api, ws: str) -> None:
    app = make_app(admin, ws)
    member, editor = admin.create_user(), admin.create_user()
    admin.add_member(ws, member["username"], "member")
    admin.add_member(ws, editor["username"], "editor")
    as_member = Api(live_server.url).login(member["username"], member["password"])
    as_editor = Api(live_server.url).login(editor["username"], editor["password"])
    url = f"/api/workspaces/{ws}/apps/{app['id']}"
    assert as_member.get(url).status_code == 200
    assert_error(as_member.patch(url, json={"name": "mine"}), 403)
    assert_error(as_member.post(f"{url}/keys", json={"name": "k"}), 403)
    assert as_editor.patch(url, json={"name": "ours"}).json()["name"] == "ours"
    outsider = Api(live_server.url).login(*_new_user(admin))
    assert_error(outsider.get(url), 404)


def _new_user(admin: Api) -> tuple[str, str]:
    user = admin.create_user()
    return user["username"], user["password"]


def test_keys_belong_to_their_app_and_go_with_it(live_server: LiveServer, admin: Api, ws: str) -> None:
    app, other = make_app(admin, ws), make_app(admin, ws)
    url = f"/api/workspaces/{ws}/apps/{app['id']}"
    created = admin.post(f"{url}/keys", json={"name": "widget", "rate_limit_rpm": 60})
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["kind"] == "app" and key["app_id"] == app["id"] and key["key"].startswith(key["prefix"])
    assert [k["id"] for k in admin.get(f"{url}/keys").json()["data"]] == [key["id"]]
    assert admin.get(f"/api/workspaces/{ws}/apps/{other['id']}/keys").json()["data"] == []
    # Another app's key list cannot revoke this one.
    assert_error(admin.delete(f"/api/workspaces/{ws}/apps/{other['id']}/keys/{key['id']}"), 404)
    # An app key reaches no console route.
    as_app = Api(live_server.url)
    as_app.token = key["key"]
    assert_error(as_app.get(f"/api/workspaces/{ws}/apps"), 403, "app_key_not_allowed")

    assert admin.delete(url).status_code == 204
    assert_error(admin.get(url), 404, "app_not_found")
    assert_error(admin.get(f"{url}/keys"), 404, "app_not_found")
    assert_error(as_app.get("/api/workspaces"), 401)  # the key went with its app
