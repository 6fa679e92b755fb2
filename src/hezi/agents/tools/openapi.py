"""An OpenAPI 3 document as a toolset: each operation one tool, called through the egress guard with the provider's
auth.

A document (JSON or YAML, pasted or fetched) has its local `$ref`s resolved (a cycle becomes an open object, not an
endless schema) and each operation becomes a tool whose parameters are one JSON schema object: the path, query and
header parameters and the JSON request body's fields side by side (the body as one `body` argument when its
fields can't sit there). A call substitutes the path, sends the rest to the document's first server (or the
provider's override) and gives the model the status and the body; a non-2xx answer is a ToolFailed it can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import quote, urljoin, urlsplit

import httpx
import yaml

from hezi.agents.tools.base import TOOL_NAME, ToolFailed, ToolResult
from hezi.errors import DomainError, Unprocessable
from hezi.knowledge.errors import DocumentTooLarge
from hezi.knowledge.fetch import UrlFetcher, UrlFetchFailed

if TYPE_CHECKING:
    from hezi.agents.context import RunContext
    from hezi.egress import EgressPolicy

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_SPEC_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 20.0
CALL_TIMEOUT = 30.0
MAX_REDIRECTS = 5
# What the model sees of an answer: enough for a JSON record or a page of results, not a whole download.
MAX_RESULT_CHARS = 8_000
_MAX_READ_BYTES = 256 * 1024
# Schema nodes one document may expand to: a YAML alias bomb or a huge spec stops here, not in memory.
_MAX_NODES = 200_000
_MAX_DEPTH = 64
# Keywords that describe rather than constrain: they cost the model's context and some confuse grammar builders.
_ANNOTATIONS = frozenset(
    {"example", "examples", "xml", "externalDocs", "discriminator", "deprecated", "$schema", "$id", "$comment"}
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_VALUES = frozenset(
    {"items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
     "unevaluatedProperties", "unevaluatedItems", "additionalItems"}
)  # fmt: skip
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
# Headers OpenAPI says a parameter may not name: the client sets them.
_RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})


class OpenApiInvalid(Unprocessable):
    """The text is not a usable OpenAPI 3 document, or it could not be fetched."""

    code = "invalid_openapi"


# --- the document ---


def parse_document(text: str) -> dict[str, Any]:
    """The OpenAPI 3 document in `text` (JSON or YAML), as plain JSON values; OpenApiInvalid saying why not."""
    try:
        raw = json.loads(text)
    except ValueError:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise OpenApiInvalid(f"The document is neither JSON nor YAML: {exc}") from None
    except RecursionError:
        raise OpenApiInvalid("The document is nested too deeply.") from None
    doc = _plain(raw, [_MAX_NODES], 0)
    if not isinstance(doc, dict):
        raise OpenApiInvalid("The document is not an OpenAPI object (a JSON or YAML mapping).")
    version = doc.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        if "swagger" in doc:
            raise OpenApiInvalid("Swagger 2.0 documents are not supported: convert the document to OpenAPI 3.")
        raise OpenApiInvalid("This is not an OpenAPI 3 document: it has no 'openapi: 3.x' field.")
    if not isinstance(doc.get("paths"), dict):
        raise OpenApiInvalid("The document has no 'paths'.")
    return doc


def _plain(node: Any, budget: list[int], depth: int) -> Any:
    """JSON values only (YAML gives dates and integer keys), with a bound on size and depth."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 200:
        raise OpenApiInvalid("The document is too large or nested too deeply.")
    if isinstance(node, dict):
        return {str(k): _plain(v, budget, depth + 1) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v, budget, depth + 1) for v in node]
    if isinstance(node, dt.date | dt.datetime):
        return node.isoformat()
    if node is None or isinstance(node, str | int | float | bool):
        return node
    return str(node)


async def fetch_document(url: str, policy: EgressPolicy) -> dict[str, Any]:
    """The document at `url`, fetched through the egress guard (every redirect hop checked)."""
    fetcher = UrlFetcher(allowed=policy.allowed, max_bytes=MAX_SPEC_BYTES, timeout=FETCH_TIMEOUT)
    try:
        fetched = await fetcher.fetch(url)
    except UrlFetchFailed as exc:
        raise OpenApiInvalid(f"The document could not be fetched: {exc.message}", details=exc.details) from None
    except DocumentTooLarge:
        raise OpenApiInvalid(f"The document at {url} is larger than {MAX_SPEC_BYTES} bytes.") from None
    return parse_document(fetched.data.decode("utf-8", errors="replace"))


def server_url(doc: Mapping[str, Any], spec_url: str | None = None, override: str | None = None) -> str:
    """Where the operations are called: the override, else the first server (its variables at their defaults),
    relative to where the document came from."""
    if override:
        url = override
    else:
        url = ""
        servers = doc.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            first = servers[0]
            url = str(first.get("url") or "")
            variables = first.get("variables")
            for name, var in variables.items() if isinstance(variables, dict) else ():
                default = var.get("default", "") if isinstance(var, dict) else ""
                url = url.replace("{" + name + "}", str(default))
        if spec_url:
            url = urljoin(spec_url, url or "/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OpenApiInvalid(
            "The document names no absolute server URL (servers[0].url); give the provider a server_url.",
            details={"server_url": url},
        )
    return url.rstrip("/")


# --- operations ---


@dataclass(frozen=True)
class Param:
    prop: str  # the argument's name in the tool's schema
    name: str  # the parameter's own name
    location: Literal["path", "query", "header"]


@dataclass(frozen=True)
class Operation:
    name: str
    description: str
    method: str
    path: str
    parameters: dict[str, Any]
    params: tuple[Param, ...] = ()
    # "none"; "fields": the body's properties are arguments (named in body_fields); "whole": one argument, body_arg
    body: Literal["none", "fields", "whole"] = "none"
    body_fields: tuple[str, ...] = ()
    body_arg: str = "body"
    body_required: bool = False


class _Resolver:
    """Local `$ref`s resolved, annotations dropped; a reference back into itself becomes an open object."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.budget = _MAX_NODES

    def target(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise OpenApiInvalid(f"Only references within the document are supported, not {ref!r}.")
        node: Any = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise OpenApiInvalid(f"The reference {ref} points at nothing in the document.")
        return node

    def deref(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        """A parameter, request body or media object with its own `$ref` followed (not its schema's)."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise OpenApiInvalid(f"The reference {ref} refers to itself.")
            seen = (*seen, ref)
            node = self.target(ref)
        return node

    def schema(self, node: Any, stack: tuple[str, ...] = (), depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0 or depth > _MAX_DEPTH:
            raise OpenApiInvalid("The document's schemas are too large or nested too deeply.")
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack:  # a recursive type: the model gets an open object there, not an endless schema
                return {"type": "object", "description": f"(a nested {str(ref).rsplit('/', 1)[-1]})"}
            resolved = self.schema(self.target(ref), (*stack, ref), depth + 1)
            siblings = {k: v for k, v in node.items() if k != "$ref"}  # 3.1 allows a description next to $ref
            if siblings and isinstance(resolved, dict):
                return {**resolved, **self.schema(siblings, stack, depth + 1)}
            return resolved
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {name: self.schema(s, stack, depth + 1) for name, s in value.items()}
            elif key in _SCHEMA_VALUES and isinstance(value, dict | bool):
                out[key] = self.schema(value, stack, depth + 1)
            elif key in _SCHEMA_LISTS | {"items"} and isinstance(value, list):
                out[key] = [self.schema(s, stack, depth + 1) for s in value]
            else:
                out[key] = value
        return out


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Every operation of the document as a tool's definition; OpenApiInvalid when there is none."""
    resolver = _Resolver(doc)
    ops: list[Operation] = []
    names: set[str] = set()
    for path, item in doc["paths"].items():
        item = resolver.deref(item)
        if not isinstance(item, dict) or not str(path).startswith("/"):
            continue
        shared = _list(item.get("parameters"))
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                built = _operation(resolver, str(path), method, op, shared, names)
                if built is not None:
                    names.add(built.name)
                    ops.append(built)
    if not ops:
        raise OpenApiInvalid("The document has no operations that can be called.")
    return ops


def _operation(
    resolver: _Resolver, path: str, method: str, op: dict[str, Any], shared: list[Any], taken: set[str]
) -> Operation | None:
    declared: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *_list(op.get("parameters"))]:
        p = resolver.deref(raw)
        if isinstance(p, dict) and isinstance(p.get("name"), str) and p.get("in") in ("path", "query", "header"):
            declared[(p["in"], p["name"])] = p  # the operation's own overrides the path item's
    properties: dict[str, Any] = {}
    required: list[str] = []
    params: list[Param] = []
    for (location, name), p in declared.items():
        if location == "header" and name.lower() in _RESERVED_HEADERS:
            continue
        prop = name if name not in properties else f"{location}_{name}"
        schema = _param_schema(resolver, p)
        if p.get("description") and isinstance(schema, dict) and "description" not in schema:
            schema = {**schema, "description": str(p["description"])}
        properties[prop] = schema
        if location == "path" or p.get("required") is True:
            required.append(prop)
        params.append(Param(prop, name, cast(Literal["path", "query", "header"], location)))

    body: Literal["none", "fields", "whole"] = "none"
    body_fields: tuple[str, ...] = ()
    body_required = False
    body_arg = "body" if "body" not in properties else "request_body"
    request_body = resolver.deref(op.get("requestBody"))
    if isinstance(request_body, dict):
        content = _dict(request_body.get("content"))
        media = next((m for m in content if _is_json(m)), None)
        body_required = request_body.get("required") is True
        if media is None:
            if body_required:
                return None  # a form or file upload: a JSON tool cannot send it
        else:
            media_object = resolver.deref(content[media])
            raw_schema = media_object.get("schema", {}) if isinstance(media_object, dict) else {}
            schema = resolver.schema(raw_schema)
            fields = schema.get("properties") if isinstance(schema, dict) else None
            combined = isinstance(schema, dict) and any(k in schema for k in _SCHEMA_LISTS)
            if isinstance(fields, dict) and fields and not combined and not set(fields) & set(properties):
                body, body_fields = "fields", tuple(fields)
                properties.update(fields)
                if body_required:
                    required += [f for f in schema.get("required", []) if f in fields]
            else:
                body = "whole"
                properties[body_arg] = schema or {}
                if body_required:
                    required.append(body_arg)

    name = _unique(_tool_name(op.get("operationId"), method, path), taken)
    summary = str(op.get("summary") or "").strip()
    detail = str(op.get("description") or "").strip()
    description = "\n\n".join(d for d in (summary, detail if detail != summary else "") if d)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = list(dict.fromkeys(required))
    return Operation(
        name=name, description=(description or f"{method.upper()} {path}")[:1024], method=method.upper(),
        path=path, parameters=parameters, params=tuple(params), body=body, body_fields=body_fields,
        body_arg=body_arg, body_required=body != "none" and body_required,
    )  # fmt: skip


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _param_schema(resolver: _Resolver, p: dict[str, Any]) -> Any:
    if "schema" in p:
        return resolver.schema(p["schema"])
    content = p.get("content")
    if isinstance(content, dict) and content:
        media = resolver.deref(next(iter(content.values())))
        if isinstance(media, dict) and "schema" in media:
            return resolver.schema(media["schema"])
    return {"type": "string"}


def _is_json(media_type: str) -> bool:
    kind = media_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json") or kind in ("*/*", "application/*")


def _tool_name(operation_id: Any, method: str, path: str) -> str:
    if isinstance(operation_id, str) and operation_id.strip():
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", operation_id).strip("_")
    else:  # GET /pets/{id} → get_pets_id
        name = f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}".strip("_")
    return name[:64] or method


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"_{n}"
        candidate, n = name[: 64 - len(suffix)] + suffix, n + 1
    assert TOOL_NAME.match(candidate)
    return candidate


# --- calling ---


@dataclass(frozen=True)
class Credentials:
    """How a provider's calls authenticate; `value` is the opened secret."""

    type: Literal["none", "api_key", "bearer"] = "none"
    header: str | None = None
    value: str | None = None

    def headers(self) -> dict[str, str]:
        if not self.value:
            return {}
        if self.type == "api_key":
            return {self.header or "X-API-Key": self.value}
        if self.type == "bearer":
            return {"Authorization": f"Bearer {self.value}"}
        return {}


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    truncated: bool
    content_type: str


@dataclass
class OpenApiTool:
    """One operation, callable: arguments in, the server's answer out."""

    operation: Operation
    base_url: str
    credentials: Credentials = field(default_factory=Credentials)
    name: str = field(init=False)
    description: str = field(init=False)
    parameters: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.operation.name
        self.description = self.operation.description
        self.parameters = self.operation.parameters

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        op = self.operation
        path, query, headers = op.path, [], {}
        for p in op.params:
            if p.prop not in args or args[p.prop] is None:
                if p.location == "path":
                    raise ToolFailed(f"The argument {p.prop!r} is required.", code="invalid_arguments")
                continue
            value = args[p.prop]
            if p.location == "path":
                segment = quote(_text(value), safe="")
                segment = segment.replace(".", "%2E") if segment in (".", "..") else segment  # not a step up
                path = path.replace("{" + p.name + "}", segment)
            elif p.location == "query":
                values = value if isinstance(value, list) else [value]
                query += [(p.name, _text(v)) for v in values]
            else:
                headers[p.name] = _text(value).replace("\r", " ").replace("\n", " ")
        body: Any = None
        if op.body == "fields":
            fields = {k: args[k] for k in op.body_fields if k in args}
            body = fields if fields or op.body_required else None
        elif op.body == "whole":
            body = args.get(op.body_arg)
        timeout = ctx.time_left(CALL_TIMEOUT)
        url = self.base_url + path
        try:
            async with asyncio.timeout(timeout):
                answer = await send(
                    ctx.egress, op.method, url, params=query, headers=headers, auth=self.credentials.headers(),
                    json_body=body, seconds=timeout,
                )  # fmt: skip
        except TimeoutError:
            raise ToolFailed(f"{op.method} {url} did not answer within {timeout:g} s.", code="timeout") from None
        except DomainError as exc:  # the egress guard's refusal, a host that doesn't resolve
            raise ToolFailed(exc.message, code=exc.code) from None
        except httpx.HTTPError as exc:
            raise ToolFailed(f"{op.method} {url} failed: {exc or type(exc).__name__}", code="http_error") from None
        text = answer.text[:MAX_RESULT_CHARS]
        truncated = answer.truncated or len(answer.text) > MAX_RESULT_CHARS
        if not 200 <= answer.status < 300:
            raise ToolFailed(f"{op.method} {path} answered HTTP {answer.status}: {text[:1000]}", code="http_error")
        shown: Any = text
        if not truncated and "json" in answer.content_type:
            with contextlib.suppress(ValueError):
                shown = json.loads(answer.text)
        elif truncated:
            shown = text + "\n… (truncated)"
        return ToolResult({"status": answer.status, "body": shown})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def send(
    policy: EgressPolicy,
    method: str,
    url: str,
    *,
    params: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    auth: Mapping[str, str] | None = None,
    json_body: Any = None,
    seconds: float = CALL_TIMEOUT,
) -> Answer:
    """One HTTP call through the egress guard (each redirect hop checked, the auth headers not carried to another
    origin), its body read up to a bound."""
    overridden = {k.lower() for k in auth or {}}  # the provider's credentials win over an argument's header
    sent = {**{k: v for k, v in (headers or {}).items() if k.lower() not in overridden}, **(auth or {})}
    content = None
    if json_body is not None:
        content = json.dumps(json_body, ensure_ascii=False).encode()
        sent["Content-Type"] = "application/json"
    target = str(httpx.URL(url).copy_merge_params(list(params))) if params else url
    async with policy.stream(
        method, target, headers=sent, content=content, io_timeout=seconds, max_redirects=MAX_REDIRECTS,
        credentials=list(auth or {}),
    ) as response:  # fmt: skip
        data, truncated = bytearray(), False
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > _MAX_READ_BYTES:
                truncated = True
                break
        text = bytes(data[:_MAX_READ_BYTES]).decode(response.encoding or "utf-8", errors="replace")
        return Answer(response.status_code, text, truncated, str(response.headers.get("content-type", "")).lower())


class OpenApiToolset:
    """The operations of one document, with the provider's server and credentials."""

    def __init__(
        self, id: str, name: str, doc: dict[str, Any], base_url: str, credentials: Credentials | None = None
    ) -> None:
        self.id = id
        self.name = name
        creds = credentials or Credentials()
        self._tools = [OpenApiTool(op, base_url.rstrip("/"), creds) for op in operations(doc)]

    def by_name(self) -> dict[str, OpenApiTool]:
        return {t.name: t for t in self._tools}

    async def tools(self, ctx: RunContext) -> list[OpenApiTool]:
        return list(self._tools)
