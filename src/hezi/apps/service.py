"""Apps of a workspace: made from a published agent version, switched to another version atomically, rolled back in
one step; their settings (channels, access, origins, limits) and their keys.

Members see a workspace's apps; editors and above make and change them (as they do agents).
"""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit, key_cache
from hezi.accounts.api_keys import ApiKeyService
from hezi.accounts.passwords import hash_password
from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.schemas import ApiKeyCreated, ApiKeysPublic, AppKeyCreate
from hezi.accounts.workspaces import WorkspaceService
from hezi.apps.errors import AgentNotPublished, AgentVersionNotFound, AppNotFound, AppSlugTaken, NothingToRollBack
from hezi.apps.schemas import (
    AppCreate,
    AppPublic,
    AppsPublic,
    AppUpdate,
    Channels,
    ReleasePublic,
    ReleasesPublic,
)
from hezi.db.tables import Agent, AgentVersion, App, AppRelease, User
from hezi.errors import InvalidInput, NotFound

EDIT_APPS = Role.EDITOR
MODEL_PREFIX = "app-"  # an app is the OpenAI model `app-{slug}`
WEB_APP_PREFIX = "/app/"


class AppService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # -- reading --------------------------------------------------------------------------------------------------

    async def list(self, caller: Caller, workspace_id: uuid.UUID) -> AppsPublic:
        await self._access(caller, workspace_id)
        rows = (
            await self.db.execute(
                select(App, Agent).join(Agent, Agent.id == App.agent_id)
                .where(App.workspace_id == workspace_id).order_by(App.created_at.desc())
            )
        ).all()  # fmt: skip
        return AppsPublic(data=[_public(app, agent) for app, agent in rows])

    async def get(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> AppPublic:
        app = await self.find(caller, workspace_id, app_id)
        return _public(app, await self._agent(app.agent_id))

    async def find(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, *, write: bool = False) -> App:
        await self._access(caller, workspace_id, write=write)
        app = await self.db.scalar(select(App).where(App.id == app_id, App.workspace_id == workspace_id))
        if app is None:
            raise AppNotFound("No such app in this workspace.")
        return app

    async def releases(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> ReleasesPublic:
        """Newest first."""
        app = await self.find(caller, workspace_id, app_id)
        rows = (
            await self.db.execute(
                select(AppRelease, User.username).outerjoin(User, User.id == AppRelease.created_by)
                .where(AppRelease.app_id == app.id).order_by(AppRelease.created_at.desc(), AppRelease.id)
            )
        ).all()  # fmt: skip
        return ReleasesPublic(
            data=[
                ReleasePublic(
                    agent_version=r.agent_version, rollback=r.rollback, created_by=name, created_at=r.created_at
                )
                for r, name in rows
            ]
        )

    # -- changing -------------------------------------------------------------------------------------------------

    async def create(self, caller: Caller, workspace_id: uuid.UUID, body: AppCreate) -> AppPublic:
        await self._access(caller, workspace_id, write=True)
        agent = await self.db.scalar(select(Agent).where(Agent.id == body.agent_id, Agent.workspace_id == workspace_id))
        if agent is None:
            raise NotFound("No such agent in this workspace.", code="agent_not_found")
        version = body.agent_version or agent.published_version
        if version is None:
            raise AgentNotPublished("Publish the agent first: an app serves a published version, never the draft.")
        await self._check_version(agent.id, version)
        _check_access(body.access, body.password, had_password=False)
        app = App(
            workspace_id=workspace_id,
            agent_id=agent.id,
            agent_version=version,
            name=body.name or agent.name,
            slug=body.slug or _slug_from(body.name or agent.name),
            token=secrets.token_urlsafe(16),
            enabled=True,
            channels=body.channels.model_dump(),
            access=body.access,
            password_hash=hash_password(body.password) if body.password else None,
            allowed_origins=[],
            created_by=caller.principal.user_id,
        )
        self.db.add(app)
        await self._flush_slug(app, chosen=body.slug is not None)
        self.db.add(AppRelease(app_id=app.id, agent_version=version, created_by=caller.principal.user_id))
        audit.record_for(self.db, caller, "app.created", workspace_id=workspace_id, target=f"{app.name} ({app.slug})")
        await self.db.commit()
        return _public(app, agent)

    async def update(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, body: AppUpdate) -> AppPublic:
        app = await self.find(caller, workspace_id, app_id, write=True)
        fields = body.model_dump(exclude_unset=True)
        if "access" in fields or "password" in fields:
            _check_access(body.access or app.access, body.password, had_password=app.password_hash is not None)
        for name in ("name", "slug", "enabled", "access", "allowed_origins"):
            if fields.get(name) is not None:
                setattr(app, name, fields[name])
        if body.channels is not None:
            app.channels = body.channels.model_dump()
        if body.password:
            app.password_hash = hash_password(body.password)
        if "rate_limit_rpm" in fields:
            app.rate_limit_rpm = body.rate_limit_rpm or None
        if "token_limit_per_day" in fields:
            app.token_limit_per_day = body.token_limit_per_day or None
        if body.enabled is False:
            await key_cache.announce(self.db, apps=[app.id])  # its keys stop at once, on every server
        await self._flush_slug(app, chosen=True)
        audit.record_for(self.db, caller, "app.updated", workspace_id=workspace_id, target=app.slug,
                         details={"fields": sorted(fields)})  # fmt: skip
        await self.db.commit()
        return _public(app, await self._agent(app.agent_id))

    async def release(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, version: int) -> AppPublic:
        """Serve another published version of the agent, from the next request on."""
        app = await self._locked(caller, workspace_id, app_id)
        await self._check_version(app.agent_id, version)
        await self._switch(caller, app, version, rollback=False)
        return _public(app, await self._agent(app.agent_id))

    async def rollback(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> AppPublic:
        """Back to the version served before the current one."""
        app = await self._locked(caller, workspace_id, app_id)
        history = (
            await self.db.scalars(
                select(AppRelease.agent_version).where(AppRelease.app_id == app.id)
                .order_by(AppRelease.created_at.desc(), AppRelease.id.desc())
            )
        ).all()  # fmt: skip
        earlier = next((v for v in history if v != app.agent_version), None)
        if earlier is None:
            raise NothingToRollBack("This app has served no other version.")
        await self._switch(caller, app, earlier, rollback=True)
        return _public(app, await self._agent(app.agent_id))

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> None:
        """The app, its keys and its end users' conversations."""
        app = await self.find(caller, workspace_id, app_id, write=True)
        await key_cache.announce(self.db, apps=[app.id])
        audit.record_for(self.db, caller, "app.deleted", workspace_id=workspace_id, target=f"{app.name} ({app.slug})")
        await self.db.delete(app)
        await self.db.commit()

    # -- keys -----------------------------------------------------------------------------------------------------

    async def list_keys(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> ApiKeysPublic:
        app = await self.find(caller, workspace_id, app_id)
        return await self._keys().list_app_keys(caller, workspace_id, app.id)

    async def create_key(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, body: AppKeyCreate
    ) -> ApiKeyCreated:
        app = await self.find(caller, workspace_id, app_id, write=True)
        return await self._keys().create_app_key(caller, workspace_id, app.id, body)

    async def revoke_key(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, key_id: uuid.UUID) -> None:
        app = await self.find(caller, workspace_id, app_id, write=True)
        await self._keys().revoke_app_key(caller, workspace_id, app.id, key_id)

    # -- helpers --------------------------------------------------------------------------------------------------

    def _keys(self) -> ApiKeyService:
        return ApiKeyService(self.db, WorkspaceService(self.db))

    async def _access(self, caller: Caller, workspace_id: uuid.UUID, *, write: bool = False) -> None:
        acc = await WorkspaceService(self.db).access(caller, workspace_id)
        if write:
            acc.require(EDIT_APPS, "publish and change apps")

    async def _locked(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID) -> App:
        """The app, its row locked: two switches at once each see the other's result, never half of it."""
        await self.find(caller, workspace_id, app_id, write=True)
        app = await self.db.scalar(select(App).where(App.id == app_id).with_for_update().execution_options(
            populate_existing=True))  # fmt: skip
        assert app is not None
        return app

    async def _switch(self, caller: Caller, app: App, version: int, *, rollback: bool) -> None:
        previous = app.agent_version
        app.agent_version = version
        self.db.add(AppRelease(app_id=app.id, agent_version=version, rollback=rollback,
                               created_by=caller.principal.user_id))  # fmt: skip
        action = "app.rolled_back" if rollback else "app.released"
        audit.record_for(self.db, caller, action, workspace_id=app.workspace_id, target=app.slug,
                         details={"from": previous, "to": version})  # fmt: skip
        await self.db.commit()

    async def _check_version(self, agent_id: uuid.UUID, version: int) -> None:
        found = await self.db.scalar(
            select(func.count()).select_from(AgentVersion)
            .where(AgentVersion.agent_id == agent_id, AgentVersion.version == version)
        )  # fmt: skip
        if not found:
            raise AgentVersionNotFound(f"The agent has no published version {version}.", details={"version": version})

    async def _agent(self, agent_id: uuid.UUID) -> Agent:
        agent = await self.db.get(Agent, agent_id)
        assert agent is not None  # an app goes with its agent (ON DELETE CASCADE)
        return agent

    async def _flush_slug(self, app: App, *, chosen: bool) -> None:
        """Write the app. A chosen slug that is taken is a 409; a made-up one gets a suffix until it is free."""
        if not chosen:
            base = app.slug
            while await self._slug_used(app.slug, app.id):
                app.slug = f"{base[:55]}-{secrets.token_hex(3)}"
        elif await self._slug_used(app.slug, app.id):
            raise AppSlugTaken(f"The slug {app.slug!r} is taken.", details={"slug": app.slug})
        try:
            await self.db.flush()
        except IntegrityError as exc:  # taken between the check and the write
            await self.db.rollback()
            if "slug" in str(exc.orig):
                raise AppSlugTaken(f"The slug {app.slug!r} is taken.", details={"slug": app.slug}) from exc
            raise

    async def _slug_used(self, slug: str, app_id: uuid.UUID | None) -> bool:
        with self.db.no_autoflush:  # the app being written is not in the table yet
            return bool(
                await self.db.scalar(select(func.count()).select_from(App).where(App.slug == slug, App.id != app_id))
            )


def _check_access(access: str, password: str | None, *, had_password: bool) -> None:
    if access == "password" and not (password or had_password):
        raise InvalidInput("A password-protected app needs a password.", code="password_required")


def _slug_from(name: str) -> str:
    """ASCII words of the name; a name with none (Chinese, say) gets a random slug."""
    words = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48].strip("-")
    return words if len(words) >= 3 else f"app-{secrets.token_hex(3)}"


def _public(app: App, agent: Agent) -> AppPublic:
    return AppPublic(
        id=app.id,
        workspace_id=app.workspace_id,
        agent_id=app.agent_id,
        agent_name=agent.name,
        agent_version=app.agent_version,
        latest_version=agent.published_version,
        name=app.name,
        slug=app.slug,
        model=MODEL_PREFIX + app.slug,
        web_app_path=WEB_APP_PREFIX + app.token,
        enabled=app.enabled,
        channels=Channels(**app.channels),
        access=app.access,
        has_password=app.password_hash is not None,
        allowed_origins=list(app.allowed_origins),
        rate_limit_rpm=app.rate_limit_rpm,
        token_limit_per_day=app.token_limit_per_day,
        created_at=app.created_at,
        updated_at=app.updated_at,
    )
