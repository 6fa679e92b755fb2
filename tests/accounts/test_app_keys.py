"""App keys: managed by an app's editors, hashed and revoked like user keys, and good only for their app's API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts.api_keys import ApiKeyService
from hezi.accounts.auth import AuthService
from hezi.accounts.errors import ApiKeyNotFound, NotAuthenticated, PermissionDenied
from hezi.accounts.principal import Caller
from hezi.accounts.schemas import AppKeyCreate
from hezi.accounts.workspaces import WorkspaceService
from hezi.db.session import make_engine, make_sessionmaker
from tests.apps.helpers import make_app
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def sessions(live_server: LiveServer) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(live_server.database_url, pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def signed_in(db: AsyncSession, live_server: LiveServer, api: Api) -> Caller:
    assert api.token is not None
    principal = await AuthService.from_settings(db, live_server.settings).authenticate(api.token)
    return Caller(principal, ip="127.0.0.1")


async def test_editors_manage_an_apps_keys_which_work_only_for_that_app(
    live_server: LiveServer, admin: Api, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ws = admin.create_workspace()["id"]
    editor, member = admin.create_user(), admin.create_user()
    admin.add_member(ws, editor["username"], "editor")
    admin.add_member(ws, member["username"], "member")
    as_editor = Api(live_server.url).login(editor["username"], editor["password"])
    as_member = Api(live_server.url).login(member["username"], member["password"])
    app, other_app = uuid.UUID(make_app(admin, ws)["id"]), uuid.UUID(make_app(admin, ws)["id"])

    async with sessions() as db:
        keys = ApiKeyService(db, WorkspaceService(db))
        editor_caller = await signed_in(db, live_server, as_editor)
        created = await keys.create_app_key(
            editor_caller, uuid.UUID(ws), app, AppKeyCreate(name="widget", rate_limit_rpm=60)
        )
        other = await keys.create_app_key(editor_caller, uuid.UUID(ws), other_app, AppKeyCreate(name="other"))
        assert created.kind == "app" and created.app_id == app and created.scopes == ["app"]
        assert created.rate_limit_rpm == 60 and created.key.startswith(created.prefix)

        listed = await keys.list_app_keys(editor_caller, uuid.UUID(ws), app)
        assert [k.id for k in listed.data] == [created.id]
        assert created.key not in listed.model_dump_json()
        with pytest.raises(PermissionDenied):
            await keys.list_app_keys(await signed_in(db, live_server, as_member), uuid.UUID(ws), app)

        # The key authenticates as an app key of its app and workspace, acting for its creator.
        principal = await AuthService.from_settings(db, live_server.settings).authenticate(created.key)
        assert principal.via == "app_key" and principal.app_id == app
        assert principal.key_workspace_id == uuid.UUID(ws) and principal.user.username == editor["username"]
        assert principal.api_key_id == created.id and principal.limits.rpm == 60

        # The workspace's key list is of user keys; app keys are listed with their app.
        user_keys = admin.get(f"/api/workspaces/{ws}/api-keys").json()["data"]
        assert created.id not in {uuid.UUID(k["id"]) for k in user_keys}

    # No other API takes it: not the console, nor the dataset API, nor the OpenAI API beyond its own app's model.
    as_app = admin.as_token(created.key)
    assert_error(as_app.get("/api/auth/me"), 403, "app_key_not_allowed")
    assert_error(as_app.get(f"/api/workspaces/{ws}/members"), 403, "app_key_not_allowed")
    models = as_app.get("/v1/models")
    assert models.status_code == 200 and [m["kind"] for m in models.json()["data"]] == ["app"], models.text
    denied = as_app.post("/v1/embeddings", json={"model": "multilingual-e5-small", "input": "hi"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_scope"
    assert as_app.get("/v1/datasets").status_code == 403

    async with sessions() as db:
        keys = ApiKeyService(db, WorkspaceService(db))
        editor_caller = await signed_in(db, live_server, as_editor)
        with pytest.raises(ApiKeyNotFound):  # revoked through its own app only
            await keys.revoke_app_key(editor_caller, uuid.UUID(ws), app, other.id)
        await keys.revoke_app_key(editor_caller, uuid.UUID(ws), app, created.id)
        with pytest.raises(NotAuthenticated, match="revoked"):
            await AuthService.from_settings(db, live_server.settings).authenticate(created.key)
        listed = await keys.list_app_keys(editor_caller, uuid.UUID(ws), app)
        assert listed.data[0].revoked_at is not None

    log = admin.get(f"/api/workspaces/{ws}/audit-log", params={"limit": 20}).json()["data"]
    actions = [(e["action"], e["details"].get("app_id")) for e in log]
    assert ("api_key.created", str(app)) in actions and ("api_key.revoked", None) in actions


async def test_a_user_key_cannot_ask_for_the_app_scope(admin: Api) -> None:
    ws = admin.default_workspace()
    bad = admin.post(f"/api/workspaces/{ws}/api-keys", json={"name": "x", "scopes": ["app"]})
    assert_error(bad, 400, "unknown_scope")
