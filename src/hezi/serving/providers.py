"""Remote OpenAI-compatible providers of a workspace (vLLM, Ollama, Xinference, DeepSeek, Qwen…).

Their models appear in the gateway as "<provider>/<model id>" for that workspace only. The API key is
encrypted at rest and never returned. Every call out goes through the egress guard.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi import egress
from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.workspaces import WorkspaceService
from hezi.db.base import utcnow
from hezi.db.tables import Provider
from hezi.egress import Destination, EgressPolicy
from hezi.errors import Conflict, NotFound
from hezi.secrets import SecretBox

TIMEOUT = httpx.Timeout(10.0, read=600.0)


class ProviderNotFound(NotFound):
    code = "provider_not_found"


class ProviderNameTaken(Conflict):
    code = "provider_name_taken"


class ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="prefix of its models: name/model")
    base_url: str = Field(min_length=8, max_length=2000, description="e.g. https://api.deepseek.com/v1")
    api_key: str | None = Field(default=None, max_length=4000)
    models: list[str] = Field(default_factory=list, max_length=500, description="model ids to expose")


class ProviderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(default=None, min_length=8, max_length=2000)
    api_key: str | None = Field(default=None, max_length=4000, description="empty string removes the key")
    models: list[str] | None = Field(default=None, max_length=500)


class ProviderPublic(BaseModel):
    id: uuid.UUID
    name: str
    base_url: str
    has_api_key: bool
    models: list[str]
    created_at: Any


class ProvidersPublic(BaseModel):
    data: list[ProviderPublic]
    count: int


class ProviderTest(BaseModel):
    ok: bool
    latency_ms: int
    models: list[str]
    error: str | None = None


@dataclass(frozen=True)
class RemoteTarget:
    base_url: str
    api_key: str | None
    model: str  # the provider's own id
    destination: Destination  # the address the egress guard approved: calls connect there

    def client(self, timeout: httpx.Timeout) -> httpx.AsyncClient:
        return egress.client(self.base_url, self.destination, timeout=timeout)


def _public(p: Provider) -> ProviderPublic:
    return ProviderPublic(
        id=p.id, name=p.name, base_url=p.base_url, has_api_key=p.api_key_encrypted is not None,
        models=list(p.models), created_at=p.created_at,
    )  # fmt: skip


class ProviderService:
    def __init__(self, db: AsyncSession, box: SecretBox, egress: EgressPolicy) -> None:
        self.db = db
        self.box = box
        self.egress = egress

    async def _admin(self, caller: Caller, workspace_id: uuid.UUID) -> None:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        acc.require(Role.ADMIN, "manage model providers")

    async def list_providers(self, caller: Caller, workspace_id: uuid.UUID) -> ProvidersPublic:
        await WorkspaceService(self.db).access(caller, workspace_id)
        rows = (
            await self.db.scalars(select(Provider).where(Provider.workspace_id == workspace_id).order_by(Provider.name))
        ).all()
        return ProvidersPublic(data=[_public(p) for p in rows], count=len(rows))

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: ProviderCreate) -> ProviderPublic:
        await self._admin(caller, workspace_id)
        await self.egress.check(body.base_url)
        if await self.db.scalar(
            select(Provider).where(Provider.workspace_id == workspace_id, Provider.name == body.name)
        ):
            raise ProviderNameTaken(f"This workspace already has a provider named {body.name!r}.")
        provider = Provider(
            workspace_id=workspace_id, name=body.name, base_url=body.base_url.rstrip("/"),
            api_key_encrypted=self.box.seal(body.api_key) if body.api_key else None, models=body.models,
            created_at=utcnow(),
        )  # fmt: skip
        self.db.add(provider)
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise ProviderNameTaken(f"This workspace already has a provider named {body.name!r}.") from None
        self._audit(caller, "provider.created", workspace_id, provider.name, {"base_url": provider.base_url})
        await self.db.commit()
        return _public(provider)

    async def update(
        self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID, body: ProviderUpdate
    ) -> ProviderPublic:
        await self._admin(caller, workspace_id)
        provider = await self._get(workspace_id, provider_id)
        if body.base_url is not None:
            await self.egress.check(body.base_url)
            provider.base_url = body.base_url.rstrip("/")
        if body.api_key is not None:
            provider.api_key_encrypted = self.box.seal(body.api_key) if body.api_key else None
        if body.models is not None:
            provider.models = body.models
        changed = sorted(k for k, v in body.model_dump(exclude_unset=True).items() if v is not None)
        self._audit(caller, "provider.updated", workspace_id, provider.name, {"changed": changed})
        await self.db.commit()
        return _public(provider)

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> None:
        await self._admin(caller, workspace_id)
        provider = await self._get(workspace_id, provider_id)
        self._audit(caller, "provider.deleted", workspace_id, provider.name, {})
        await self.db.delete(provider)
        await self.db.commit()

    async def test(self, caller: Caller, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderTest:
        """Ask the provider for its model list: proves the URL, the key and the network path."""
        await self._admin(caller, workspace_id)
        provider = await self._get(workspace_id, provider_id)
        start = time.monotonic()
        try:
            models = await self.remote_models(provider)
        except (httpx.HTTPError, ValueError) as exc:
            return ProviderTest(ok=False, latency_ms=int((time.monotonic() - start) * 1000), models=[],
                                error=f"{type(exc).__name__}: {exc}")  # fmt: skip
        return ProviderTest(ok=True, latency_ms=int((time.monotonic() - start) * 1000), models=models)

    async def remote_models(self, provider: Provider) -> list[str]:
        destination = await self.egress.check(provider.base_url)
        async with egress.client(provider.base_url, destination, timeout=TIMEOUT) as http:
            r = await http.get(f"{provider.base_url}/models", headers=self._headers(provider))
            r.raise_for_status()
            data = r.json().get("data")
            if not isinstance(data, list):
                raise ValueError("the provider's /models answer has no 'data' list")
            return sorted(str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id"))

    # --- used by the model client (through ProviderDirectory) ---

    async def exposed(self, workspace_id: uuid.UUID | None) -> list[str]:
        if workspace_id is None:
            return []
        rows = (await self.db.scalars(select(Provider).where(Provider.workspace_id == workspace_id))).all()
        return [f"{p.name}/{m}" for p in rows for m in p.models]

    async def resolve(self, workspace_id: uuid.UUID | None, model: str) -> RemoteTarget | None:
        """The remote target for "<provider>/<model>" in this workspace, or None if it is not one."""
        prefix, sep, remote_id = model.partition("/")
        if not sep or workspace_id is None:
            return None
        provider = await self.db.scalar(
            select(Provider).where(Provider.workspace_id == workspace_id, Provider.name == prefix)
        )
        if provider is None or remote_id not in provider.models:
            return None
        destination = await self.egress.check(provider.base_url)
        key = self.box.open(provider.api_key_encrypted) if provider.api_key_encrypted else None
        return RemoteTarget(base_url=provider.base_url, api_key=key, model=remote_id, destination=destination)

    def _headers(self, provider: Provider) -> dict[str, str]:
        if provider.api_key_encrypted is None:
            return {}
        return {"Authorization": f"Bearer {self.box.open(provider.api_key_encrypted)}"}

    async def _get(self, workspace_id: uuid.UUID, provider_id: uuid.UUID) -> Provider:
        provider = await self.db.scalar(
            select(Provider).where(Provider.id == provider_id, Provider.workspace_id == workspace_id)
        )
        if provider is None:
            raise ProviderNotFound("No such provider in this workspace.")
        return provider

    def _audit(self, caller: Caller, action: str, wid: uuid.UUID, target: str, details: dict[str, Any]) -> None:
        audit.record_for(
            self.db, caller, action,
            workspace_id=wid, target=target, details=details,
        )  # fmt: skip


class ProviderDirectory:
    """The workspaces' remote models for the model client, built once: each look-up opens its own short session,
    so a request streaming from a provider holds no database connection."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], box: SecretBox, egress: EgressPolicy) -> None:
        self.sessionmaker = sessionmaker
        self.box = box
        self.egress = egress

    def service(self, db: AsyncSession) -> ProviderService:
        """The provider service (management, for the console) on a request's session."""
        return ProviderService(db, self.box, self.egress)

    async def resolve(self, workspace_id: uuid.UUID | None, model: str) -> RemoteTarget | None:
        if workspace_id is None or "/" not in model:
            return None  # local names need no database
        async with self.sessionmaker() as db:
            return await self.service(db).resolve(workspace_id, model)

    async def exposed(self, workspace_id: uuid.UUID | None) -> list[str]:
        if workspace_id is None:
            return []
        async with self.sessionmaker() as db:
            return await self.service(db).exposed(workspace_id)
