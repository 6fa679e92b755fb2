"""The console's tool providers: an OpenAPI API and an MCP server on loopback registered, their tools listed and
called through the catalogue with the sealed secrets; bad documents and servers refused with the reason; workspace
roles and scoping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from hezi.agents.spec import ToolRef
from hezi.agents.tools.base import Tool, ToolFailed, ToolResult
from hezi.agents.tools.catalogue import ToolCatalogue, UnknownTool
from tests.agents.loopback import API_KEY, MCP_TOKEN, TOKEN, loopback_allowed_on, mcp_app, pets_app, run_context, serve
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique


@pytest.fixture(scope="module")
def pets() -> Iterator[str]:
    with serve(pets_app()) as url:
        yield url


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with serve(mcp_app()) as url:
        yield f"{url}/mcp"


@pytest.fixture
def loopback_allowed(live_server: LiveServer) -> Iterator[None]:
    with loopback_allowed_on(live_server.app):
        yield


@pytest.fixture
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def providers(ws: str) -> str:
    return f"/api/workspaces/{ws}/tool-providers"


def create(api: Api, ws: str, **body: Any) -> httpx.Response:
    return api.post(providers(ws), json={"name": unique("tools"), **body})


def resolve(server: LiveServer, ws: str, refs: list[ToolRef]) -> list[Tool]:
    services = server.app.state.services

    async def resolved() -> list[Tool]:
        async with services.sessionmaker() as db:
            return await ToolCatalogue(db, services.secrets, services.egress).resolve(uuid.UUID(ws), refs)

    return server.run(resolved())


def call_tool(server: LiveServer, ws: str, provider: str, name: str, args: dict[str, Any]) -> ToolResult:
    """What an agent run does: resolve its tool references in the workspace, then call the tool."""
    services = server.app.state.services

    async def resolve_and_call() -> ToolResult:
        async with services.sessionmaker() as db:
            catalogue = ToolCatalogue(db, services.secrets, services.egress)
            (tool,) = await catalogue.resolve(uuid.UUID(ws), [ToolRef(provider=provider, name=name)])
        return await tool.call(args, run_context(services.egress))

    return server.run(resolve_and_call())


def sealed(db: psycopg.Connection[Any], provider_id: str) -> bytes:
    row = db.execute("SELECT secret_encrypted FROM tool_providers WHERE id = %s", (provider_id,)).fetchone()
    assert row is not None and row[0] is not None
    return bytes(row[0])


@pytest.mark.usefixtures("loopback_allowed")
def test_an_openapi_provider_by_url_is_listed_and_called_with_its_key(
    admin: Api, live_server: LiveServer, ws: str, pets: str, db: psycopg.Connection[Any]
) -> None:
    r = create(admin, ws, kind="openapi", spec_url=f"{pets}/openapi.json",
               auth={"type": "api_key", "header": "X-API-Key", "value": API_KEY})  # fmt: skip
    assert r.status_code == 201, r.text
    provider = r.json()
    assert provider["auth"] == {"type": "api_key", "header": "X-API-Key", "has_secret": True}
    assert API_KEY not in r.text and API_KEY.encode() not in sealed(db, provider["id"])
    assert provider["config"]["server_url"] == pets and provider["config"]["spec_url"] == f"{pets}/openapi.json"
    names = {t["name"] for t in provider["tools"]}
    assert {"getPet", "createPet", "search_pets"} <= names
    assert all(set(t) == {"name", "description", "parameters"} for t in provider["tools"])

    listed = admin.get(f"/api/workspaces/{ws}/tools").json()
    mine = [t for t in listed["data"] if t["provider"] == provider["id"]]
    assert {t["name"] for t in mine} == names and {t["provider_name"] for t in mine} == {provider["name"]}
    assert listed["count"] == len(listed["data"])
    builtin = {t["name"] for t in listed["data"] if t["provider"] == "builtin"}
    assert {"current_time", "calculator", "http_request"} <= builtin
    assert all(t["provider"] == "builtin" for t in listed["data"] if t["provider"] != provider["id"])

    result = call_tool(live_server, ws, provider["id"], "getPet", {"pet_id": "9"})
    assert result.value == {"status": 200, "body": {"id": "9", "name": "Rex", "verbose": False, "auth": "api_key"}}

    # a reference the workspace does not have is named clearly
    with pytest.raises(UnknownTool, match="nope"):
        call_tool(live_server, ws, provider["id"], "nope", {})
    with pytest.raises(UnknownTool, match="tool provider"):
        call_tool(live_server, ws, str(uuid.uuid4()), "getPet", {})
    other_ws = str(admin.create_workspace()["id"])
    with pytest.raises(UnknownTool):  # another workspace's provider is not this one's
        call_tool(live_server, other_ws, provider["id"], "getPet", {})


@pytest.mark.usefixtures("loopback_allowed")
def test_a_pasted_yaml_document_with_a_bearer_token_then_edited(
    admin: Api, live_server: LiveServer, ws: str, pets: str
) -> None:
    spec = yaml.safe_dump(httpx.get(f"{pets}/openapi.json").json(), allow_unicode=True)
    r = create(admin, ws, kind="openapi", spec=spec, server_url=pets, auth={"type": "bearer", "value": TOKEN})
    assert r.status_code == 201, r.text
    provider = r.json()
    assert provider["auth"] == {"type": "bearer", "header": None, "has_secret": True}
    pet = call_tool(live_server, ws, provider["id"], "createPet", {"name": "Tom"})
    assert isinstance(pet.value, dict) and pet.value["body"]["auth"] == "bearer"

    # renamed, and the auth re-stated without its value: the stored token is kept
    r = admin.patch(f"{providers(ws)}/{provider['id']}", json={"name": "pet shop", "auth": {"type": "bearer"}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "pet shop" and r.json()["auth"]["has_secret"] is True
    pet = call_tool(live_server, ws, provider["id"], "createPet", {"name": "Tom"})
    assert isinstance(pet.value, dict) and pet.value["body"]["auth"] == "bearer"

    # the auth removed: the API now refuses, and the model is told why
    r = admin.patch(f"{providers(ws)}/{provider['id']}", json={"auth": {"type": "none"}})
    assert r.json()["auth"] == {"type": "none", "header": None, "has_secret": False}
    with pytest.raises(ToolFailed, match="401"):
        call_tool(live_server, ws, provider["id"], "createPet", {"name": "Tom"})

    # a new document replaces the tools
    small = {"openapi": "3.1.0", "info": {"title": "one", "version": "1"},
             "paths": {"/pets/{pet_id}": {"get": {"operationId": "onlyThis", "parameters": [
                 {"name": "pet_id", "in": "path", "required": True, "schema": {"type": "string"}}]}}}}  # fmt: skip
    r = admin.patch(f"{providers(ws)}/{provider['id']}", json={"spec": yaml.safe_dump(small)})
    assert r.status_code == 200, r.text
    assert [t["name"] for t in r.json()["tools"]] == ["onlyThis"] and r.json()["config"]["server_url"] == pets

    assert admin.delete(f"{providers(ws)}/{provider['id']}").status_code == 204
    assert_error(admin.get(f"{providers(ws)}/{provider['id']}"), 404, "tool_provider_not_found")
    assert all(t["provider"] != provider["id"] for t in admin.get(f"/api/workspaces/{ws}/tools").json()["data"])


@pytest.mark.usefixtures("loopback_allowed")
def test_an_mcp_server_with_headers(
    admin: Api, live_server: LiveServer, ws: str, mcp_url: str, db: psycopg.Connection[Any]
) -> None:
    r = create(admin, ws, kind="mcp", url=mcp_url, headers={"X-Token": MCP_TOKEN})
    assert r.status_code == 201, r.text
    provider = r.json()
    assert {t["name"] for t in provider["tools"]} == {"add", "pets_greet", "explode"}
    assert all(set(t) == {"name", "description", "parameters"} for t in provider["tools"])
    assert provider["config"] == {"url": mcp_url} and provider["auth"]["has_secret"] is True
    assert MCP_TOKEN not in r.text and MCP_TOKEN.encode() not in sealed(db, provider["id"])

    assert call_tool(live_server, ws, provider["id"], "pets_greet", {"name": "Rex"}).text() == "Hello, Rex! 你好"
    refreshed = admin.post(f"{providers(ws)}/{provider['id']}/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["tools"] == provider["tools"]

    # wrong headers are refused with the server's reason, and the provider stays as it was
    wrong = assert_error(admin.patch(f"{providers(ws)}/{provider['id']}", json={"headers": {"X-Token": "no"}}),
                         422, "mcp_unavailable")  # fmt: skip
    assert "401" in wrong["message"]
    assert call_tool(live_server, ws, provider["id"], "add", {"a": 1, "b": 2}).text() == "3"


@pytest.mark.usefixtures("loopback_allowed")
def test_what_cannot_be_used_is_a_422_with_the_reason(admin: Api, ws: str, pets: str) -> None:
    bad = assert_error(create(admin, ws, kind="openapi", spec="hello: world"), 422, "invalid_openapi")
    assert "not an OpenAPI 3 document" in bad["message"]
    empty = '{"openapi": "3.0.0", "info": {}, "servers": [{"url": "https://example.com"}], "paths": {}}'
    assert (
        "no operations"
        in assert_error(create(admin, ws, kind="openapi", spec=empty), 422, "invalid_openapi")["message"]
    )
    missing = assert_error(create(admin, ws, kind="openapi", spec_url=f"{pets}/nothing.json"), 422, "invalid_openapi")
    assert "404" in missing["message"]
    closed = assert_error(create(admin, ws, kind="mcp", url="http://127.0.0.1:1/mcp"), 422, "mcp_unavailable")
    assert "127.0.0.1:1" in closed["message"]
    assert_error(create(admin, ws, kind="openapi"), 422, "validation_error")
    assert_error(create(admin, ws, kind="mcp", spec="{}"), 422, "validation_error")
    assert_error(create(admin, ws, kind="openapi", spec_url=f"{pets}/openapi.json", auth={"type": "bearer"}), 422,
                 "validation_error")  # fmt: skip
    assert_error(create(admin, ws, kind="mcp", url="http://x.example", headers={"X-A": "a\r\nX-B: b"}), 422,
                 "validation_error")  # fmt: skip
    # a redirect from an allowed address to a private one is refused at that hop
    refused = assert_error(create(admin, ws, kind="openapi", spec_url=f"{pets}/spec-to-private"), 403, "egress_refused")
    assert "10.1.2.3" in refused["message"]
    assert admin.get(providers(ws)).json() == {"data": [], "count": 0}


def test_the_default_policy_refuses_internal_addresses(admin: Api, ws: str, pets: str, mcp_url: str) -> None:
    assert_error(create(admin, ws, kind="openapi", spec_url=f"{pets}/openapi.json"), 403, "egress_refused")
    assert_error(create(admin, ws, kind="mcp", url=mcp_url, headers={"X-Token": MCP_TOKEN}), 403, "egress_refused")
    spec = httpx.get(f"{pets}/openapi.json").text
    metadata = assert_error(
        create(admin, ws, kind="openapi", spec=spec, server_url="http://169.254.169.254/latest"), 403, "egress_refused"
    )
    assert "169.254.169.254" in metadata["message"]
    assert admin.get(providers(ws)).json()["count"] == 0


@pytest.mark.usefixtures("loopback_allowed")
def test_members_list_admins_manage_outsiders_see_nothing(
    admin: Api, live_server: LiveServer, ws: str, pets: str
) -> None:
    r = create(admin, ws, name="pets", kind="openapi", spec_url=f"{pets}/openapi.json",
               auth={"type": "api_key", "header": " ", "value": API_KEY})  # fmt: skip
    assert r.status_code == 201, r.text
    provider = r.json()
    assert provider["auth"]["header"] == "X-API-Key"
    assert_error(create(admin, ws, name="pets", kind="openapi", spec_url=f"{pets}/openapi.json"), 409,
                 "tool_provider_name_taken")  # fmt: skip
    one = f"{providers(ws)}/{provider['id']}"

    for role in ("member", "editor"):
        user = admin.create_user()
        admin.add_member(ws, user["username"], role)
        member = live_server.api().login(user["username"], user["password"])
        assert member.get(providers(ws)).json()["count"] == 1
        assert member.get(one).json()["auth"] == {"type": "api_key", "header": "X-API-Key", "has_secret": True}
        assert any(t["provider"] == provider["id"] for t in member.get(f"/api/workspaces/{ws}/tools").json()["data"])
        assert_error(create(member, ws, kind="mcp", url="http://mcp.example/mcp"), 403)
        assert_error(member.patch(one, json={"name": "mine"}), 403)
        assert_error(member.post(f"{one}/refresh"), 403)
        assert_error(member.delete(one), 403)

    outsider_user = admin.create_user()
    outsider = live_server.api().login(outsider_user["username"], outsider_user["password"])
    assert_error(outsider.get(providers(ws)), 404)
    assert_error(outsider.get(one), 404)
    assert_error(outsider.get(f"/api/workspaces/{ws}/tools"), 404)
    assert_error(create(outsider, ws, kind="mcp", url="http://mcp.example/mcp"), 404)
    assert_error(outsider.delete(one), 404)
    # nor can a provider be reached through another workspace's path
    own_ws = str(outsider.create_workspace()["id"])
    assert_error(outsider.get(f"{providers(own_ws)}/{provider['id']}"), 404, "tool_provider_not_found")
    assert_error(outsider.delete(f"{providers(own_ws)}/{provider['id']}"), 404, "tool_provider_not_found")
    assert admin.get(one).status_code == 200


@pytest.mark.usefixtures("loopback_allowed")
def test_tools_of_the_same_name_from_two_providers_stay_apart(
    admin: Api, live_server: LiveServer, ws: str, pets: str
) -> None:
    ids = []
    for auth in ({"type": "api_key", "value": API_KEY}, {"type": "bearer", "value": TOKEN}):
        r = create(admin, ws, kind="openapi", spec_url=f"{pets}/openapi.json", auth=auth)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    refs = [ToolRef(provider=ids[0], name="getPet"), ToolRef(provider=ids[1], name="getPet"),
            ToolRef(provider=ids[0], name="getPet")]  # fmt: skip
    tools = resolve(live_server, ws, refs)
    assert [t.name for t in tools] == ["getPet", "getPet_2"]
    ctx = run_context(live_server.app.state.services.egress)
    answers = [live_server.run(t.call({"pet_id": "1"}, ctx)).value for t in tools]
    assert [a["body"]["auth"] for a in answers if isinstance(a, dict)] == ["api_key", "bearer"]
