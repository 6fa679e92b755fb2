"""OpenAPI documents as tools: parsed, `$ref`s resolved, each operation called against a real API on loopback with
its auth, through the egress guard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from hezi.agents.tools.base import TOOL_NAME, ToolFailed
from hezi.agents.tools.openapi import (
    Credentials,
    OpenApiInvalid,
    OpenApiTool,
    OpenApiToolset,
    fetch_document,
    operations,
    parse_document,
    server_url,
)
from hezi.egress import EgressRefused
from tests.agents.loopback import API_KEY, DEFAULT, LOOPBACK, TOKEN, pets_app, run_context, serve


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve(pets_app()) as url:
        yield url


@pytest.fixture(scope="module")
def doc(api: str) -> dict[str, Any]:
    return parse_document(httpx.get(f"{api}/openapi.json").text)


def toolset(doc: dict[str, Any], api: str, creds: Credentials | None = None) -> dict[str, OpenApiTool]:
    return OpenApiToolset("p1", "pets", doc, api, creds).by_name()


# --- the document ---


def test_each_operation_becomes_a_tool_with_one_schema(doc: dict[str, Any]) -> None:
    ops = {op.name: op for op in operations(doc)}
    assert {"getPet", "createPet", "search_pets", "broken", "big", "moved", "toMetadata", "hop"} <= set(ops)
    assert all(TOOL_NAME.match(name) for name in ops)
    get_pet = ops["getPet"]
    assert get_pet.method == "GET" and get_pet.description == "Get a pet by its id"
    assert get_pet.parameters["required"] == ["pet_id"]
    assert set(get_pet.parameters["properties"]) == {"pet_id", "verbose", "x-api-key", "authorization"} - {
        "authorization"  # a parameter may not name the Authorization header: the client sets it
    }
    create = ops["createPet"]
    props = create.parameters["properties"]
    # the body's fields sit next to the query and header parameters; $refs resolved, the recursive one cut
    assert {"name", "tag", "friends", "dry_run", "x-request-id"} <= set(props)
    assert "name" in create.parameters["required"] and create.body == "fields"
    assert "$ref" not in json.dumps(create.parameters)
    assert props["friends"]["items"]["type"] == "object"


def test_yaml_names_refs_and_cycles() -> None:
    text = """
openapi: 3.0.3
info: {title: Tree, version: "1"}
servers: [{url: "https://{region}.example.com/v1", variables: {region: {default: eu}}}]
paths:
  /nodes/{id}:
    parameters:
      - $ref: '#/components/parameters/Id'
    get:
      summary: A node
      responses: {"200": {description: ok}}
    put:
      operationId: put.node with spaces
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Node'}
      responses: {"200": {description: ok}}
  /upload:
    post:
      requestBody:
        required: true
        content: {multipart/form-data: {schema: {type: object}}}
      responses: {"200": {description: ok}}
  /dup:
    get: {operationId: getNode, responses: {"200": {description: ok}}}
    post: {operationId: getNode, responses: {"200": {description: ok}}}
components:
  parameters:
    Id: {name: id, in: path, required: true, schema: {type: integer}, description: The node, example: 3}
  schemas:
    Node:
      type: object
      required: [label]
      x-internal: yes
      properties:
        label: {type: string, example: root}
        created: {type: string, format: date, example: 2024-01-02}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
"""
    doc = parse_document(text)
    assert server_url(doc) == "https://eu.example.com/v1"
    ops = {op.name: op for op in operations(doc)}
    # the multipart upload cannot be sent as JSON: left out; names sanitised and kept unique
    assert set(ops) == {"get_nodes_id", "put_node_with_spaces", "getNode", "getNode_2"}
    node = ops["put_node_with_spaces"].parameters
    assert node["properties"]["id"] == {"type": "integer", "description": "The node"}
    assert node["required"] == ["id", "label"]
    children = node["properties"]["children"]["items"]
    assert children["type"] == "object" and "Node" in children["description"]
    assert "example" not in json.dumps(node) and "x-internal" not in json.dumps(node)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json: [", "neither JSON nor YAML"),
        ("just some words", "not an OpenAPI object"),
        ('{"swagger": "2.0", "paths": {}}', "Swagger 2.0"),
        ('{"openapi": "3.0.0", "info": {}}', "no 'paths'"),
        ('{"openapi": "3.1.0", "paths": {}}', "no operations"),
        ('{"openapi": "3.1.0", "paths": {"/a": {"get": {"parameters": [{"$ref": "#/nope"}]}}}}', "points at nothing"),
        ('{"openapi": "3.1.0", "paths": {"/a": {"get": {"parameters": [{"$ref": "other.yaml#/x"}]}}}}', "within"),
    ],
)
def test_what_is_not_a_usable_document_says_why(text: str, says: str) -> None:
    with pytest.raises(OpenApiInvalid) as err:
        operations(parse_document(text))
    assert says in err.value.message and err.value.code == "invalid_openapi"


def test_a_yaml_alias_bomb_is_refused() -> None:
    lines = ["openapi: 3.0.0", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    with pytest.raises(OpenApiInvalid, match="too large"):
        parse_document("\n".join(lines))


def test_a_server_url_is_needed() -> None:
    doc = parse_document(yaml.safe_dump({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}))
    with pytest.raises(OpenApiInvalid, match="server_url"):
        server_url(doc)
    assert server_url(doc, spec_url="https://api.example.com/docs/openapi.yaml") == "https://api.example.com"
    assert server_url(doc, override="https://other.example.com/base/") == "https://other.example.com/base"


# --- calling ---


@pytest.mark.asyncio
async def test_a_call_with_an_api_key(api: str, doc: dict[str, Any]) -> None:
    tools = toolset(doc, api, Credentials("api_key", "X-API-Key", API_KEY))
    result = await tools["getPet"].call({"pet_id": "a b?c#d", "verbose": True}, run_context(LOOPBACK))
    assert result.value == {"status": 200, "body": {"id": "a b?c#d", "name": "Rex", "verbose": True, "auth": "api_key"}}


@pytest.mark.asyncio
async def test_a_call_with_a_bearer_token_a_body_a_query_and_a_header(api: str, doc: dict[str, Any]) -> None:
    tools = toolset(doc, api, Credentials("bearer", None, TOKEN))
    args = {"name": "Tom", "friends": [{"name": "Jerry"}], "dry_run": True, "x-request-id": "r-1"}
    result = await tools["createPet"].call(args, run_context(LOOPBACK))
    assert isinstance(result.value, dict) and result.value["status"] == 200
    assert result.value["body"] == {
        "created": {"name": "Tom", "tag": None, "friends": [{"name": "Jerry", "tag": None, "friends": []}]},
        "dry_run": True, "request_id": "r-1", "auth": "bearer",
    }  # fmt: skip
    listed = await tools["search_pets"].call({"tag": ["a", "b"]}, run_context(LOOPBACK))
    assert listed.value == {"status": 200, "body": {"tags": ["a", "b"]}}


@pytest.mark.asyncio
async def test_failures_are_told_to_the_model(api: str, doc: dict[str, Any]) -> None:
    ctx = run_context(LOOPBACK)
    with pytest.raises(ToolFailed) as no_auth:
        await toolset(doc, api)["getPet"].call({"pet_id": "1"}, ctx)
    assert "401" in no_auth.value.message and "who are you" in no_auth.value.message
    tools = toolset(doc, api, Credentials("api_key", "X-API-Key", API_KEY))
    with pytest.raises(ToolFailed) as broken:
        await tools["broken"].call({}, ctx)
    assert "HTTP 500" in broken.value.message and "on fire" in broken.value.message
    with pytest.raises(ToolFailed, match="pet_id"):
        await tools["getPet"].call({}, ctx)
    big = await tools["big"].call({}, ctx)
    assert isinstance(big.value, dict) and big.value["body"].endswith("(truncated)") and len(big.text()) < 10_000


@pytest.mark.asyncio
async def test_redirects_are_followed_through_the_guard(api: str, doc: dict[str, Any]) -> None:
    tools = toolset(doc, api, Credentials("api_key", "X-API-Key", API_KEY))
    moved = await tools["moved"].call({"pet_id": "7"}, run_context(LOOPBACK))
    assert moved.value == {"status": 200, "body": {"id": "7", "name": "Rex", "verbose": False, "auth": "api_key"}}
    with pytest.raises(ToolFailed) as refused:
        await tools["toMetadata"].call({}, run_context(LOOPBACK))
    assert refused.value.code == "egress_refused" and "169.254.169.254" in refused.value.message


@pytest.mark.asyncio
async def test_credentials_stay_with_their_origin(api: str, doc: dict[str, Any]) -> None:
    with serve(pets_app()) as other:
        for creds, header, value in [
            (Credentials("api_key", "X-API-Key", API_KEY), "x-api-key", API_KEY),
            (Credentials("bearer", None, TOKEN), "authorization", f"Bearer {TOKEN}"),
        ]:
            hop = toolset(doc, api, creds)["hop"]
            same = await hop.call({"to": f"{api}/headers"}, run_context(LOOPBACK))
            assert isinstance(same.value, dict) and same.value["body"][header] == value
            elsewhere = await hop.call({"to": f"{other}/headers"}, run_context(LOOPBACK))
            assert elsewhere.value == {"status": 200, "body": {"x-api-key": None, "authorization": None}}


@pytest.mark.asyncio
async def test_the_default_policy_refuses_loopback_and_metadata(api: str, doc: dict[str, Any]) -> None:
    tools = toolset(doc, api, Credentials("api_key", "X-API-Key", API_KEY))
    with pytest.raises(ToolFailed) as refused:
        await tools["getPet"].call({"pet_id": "1"}, run_context(DEFAULT))
    assert refused.value.code == "egress_refused" and "127.0.0.1" in refused.value.message
    metadata = toolset(doc, "http://169.254.169.254/latest")
    with pytest.raises(ToolFailed) as to_metadata:
        await metadata["getPet"].call({"pet_id": "1"}, run_context(LOOPBACK))
    assert to_metadata.value.code == "egress_refused"


@pytest.mark.asyncio
async def test_a_document_is_fetched_through_the_guard(api: str) -> None:
    fetched = await fetch_document(f"{api}/openapi.json", LOOPBACK)
    assert server_url(fetched, f"{api}/openapi.json") == api
    with pytest.raises(EgressRefused):
        await fetch_document(f"{api}/openapi.json", DEFAULT)
    with pytest.raises(EgressRefused):
        await fetch_document("http://169.254.169.254/openapi.json", LOOPBACK)
    with pytest.raises(EgressRefused) as redirected:
        await fetch_document(f"{api}/spec-to-private", LOOPBACK)
    assert "10.1.2.3" in redirected.value.message
    with pytest.raises(OpenApiInvalid, match="404"):
        await fetch_document(f"{api}/nothing-here.json", LOOPBACK)
