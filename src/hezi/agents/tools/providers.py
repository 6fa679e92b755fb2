"""The workspace's tool providers: OpenAPI documents and MCP servers whose tools its agents may call.

Creating or changing one reads its tools at once (the document parsed, the server asked), so a document or server
that cannot be used is refused with the reason, and the builder lists the tools without a round trip. The secret
(an API key or bearer token, and an MCP server's headers) is sealed by the secret box and never returned.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.workspaces import WorkspaceService
from hezi.agents.tools.base import Tool
from hezi.agents.tools.mcp import McpServer, McpTool
from hezi.agents.tools.openapi import (
    Credentials,
    OpenApiToolset,
    fetch_document,
    operations,
    parse_document,
    server_url,
)
from hezi.agents.tools.schemas import (
    ToolAuth,
    ToolAuthPublic,
    ToolProviderCreate,
    ToolProviderPublic,
    ToolProvidersPublic,
    ToolProviderUpdate,
    ToolSummary,
)
from hezi.db.base import utcnow
from hezi.db.tables import ToolProvider
from hezi.egress import EgressPolicy
from hezi.errors import Conflict, NotFound, Unprocessable
from hezi.secrets import SecretBox

AuthType = Literal["none", "api_key", "bearer"]


class ToolProviderNotFound(NotFound):
    code = "tool_provider_not_found"


class ToolProviderNameTaken(Conflict):
    code = "tool_provider_name_taken"


@dataclass
class Secret:
    """What is sealed: the auth value and an MCP server's headers."""

    value: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def seal(self, box: SecretBox) -> bytes | None:
        if not self.value and not self.headers:
            return None
        return box.seal(json.dumps({"value": self.value, "headers": self.headers}))

    @classmethod
    def open(cls, box: SecretBox, sealed: bytes | None) -> Secret:
        if sealed is None:
            return cls()
        data = json.loads(box.open(sealed))
        return cls(data.get("value"), dict(data.get("headers") or {}))


@dataclass
class Source:
    """Everything a provider's tools are read from, its secrets open."""

    kind: str
    auth_type: AuthType = "none"
    auth_header: str | None = None
    secret: Secret = field(default_factory=Secret)
    spec_text: str | None = None  # openapi: a document to parse…
    spec_url: str | None = None  # …or to fetch (when `doc` is None)
    doc: dict[str, Any] | None = None  # …or the one already stored
    server_override: str | None = None
    url: str | None = None  # mcp

    def credentials(self) -> Credentials:
        return Credentials(self.auth_type, self.auth_header, self.secret.value)

    def mcp_server(self) -> McpServer:
        assert self.url is not None
        return McpServer(self.url, {**self.secret.headers, **self.credentials().headers()})


def _public(p: ToolProvider) -> ToolProviderPublic:
    auth = p.auth or {}
    return ToolProviderPublic(
        id=p.id, name=p.name, kind=p.kind, config=p.config,
        auth=ToolAuthPublic(type=auth.get("type", "none"), header=auth.get("header"),
                            has_secret=p.secret_encrypted is not None),
        tools=[ToolSummary(name=t["name"], description=t.get("description", ""), parameters=t.get("parameters", {}))
               for t in p.tools],
        created_at=p.created_at, updated_at=p.updated_at,
    )  # fmt: skip


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(message, code="validation_error")


class ToolProviderService:
    def __init__(self, db: AsyncSession, box: SecretBox, egress: EgressPolicy) -> None:
        self.db = db
        self.box = box
        self.egress = egress

    async def _admin(self, caller: Caller, workspace_id: uuid.UUID) -> None:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        acc.require(Role.ADMIN, "manage tool providers")

    async def list_providers(self, caller: Caller, workspace_id: uuid.UUID) -> ToolProvidersPublic:
        await WorkspaceService(self.db).access(caller, workspace_id)
        rows = await self.stored(workspace_id)
        return ToolProvidersPublic(data=[_public(p) for p in rows], count=len(rows))

    async def get(self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> ToolProviderPublic:
        await WorkspaceService(self.db).access(caller, workspace_id)
        return _public(await self._get(workspace_id, provider_id))

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: ToolProviderCreate) -> ToolProviderPublic:
        await self._admin(caller, workspace_id)
        await self._name_free(workspace_id, body.name)
        source = Source(
            kind=body.kind, auth_type=body.auth.type, auth_header=_header(body.auth),
            secret=Secret(body.auth.value if body.auth.type != "none" else None, dict(body.headers or {})),
            spec_text=body.spec, spec_url=body.spec_url, server_override=body.server_url, url=body.url,
        )  # fmt: skip
        config, tools = await self._read(source)
        provider = ToolProvider(
            workspace_id=workspace_id, name=body.name, kind=body.kind, config=config,
            auth={"type": source.auth_type, "header": source.auth_header},
            secret_encrypted=source.secret.seal(self.box), tools=tools, created_by=caller.principal.user_id,
            created_at=utcnow(),
        )  # fmt: skip
        self.db.add(provider)
        await self._flush(body.name)
        self._audit(caller, "tool_provider.created", workspace_id, provider.name, {"kind": provider.kind})
        await self.db.commit()
        await self.db.refresh(provider)
        return _public(provider)

    async def update(
        self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID, body: ToolProviderUpdate
    ) -> ToolProviderPublic:
        await self._admin(caller, workspace_id)
        provider = await self._get(workspace_id, provider_id)
        changed = sorted(body.model_dump(exclude_unset=True))
        if body.name is not None and body.name != provider.name:
            await self._name_free(workspace_id, body.name)
            provider.name = body.name
        if set(changed) - {"name"}:
            source = self._updated_source(provider, body)
            provider.config, provider.tools = await self._read(source)
            provider.kind = source.kind
            provider.auth = {"type": source.auth_type, "header": source.auth_header}
            provider.secret_encrypted = source.secret.seal(self.box)
        await self._flush(provider.name)
        self._audit(caller, "tool_provider.updated", workspace_id, provider.name, {"changed": changed})
        await self.db.commit()
        await self.db.refresh(provider)
        return _public(provider)

    async def refresh(self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> ToolProviderPublic:
        """Read the tools again: the document fetched again from its URL, the MCP server asked again."""
        await self._admin(caller, workspace_id)
        provider = await self._get(workspace_id, provider_id)
        source = self._source(provider)
        if source.spec_url:
            source.doc = None  # fetch it again
        provider.config, provider.tools = await self._read(source)
        provider.updated_at = utcnow()
        await self.db.commit()
        await self.db.refresh(provider)
        return _public(provider)

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> None:
        await self._admin(caller, workspace_id)
        provider = await self._get(workspace_id, provider_id)
        self._audit(caller, "tool_provider.deleted", workspace_id, provider.name, {"kind": provider.kind})
        await self.db.delete(provider)
        await self.db.commit()

    # --- for the catalogue ---

    async def stored(self, workspace_id: uuid.UUID) -> list[ToolProvider]:
        rows = await self.db.scalars(
            select(ToolProvider).where(ToolProvider.workspace_id == workspace_id).order_by(ToolProvider.name)
        )
        return list(rows.all())

    async def find(self, workspace_id: uuid.UUID, provider_id: str) -> ToolProvider | None:
        try:
            pid = uuid.UUID(provider_id)
        except ValueError:
            return None
        return await self.db.scalar(
            select(ToolProvider).where(ToolProvider.id == pid, ToolProvider.workspace_id == workspace_id)
        )

    def tools_of(self, provider: ToolProvider) -> dict[str, Tool]:
        """The provider's tools by name, callable, built from what is stored (no round trip to the server)."""
        source = self._source(provider)
        if provider.kind == "openapi":
            assert source.doc is not None
            base = str(provider.config.get("server_url") or server_url(source.doc, source.spec_url))
            toolset = OpenApiToolset(str(provider.id), provider.name, source.doc, base, source.credentials())
            return dict(toolset.by_name())
        server = source.mcp_server()
        return {t["name"]: McpTool.from_summary(server, t) for t in provider.tools}

    # --- reading a provider's tools ---

    async def _read(self, source: Source) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The config to store and the tools listed, or the reason they cannot be read."""
        if source.kind == "openapi":
            if source.spec_text is not None:
                doc = parse_document(source.spec_text)
            elif source.doc is not None:
                doc = source.doc
            else:
                assert source.spec_url is not None
                doc = await fetch_document(source.spec_url, self.egress)
            ops = operations(doc)
            base = server_url(doc, source.spec_url, source.server_override)
            await self.egress.check(base)  # a document pointing at an internal address is refused now, not later
            config = {"spec": doc, "spec_url": source.spec_url, "server_url": base,
                      "server_url_override": source.server_override}  # fmt: skip
            return config, [{"name": op.name, "description": op.description, "parameters": op.parameters}
                            for op in ops]  # fmt: skip
        tools = await source.mcp_server().tools(self.egress)
        return {"url": source.url}, [t.summary() for t in tools]

    def _source(self, p: ToolProvider) -> Source:
        auth = p.auth or {}
        auth_type = cast(AuthType, auth.get("type") if auth.get("type") in ("api_key", "bearer") else "none")
        secret = Secret.open(self.box, p.secret_encrypted)
        config = p.config or {}
        if p.kind == "openapi":
            return Source(
                kind="openapi", auth_type=auth_type, auth_header=auth.get("header"), secret=secret,
                doc=config.get("spec"), spec_url=config.get("spec_url"),
                server_override=config.get("server_url_override"),
            )  # fmt: skip
        return Source(kind="mcp", auth_type=auth_type, auth_header=auth.get("header"), secret=secret,
                      url=config.get("url"))  # fmt: skip

    def _updated_source(self, p: ToolProvider, body: ToolProviderUpdate) -> Source:
        old = self._source(p)
        kind = body.kind or p.kind
        same_kind = kind == p.kind
        new = Source(kind=kind, auth_type=old.auth_type, auth_header=old.auth_header)
        if body.auth is not None:
            new.auth_type, new.auth_header = body.auth.type, _header(body.auth)
            if body.auth.type == "none":
                new.secret.value = None
            elif body.auth.value:
                new.secret.value = body.auth.value
            elif old.secret.value and old.auth_type != "none":
                new.secret.value = old.secret.value
            else:
                raise _invalid(f"auth of type {body.auth.type!r} needs its 'value'")
        else:
            new.secret.value = old.secret.value
        if kind == "openapi":
            if body.url is not None or body.headers:
                raise _invalid("'url' and 'headers' are for mcp providers")
            if body.spec is not None:
                new.spec_text = body.spec
            elif body.spec_url is not None:
                new.spec_url = body.spec_url
            elif same_kind:
                new.doc, new.spec_url = old.doc, old.spec_url
            else:
                raise _invalid("an openapi provider needs either 'spec' (the document) or 'spec_url'")
            if body.server_url is not None:
                new.server_override = body.server_url or None
            elif same_kind:
                new.server_override = old.server_override
        else:
            if body.spec is not None or body.spec_url is not None or body.server_url is not None:
                raise _invalid("'spec', 'spec_url' and 'server_url' are for openapi providers")
            new.url = body.url or (old.url if same_kind else None)
            if new.url is None:
                raise _invalid("an mcp provider needs 'url' (its streamable HTTP endpoint)")
            if body.headers is not None:
                new.secret.headers = dict(body.headers)
            elif same_kind:
                new.secret.headers = old.secret.headers
        return new

    # --- rows ---

    async def _get(self, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> ToolProvider:
        provider = await self.find(workspace_id, str(provider_id))
        if provider is None:
            raise ToolProviderNotFound("No such tool provider in this workspace.")
        return provider

    async def _name_free(self, workspace_id: uuid.UUID, name: str) -> None:
        if await self.db.scalar(
            select(ToolProvider.id).where(ToolProvider.workspace_id == workspace_id, ToolProvider.name == name)
        ):
            raise ToolProviderNameTaken(f"This workspace already has a tool provider named {name!r}.")

    async def _flush(self, name: str) -> None:
        try:
            await self.db.flush()
        except IntegrityError:  # a concurrent create took the name between the check and the insert
            await self.db.rollback()
            raise ToolProviderNameTaken(f"This workspace already has a tool provider named {name!r}.") from None

    def _audit(self, caller: Caller, action: str, wid: uuid.UUID, target: str, details: dict[str, Any]) -> None:
        audit.record_for(self.db, caller, action, workspace_id=wid, target=target, details=details)


def _header(auth: ToolAuth) -> str | None:
    if auth.type != "api_key":
        return None
    return auth.header or "X-API-Key"
