"""The agents console API: the draft, published versions, who may see and change what."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hezi.agents.errors import AgentVersionNotFound
from hezi.agents.service import AgentService
from hezi.db.tables import Agent
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique


@pytest.fixture
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def create(api: Api, ws: str, **body: Any) -> dict[str, Any]:
    r = api.post(f"/api/workspaces/{ws}/agents", json={"name": unique("agent"), **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_blank_agent_is_created_read_listed_and_deleted(admin: Api, ws: str) -> None:
    first = create(admin, ws, icon="🦊", description="the first")
    assert first["workspace_id"] == ws and first["icon"] == "🦊" and first["description"] == "the first"
    assert first["published_version"] is None
    assert first["config"]["model"] == "smollm2-135m-instruct"
    assert first["config"]["tools"] == [] and first["config"]["knowledge"]["knowledge_base_ids"] == []
    second = create(admin, ws)
    assert second["icon"] == "🤖" and second["description"] == ""

    assert admin.get(f"/api/workspaces/{ws}/agents/{first['id']}").json() == first
    listed = admin.get(f"/api/workspaces/{ws}/agents").json()
    assert listed["count"] == 2
    assert [a["id"] for a in listed["data"]] == [second["id"], first["id"]]  # newest first

    assert admin.delete(f"/api/workspaces/{ws}/agents/{first['id']}").status_code == 204
    assert_error(admin.get(f"/api/workspaces/{ws}/agents/{first['id']}"), 404, "agent_not_found")
    assert_error(admin.delete(f"/api/workspaces/{ws}/agents/{first['id']}"), 404, "agent_not_found")
    assert admin.get(f"/api/workspaces/{ws}/agents").json()["count"] == 1
    log = admin.get(f"/api/workspaces/{ws}/audit-log").json()["data"]
    assert {"agent.created", "agent.deleted"} <= {e["action"] for e in log}
    deleted = next(e for e in log if e["action"] == "agent.deleted")
    assert deleted["target"] == first["name"]


def test_the_draft_autosave_replaces_only_the_fields_given(admin: Api, ws: str) -> None:
    agent = create(admin, ws, description="keep me")
    url = f"/api/workspaces/{ws}/agents/{agent['id']}"
    config = {
        "system_prompt": "You are {{persona}}.",
        "model_params": {"temperature": 0.2, "max_tokens": 128},
        "user_input_form": [{"text-input": {"variable": "persona", "label": "Persona", "default": "kind"}}],
        "opening_statement": "Hi",
        "suggested_questions": ["Who are you?"],
        "tools": [{"provider": "builtin", "name": "calculator"}],
        "memory_window": 3,
        "citations": False,
    }
    r = admin.patch(url, json={"config": config})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["description"] == "keep me" and saved["name"] == agent["name"]
    assert saved["config"]["system_prompt"] == "You are {{persona}}."
    assert saved["config"]["model_params"] == {"temperature": 0.2, "top_p": 1.0, "max_tokens": 128}
    assert saved["config"]["memory_window"] == 3 and saved["config"]["citations"] is False
    assert saved["updated_at"] >= agent["updated_at"]

    renamed = admin.patch(url, json={"name": "  Renamed  ", "icon": "🐼"}).json()
    assert renamed["name"] == "Renamed" and renamed["icon"] == "🐼"
    assert renamed["config"] == saved["config"]  # a patch without config leaves the config alone
    # config replaces the whole draft config: what is left out goes back to its default
    again = admin.patch(url, json={"config": {"system_prompt": "Short."}}).json()
    assert again["config"]["tools"] == [] and again["config"]["memory_window"] == 10
    assert admin.get(url).json() == again


def test_bad_input_is_a_clear_4xx_naming_the_field(admin: Api, ws: str) -> None:
    agents = f"/api/workspaces/{ws}/agents"
    agent = create(admin, ws)
    url = f"{agents}/{agent['id']}"

    bad_temp = admin.patch(url, json={"config": {"model_params": {"temperature": 3}}})
    err = assert_error(bad_temp, 422, "validation_error")
    assert err["details"][0]["loc"] == ["body", "config", "model_params", "temperature"]
    assert_error(admin.post(agents, json={}), 422, "validation_error")  # no name, no template
    assert_error(admin.post(agents, json={"name": "x", "colour": "red"}), 422, "validation_error")
    form = {"user_input_form": [{"select": {"variable": "v"}}]}
    assert "options" in assert_error(admin.patch(url, json={"config": form}), 422)["details"][0]["msg"]

    unknown_tool = admin.patch(url, json={"config": {"tools": [{"provider": "builtin", "name": "teleport"}]}})
    err = assert_error(unknown_tool, 422, "invalid_agent_config")
    assert err["details"]["field"] == "config.tools[0].name" and "teleport" in err["message"]
    twice = [{"name": "calculator"}, {"provider": "builtin", "name": "calculator"}]
    assert assert_error(admin.patch(url, json={"config": {"tools": twice}}), 422)["details"]["field"] == (
        "config.tools[1]"
    )
    no_provider = admin.patch(url, json={"config": {"tools": [{"provider": "6d1f3bd8-0000-4000-8000-000000000000",
                                                               "name": "op"}]}})  # fmt: skip
    assert assert_error(no_provider, 422, "invalid_agent_config")["details"]["field"] == "config.tools[0].provider"
    not_a_kb = {"knowledge": {"knowledge_base_ids": ["6d1f3bd8-0000-4000-8000-000000000000"]}}
    err = assert_error(admin.post(agents, json={"name": "kb", "config": not_a_kb}), 422, "invalid_agent_config")
    assert err["details"]["field"] == "config.knowledge.knowledge_base_ids"

    err = assert_error(admin.post(agents, json={"name": agent["name"]}), 409, "agent_exists")
    assert agent["name"] in err["message"]
    other = create(admin, ws)
    assert_error(admin.patch(f"{agents}/{other['id']}", json={"name": agent["name"]}), 409, "agent_exists")
    assert_error(admin.post(agents, json={"template": "no-such-template"}), 422, "unknown_template")
    assert_error(admin.get(f"{agents}/not-a-uuid"), 422)
    # nothing was half-saved
    assert admin.get(url).json()["config"] == agent["config"]
    assert admin.get(agents).json()["count"] == 2


def test_publishing_snapshots_numbered_immutable_versions(admin: Api, ws: str) -> None:
    agent = create(admin, ws, config={"system_prompt": "one"})
    url = f"/api/workspaces/{ws}/agents/{agent['id']}"
    assert admin.get(f"{url}/versions").json() == {"data": [], "count": 0}

    v1 = admin.post(f"{url}/publish", json={"note": "first"})
    assert v1.status_code == 201, v1.text
    assert v1.json()["version"] == 1 and v1.json()["note"] == "first"
    assert v1.json()["config"]["system_prompt"] == "one" and v1.json()["name"] == agent["name"]
    assert v1.json()["created_by"] == admin.me()["user"]["id"]

    admin.patch(url, json={"name": "Two", "config": {"system_prompt": "two"}})
    v2 = admin.post(f"{url}/publish").json()  # no body: no note
    assert v2["version"] == 2 and v2["note"] == "" and v2["name"] == "Two"
    assert admin.get(url).json()["published_version"] == 2

    versions = admin.get(f"{url}/versions").json()
    assert versions["count"] == 2
    assert [v["version"] for v in versions["data"]] == [2, 1]  # newest first
    assert versions["data"][1]["config"]["system_prompt"] == "one"  # the draft changed, version 1 did not
    published = [e for e in admin.get(f"/api/workspaces/{ws}/audit-log").json()["data"] if e["action"] ==
                 "agent.published"]  # fmt: skip
    assert sorted(e["details"]["version"] for e in published) == [1, 2]
    # another agent numbers its versions from 1
    other = create(admin, ws)
    assert admin.post(f"/api/workspaces/{ws}/agents/{other['id']}/publish").json()["version"] == 1


def test_publishes_at_once_get_distinct_numbers(live_server: LiveServer, admin: Api, ws: str) -> None:
    agent = create(admin, ws)
    url = f"/api/workspaces/{ws}/agents/{agent['id']}/publish"
    clients = [admin.as_token(admin.token or "") for _ in range(6)]
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(lambda c: c.post(url, json={}), clients))
    finally:
        for c in clients:
            c.close()
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert sorted(a.json()["version"] for a in answers) == [1, 2, 3, 4, 5, 6]
    assert admin.get(f"/api/workspaces/{ws}/agents/{agent['id']}").json()["published_version"] == 6


def test_the_chat_gets_the_draft_a_version_or_the_latest(live_server: LiveServer, admin: Api, ws: str) -> None:
    agent = create(admin, ws, config={"system_prompt": "v1"})
    url = f"/api/workspaces/{ws}/agents/{agent['id']}"

    async def snapshot(version: int | None = None, draft: bool = False) -> tuple[int | None, str]:
        async with live_server.app.state.services.sessionmaker() as db:
            row = await db.get(Agent, uuid.UUID(agent["id"]))
            assert row is not None
            got = await AgentService(db).config_for(row, version, draft=draft)
            return got.version, got.config.system_prompt

    assert live_server.run(snapshot()) == (None, "v1")  # never published: the draft
    admin.post(f"{url}/publish")
    admin.patch(url, json={"config": {"system_prompt": "v2"}})
    admin.post(f"{url}/publish")
    admin.patch(url, json={"config": {"system_prompt": "draft"}})
    assert live_server.run(snapshot()) == (2, "v2")
    assert live_server.run(snapshot(1)) == (1, "v1")
    assert live_server.run(snapshot(draft=True)) == (None, "draft")
    with pytest.raises(AgentVersionNotFound, match="no version 7"):
        live_server.run(snapshot(7))


def test_members_read_editors_write_outsiders_see_nothing(live_server: LiveServer, admin: Api, ws: str) -> None:
    agent = create(admin, ws)
    agents = f"/api/workspaces/{ws}/agents"
    url = f"{agents}/{agent['id']}"
    people = {}
    for role in ("member", "editor"):
        user = admin.create_user()
        admin.add_member(ws, user["username"], role)
        people[role] = live_server.api().login(user["username"], user["password"])
    outsider_user = admin.create_user()
    outsider = live_server.api().login(outsider_user["username"], outsider_user["password"])
    try:
        member, editor = people["member"], people["editor"]
        assert member.get(agents).json()["count"] == 1
        assert member.get(url).status_code == 200
        assert member.get(f"{url}/versions").status_code == 200
        assert member.get(f"{url}/export").status_code == 200
        assert member.get(f"/api/workspaces/{ws}/agent-templates").status_code == 200
        assert_error(member.post(agents, json={"name": "m"}), 403, "forbidden")
        assert_error(member.patch(url, json={"name": "m"}), 403, "forbidden")
        assert_error(member.post(f"{url}/publish"), 403, "forbidden")
        assert_error(member.delete(url), 403, "forbidden")

        made = create(editor, ws)
        assert editor.patch(url, json={"description": "edited"}).status_code == 200
        assert editor.post(f"{url}/publish").status_code == 201
        assert editor.delete(f"{agents}/{made['id']}").status_code == 204

        for r in (
            outsider.get(agents), outsider.get(url), outsider.patch(url, json={"name": "x"}),
            outsider.post(f"{url}/publish"), outsider.get(f"{url}/versions"), outsider.get(f"{url}/export"),
            outsider.delete(url), outsider.post(agents, json={"name": "x"}),
            outsider.get(f"/api/workspaces/{ws}/agent-templates"),
        ):  # fmt: skip
            assert r.status_code == 404, r.text
        # an agent of another workspace, asked for through one's own
        own = outsider.create_workspace()["id"]
        assert_error(outsider.get(f"/api/workspaces/{own}/agents/{agent['id']}"), 404, "agent_not_found")
        assert_error(outsider.patch(f"/api/workspaces/{own}/agents/{agent['id']}", json={"name": "x"}), 404)
        assert admin.get(url).json()["description"] == "edited"
    finally:
        for api in (*people.values(), outsider):
            api.close()


def test_an_api_key_acts_only_in_its_workspace(admin: Api, ws: str) -> None:
    key = admin.create_key(ws)["key"]
    other = admin.create_workspace()["id"]
    by_key = admin.as_token(key)
    try:
        made = create(by_key, ws)
        assert made["workspace_id"] == ws
        assert_error(by_key.get(f"/api/workspaces/{other}/agents"), 404)
        assert_error(by_key.post(f"/api/workspaces/{other}/agents", json={"name": "x"}), 404)
    finally:
        by_key.close()
