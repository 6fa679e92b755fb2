"""Workspace API keys: created (secret shown once), listed by prefix, revoked with immediate effect.

Two kinds share the hashing, listing and revocation: a `user` key acts for its user in its workspace (scopes `api`,
`datasets`); an `app` key works only on one app's API (scope `app`) and is managed by the app's editors.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit, key_cache, roles, tokens
from hezi.accounts.errors import ApiKeyNotFound, SessionRequired
from hezi.accounts.principal import Caller
from hezi.accounts.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, ApiKeysPublic, AppKeyCreate
from hezi.accounts.workspaces import WorkspaceService
from hezi.db.base import utcnow
from hezi.db.tables import ApiKey, User
from hezi.errors import InvalidInput

# What a key may be used for. "api": the OpenAI-compatible gateway and console API in its workspace;
# "datasets": the knowledge-base API.
KNOWN_SCOPES = frozenset({"api", "datasets"})
# The one scope of an app key: the API of its app (and nothing else; a user key cannot ask for it).
APP_SCOPE = "app"


class ApiKeyService:
    def __init__(self, db: AsyncSession, workspaces: WorkspaceService) -> None:
        self.db = db
        self.workspaces = workspaces

    async def _manage(
        self,
        caller: Caller,
        workspace_id: uuid.UUID,
        minimum: roles.Role = roles.MANAGE_API_KEYS,
        *,
        keys_may: bool = False,
    ) -> None:
        """`keys_may`: a user key may act too (app keys: a deploy script publishes an app and takes its key; an app
        key reaches only its app, so a user key minting one gains nothing). User keys are a session's to manage."""
        acc = await self.workspaces.access(caller, workspace_id)
        acc.require(minimum, "manage API keys")
        if not caller.principal.is_session and not (keys_may and caller.principal.via == "api_key"):
            raise SessionRequired("API keys can only be managed from a signed-in session, not with a key.")

    async def list(self, caller: Caller, workspace_id: uuid.UUID) -> ApiKeysPublic:
        """The workspace's user keys (app keys are listed with their app)."""
        await self._manage(caller, workspace_id)
        return await self._list(workspace_id, ApiKey.kind == "user")

    async def _list(self, workspace_id: uuid.UUID, *where: ColumnElement[bool]) -> ApiKeysPublic:
        rows = (
            await self.db.execute(
                select(ApiKey, User.username)
                .outerjoin(User, User.id == ApiKey.user_id)
                .where(ApiKey.workspace_id == workspace_id, *where)
                .order_by(ApiKey.created_at.desc())
            )
        ).all()
        data = [_public(k, name) for k, name in rows]
        return ApiKeysPublic(data=data, count=len(data))

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: ApiKeyCreate) -> ApiKeyCreated:
        await self._manage(caller, workspace_id)
        return await self.create_unchecked(
            workspace_id, caller.principal.user, body, actor=caller.principal.user.username, ip=caller.ip
        )

    async def create_unchecked(
        self, workspace_id: uuid.UUID, user: User, body: ApiKeyCreate, *, actor: str, ip: str | None = None
    ) -> ApiKeyCreated:
        """Create a key for `user` in the workspace; the caller has checked the right to do so."""
        unknown = sorted(set(body.scopes) - KNOWN_SCOPES)
        if unknown:
            raise InvalidInput(
                f"Unknown scope(s): {', '.join(unknown)}.",
                code="unknown_scope",
                details={"known": sorted(KNOWN_SCOPES)},
            )
        return await self._create(workspace_id, user, body, sorted(set(body.scopes)), actor=actor, ip=ip)

    async def _create(
        self,
        workspace_id: uuid.UUID,
        user: User,
        body: ApiKeyCreate | AppKeyCreate,
        scopes: Sequence[str],
        *,
        actor: str,
        ip: str | None,
        app_id: uuid.UUID | None = None,
    ) -> ApiKeyCreated:
        if body.expires_at is not None and body.expires_at <= utcnow():
            raise InvalidInput("expires_at must be in the future.", code="invalid_expiry")
        secret, prefix = tokens.new_api_key()
        key = ApiKey(
            workspace_id=workspace_id,
            user_id=user.id,
            name=body.name,
            prefix=prefix,
            key_hash=tokens.digest(secret),
            scopes=[*scopes],
            kind="user" if app_id is None else "app",
            app_id=app_id,
            rate_limit_rpm=body.rate_limit_rpm,
            token_limit_per_day=body.token_limit_per_day,
            expires_at=body.expires_at,
            created_at=utcnow(),
        )
        self.db.add(key)
        await self.db.flush()
        noted = {
            "app_id": app_id and str(app_id),
            "rate_limit_rpm": key.rate_limit_rpm,
            "token_limit_per_day": key.token_limit_per_day,
        }
        details = {"scopes": key.scopes, **{k: v for k, v in noted.items() if v is not None}}
        audit.record(
            self.db,
            "api_key.created",
            actor=actor,
            actor_user_id=user.id,
            workspace_id=workspace_id,
            target=f"{body.name} ({prefix}…)",
            ip=ip,
            details=details,
        )
        await self.db.commit()
        return ApiKeyCreated(**_public(key, user.username).model_dump(), key=secret)

    async def revoke(self, caller: Caller, workspace_id: uuid.UUID, key_id: uuid.UUID) -> None:
        """Revoke any key of the workspace, user or app key (workspace admins)."""
        await self._manage(caller, workspace_id)
        await self._revoke(caller, workspace_id, key_id)

    # App keys: an app's editors manage them. The app's existence is the apps service's to check before calling.

    async def list_app_keys(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> ApiKeysPublic:
        await self._manage(caller, workspace_id, roles.MANAGE_APP_KEYS, keys_may=True)
        return await self._list(workspace_id, ApiKey.app_id == app_id)

    async def create_app_key(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, body: AppKeyCreate
    ) -> ApiKeyCreated:
        await self._manage(caller, workspace_id, roles.MANAGE_APP_KEYS, keys_may=True)
        p = caller.principal
        return await self._create(
            workspace_id, p.user, body, [APP_SCOPE], actor=p.user.username, ip=caller.ip, app_id=app_id
        )

    async def revoke_app_key(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, key_id: uuid.UUID
    ) -> None:
        await self._manage(caller, workspace_id, roles.MANAGE_APP_KEYS, keys_may=True)
        await self._revoke(caller, workspace_id, key_id, ApiKey.app_id == app_id)

    async def _revoke(
        self, caller: Caller, workspace_id: uuid.UUID, key_id: uuid.UUID, *where: ColumnElement[bool]
    ) -> None:
        key = await self.db.scalar(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == workspace_id, *where)
        )
        if key is None:
            raise ApiKeyNotFound("No such API key in this workspace.")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            await key_cache.announce(self.db, keys=[key.id])  # every server forgets it when this commits
            audit.record_for(
                self.db,
                caller,
                "api_key.revoked",
                workspace_id=workspace_id,
                target=f"{key.name} ({key.prefix}…)",
            )
            await self.db.commit()


def _public(key: ApiKey, created_by: str | None) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        kind="app" if key.kind == "app" else "user",
        app_id=key.app_id,
        rate_limit_rpm=key.rate_limit_rpm,
        token_limit_per_day=key.token_limit_per_day,
        created_by=created_by,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
    )
