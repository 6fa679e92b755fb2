"""Agent files: YAML export and import, errors that name the field, references carried across workspaces by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from hezi.agents import files, templates
from hezi.agents.errors import InvalidAgentFile
from hezi.egress import parse_cidrs
from tests.agents.loopback import pets_app, serve
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique

YAML = {"Content-Type": "text/yaml"}


def agent_file(**config: Any) -> str:
    return yaml.safe_dump({"hezi": "agent/1", "name": unique("file"), "config": config}, allow_unicode=True)


# --- the format ---


@pytest.mark.parametrize("lang", templates.LANGS)
def test_every_template_survives_a_round_trip(lang: str) -> None:
    for t in templates.templates():
        doc = files.AgentFile(name=t.name(lang), icon=t.icon, description=t.description(lang),
                              config=t.agent_config(lang))  # fmt: skip
        text = files.dump(doc)
        assert text.startswith("hezi: agent/1\nname: ")
        assert files.load(text) == doc
        assert files.load(text.encode()) == doc


def test_the_file_reads_well_in_version_control() -> None:
    doc = files.AgentFile(name="多行", config={"system_prompt": "Line one.\nLine two: {{x}}\n"})
    text = files.dump(doc)
    assert "system_prompt: |\n    Line one.\n    Line two: {{x}}\n" in text  # a literal block, not "\n" escapes
    assert "多行" in text  # unicode as it is
    assert "null" not in text and "knowledge_bases" not in text  # nothing empty or unset clutters it
    assert list(yaml.safe_load(text))[:5] == ["hezi", "name", "icon", "description", "config"]


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        (agent_file(model_params={"temperature": 3}), "config.model_params.temperature",
         "config.model_params.temperature: Input should be less than or equal to 2"),
        (agent_file(tools=[{"provider": "builtin"}]), "config.tools[0].name", "Field required"),
        (agent_file(user_input_form=[{"select": {"variable": "v"}}]), "config", "a select needs 'options'"),
        (agent_file(colour="red"), "config.colour", "Extra inputs are not permitted"),
        ("hezi: agent/1\nconfig: {}\n", "name", "name: Field required"),
        ("hezi: agent/1\nname: a\nicon: ''\n", "icon", "at least 1 character"),
        ("name: a\nconfig: {}\n", "hezi", "hezi: missing"),
        ("hezi: agent/9\nname: a\n", "hezi", "this file is agent/9; this version of hezi reads agent/1"),
        ("hezi: workflow/1\nname: a\n", "hezi", "expected 'agent/1'"),
        ("hezi: agent/1\nname: [unclosed\n", "", "not valid YAML: line 3"),
        ("- just\n- a list\n", "", "a YAML mapping"),
        ("", "", "a YAML mapping"),
        ('hezi: agent/1\nname: "a\\0b"\n', "name", "NUL"),
        ("hezi: agent/1\nname: a\nconfig:\n  suggested_questions: &q [x, y]\n  tools: *q\n", "", "aliases"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_field(text: str, field: str, says: str) -> None:
    with pytest.raises(InvalidAgentFile) as caught:
        files.load(text)
    assert caught.value.field == field
    assert caught.value.details["field"] == field
    assert says in caught.value.message


def test_a_file_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidAgentFile, match="not UTF-8"):
        files.load(b"hezi: agent/1\nname: \xff\xfe\n")


def test_field_paths_read_like_the_file() -> None:
    assert files.field_path(("config", "tools", 0, "name")) == "config.tools[0].name"
    assert files.field_path(("config", "user_input_form", 2, "select", "options", 1)) == (
        "config.user_input_form[2].select.options[1]"
    )


# --- export and import over the API ---


@pytest.fixture
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def create(api: Api, ws: str, **body: Any) -> dict[str, Any]:
    r = api.post(f"/api/workspaces/{ws}/agents", json={"name": unique("agent"), **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def export(api: Api, ws: str, agent_id: str) -> str:
    r = api.get(f"/api/workspaces/{ws}/agents/{agent_id}/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/yaml")
    assert r.headers["content-disposition"].startswith("attachment;")
    return r.text


def import_(api: Api, ws: str, text: str, **params: Any) -> httpx.Response:
    return api.post(f"/api/workspaces/{ws}/agents/import", content=text.encode(), headers=YAML, params=params)


def test_an_exported_agent_is_recreated_in_another_workspace(admin: Api, ws: str) -> None:
    agent = create(admin, ws, template="customer-service", lang="zh-CN", name=unique("客服"), icon="🎧")
    admin.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish")
    text = export(admin, ws, agent["id"])
    assert "hezi: agent/1" in text and "{{company}}" in text

    other = admin.create_workspace()["id"]
    r = import_(admin, other, text)
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["workspace_id"] == other and copy["id"] != agent["id"]
    for key in ("name", "icon", "description", "config"):
        assert copy[key] == agent[key], key
    assert copy["published_version"] is None  # the draft travels, not the versions
    log = admin.get(f"/api/workspaces/{other}/audit-log").json()["data"]
    assert next(e for e in log if e["action"] == "agent.imported")["details"] == {"replaced": False}


def test_an_existing_name_is_refused_unless_replaced(admin: Api, ws: str) -> None:
    agent = create(admin, ws, config={"system_prompt": "old"})
    url = f"/api/workspaces/{ws}/agents/{agent['id']}"
    admin.post(f"{url}/publish")
    doc = yaml.safe_load(export(admin, ws, agent["id"]))

    doc["config"]["system_prompt"] = "new"
    doc["description"] = "replaced"
    text = yaml.safe_dump(doc, allow_unicode=True)
    err = assert_error(import_(admin, ws, text), 409, "agent_exists")
    assert agent["name"] in err["message"]
    assert admin.get(url).json()["config"]["system_prompt"] == "old"

    r = import_(admin, ws, text, replace="true")
    assert r.status_code == 201, r.text
    replaced = r.json()
    assert replaced["id"] == agent["id"]  # the same agent: its versions and conversations stay
    assert replaced["config"]["system_prompt"] == "new" and replaced["description"] == "replaced"
    assert replaced["published_version"] == 1
    assert admin.get(f"{url}/versions").json()["data"][0]["config"]["system_prompt"] == "old"
    assert admin.get(f"/api/workspaces/{ws}/agents").json()["count"] == 1


def test_a_bad_file_is_a_422_naming_the_field_and_nothing_is_created(admin: Api, ws: str) -> None:
    err = assert_error(import_(admin, ws, agent_file(model_params={"temperature": 3})), 422, "invalid_agent_file")
    assert err["details"]["field"] == "config.model_params.temperature"
    assert err["message"] == "config.model_params.temperature: Input should be less than or equal to 2"
    tool = assert_error(import_(admin, ws, agent_file(tools=[{"name": "teleport"}])), 422, "invalid_agent_file")
    assert tool["details"]["field"] == "config.tools[0].name" and "teleport" in tool["message"]
    kb = agent_file(knowledge={"knowledge_base_ids": ["6d1f3bd8-0000-4000-8000-000000000000"]})
    assert assert_error(import_(admin, ws, kb), 422)["details"]["field"] == "config.knowledge.knowledge_base_ids"
    assert assert_error(import_(admin, ws, "a: [1"), 422, "invalid_agent_file")["details"]["field"] == ""

    as_json = admin.post(f"/api/workspaces/{ws}/agents/import", json={"hezi": "agent/1", "name": "j"})
    assert_error(as_json, 415, "unsupported_media_type")
    nul = import_(admin, ws, 'hezi: agent/1\nname: "a\\0"\n')
    assert assert_error(nul, 422, "invalid_agent_file")["details"]["field"] == "name"
    assert admin.get(f"/api/workspaces/{ws}/agents").json()["count"] == 0


def test_the_download_is_named_after_the_agent(admin: Api, ws: str) -> None:
    agent = create(admin, ws, name=unique("客服 / support"))
    r = admin.get(f"/api/workspaces/{ws}/agents/{agent['id']}/export")
    disposition = r.headers["content-disposition"]
    assert "filename*=UTF-8''%E5%AE%A2%E6%9C%8D-support-" in disposition
    assert 'filename="__-support-' in disposition  # an ASCII fallback for old clients


def test_members_export_but_only_editors_import(live_server: LiveServer, admin: Api, ws: str) -> None:
    agent = create(admin, ws)
    user = admin.create_user()
    admin.add_member(ws, user["username"], "member")
    member = live_server.api().login(user["username"], user["password"])
    try:
        text = export(member, ws, agent["id"])
        assert_error(import_(member, ws, text, replace="true"), 403, "forbidden")
    finally:
        member.close()


# --- knowledge bases and tool providers, found by name in the workspace an agent is imported into ---


def test_knowledge_bases_are_found_by_name_or_the_import_is_refused(model_server: LiveServer) -> None:
    admin = model_server.admin()
    try:
        handbook = unique("handbook")
        source = admin.create_knowledge_base(name=handbook)
        ws = source["ws"]
        agent = create(admin, ws, config={"knowledge": {"knowledge_base_ids": [source["id"]]}})
        text = export(admin, ws, agent["id"])
        assert yaml.safe_load(text)["knowledge_bases"] == [{"id": source["id"], "name": handbook}]

        target = admin.create_knowledge_base(name=handbook)  # another workspace, a base of the same name
        r = import_(admin, target["ws"], text)
        assert r.status_code == 201, r.text
        assert r.json()["config"]["knowledge"]["knowledge_base_ids"] == [target["id"]]

        bare = admin.create_workspace()["id"]
        err = assert_error(import_(admin, bare, text), 422, "invalid_agent_file")
        assert err["details"]["field"] == "config.knowledge.knowledge_base_ids"
        assert handbook in err["message"] and err["details"]["missing"] == [source["id"]]
        assert admin.get(f"/api/workspaces/{bare}/agents").json()["count"] == 0

        # a base of another workspace, named by id in a draft, is refused too
        foreign = {"knowledge": {"knowledge_base_ids": [target["id"]]}}
        err = assert_error(admin.patch(f"/api/workspaces/{ws}/agents/{agent['id']}", json={"config": foreign}), 422)
        assert err["details"]["field"] == "config.knowledge.knowledge_base_ids"
        # a base deleted after it was chosen stops the next publish, naming it
        assert admin.delete(f"/api/workspaces/{ws}/knowledge-bases/{source['id']}").status_code == 204
        gone = admin.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish")
        assert assert_error(gone, 422, "invalid_agent_config")["details"]["missing"] == [source["id"]]
    finally:
        admin.close()


@pytest.fixture
def pets(live_server: LiveServer) -> Iterator[str]:
    """A small OpenAPI service on loopback, which the egress guard lets hezi reach for this test."""
    egress = live_server.app.state.services.egress
    before = egress.allowed
    egress.allowed = parse_cidrs("127.0.0.0/8")
    try:
        with serve(pets_app()) as url:
            yield url
    finally:
        egress.allowed = before


def add_provider(admin: Api, ws: str, pets: str, name: str) -> dict[str, Any]:
    spec = httpx.get(f"{pets}/openapi.json").text
    r = admin.post(f"/api/workspaces/{ws}/tool-providers",
                   json={"name": name, "kind": "openapi", "spec": spec, "server_url": pets})  # fmt: skip
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_tool_providers_are_found_by_name_or_the_import_is_refused(admin: Api, ws: str, pets: str) -> None:
    name = unique("pets")
    provider = add_provider(admin, ws, pets, name)
    tool = provider["tools"][0]["name"]
    ref = {"provider": provider["id"], "name": tool}
    agent = create(admin, ws, config={"tools": [ref, {"provider": "builtin", "name": "calculator"}]})
    unknown = admin.patch(f"/api/workspaces/{ws}/agents/{agent['id']}",
                          json={"config": {"tools": [{**ref, "name": "noSuchOperation"}]}})  # fmt: skip
    assert assert_error(unknown, 422, "invalid_agent_config")["details"]["field"] == "config.tools[0].name"
    text = export(admin, ws, agent["id"])
    assert yaml.safe_load(text)["tool_providers"] == [{"id": provider["id"], "name": name}]

    other = admin.create_workspace()["id"]
    err = assert_error(import_(admin, other, text), 422, "invalid_agent_file")
    assert err["details"]["field"] == "config.tools[0].provider" and name in err["message"]
    there = add_provider(admin, other, pets, name)
    r = import_(admin, other, text)
    assert r.status_code == 201, r.text
    assert r.json()["config"]["tools"] == [{**ref, "provider": there["id"]}, {"provider": "builtin",
                                                                           "name": "calculator"}]  # fmt: skip
