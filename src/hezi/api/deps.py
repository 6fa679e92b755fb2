"""Request dependencies that read like types: the DB session, the caller, each service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.api_keys import ApiKeyService
from hezi.accounts.auth import AuthService
from hezi.accounts.errors import NotAuthenticated
from hezi.accounts.principal import Caller
from hezi.accounts.rate_limit import RateLimiter
from hezi.accounts.tokens import API_KEY_PREFIX
from hezi.accounts.users import UserService
from hezi.accounts.workspaces import WorkspaceService
from hezi.errors import Forbidden
from hezi.runtime import Runtime
from hezi.services import Services
from hezi.settings import Settings

SESSION_COOKIE = "hezi_session"
CSRF_HEADER = "x-requested-with"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


# Dependencies are `async def` although they do no I/O: FastAPI runs a plain `def` dependency in a worker thread,
# and those hops were a tenth of the API's CPU on a one-token request.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessionmaker() as session:
        yield session


# Closed as soon as the route returns, before its response is sent: a stream of tokens (or a slow client reading
# a large answer) must not hold a database connection — the pool, not the model, would then decide who fails.
SessionDep = Annotated[AsyncSession, Depends(get_db, scope="function")]


async def get_auth_service(db: SessionDep, settings: SettingsDep) -> AuthService:
    return AuthService.from_settings(db, settings)


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def authenticate(request: Request) -> Caller:
    """Authenticate by `Authorization: Bearer` or the session cookie (which also needs the CSRF header).

    An API key comes from the key cache (no database query while it is warm); a session is looked up, in a short
    session of its own. Neither holds a database connection after this returns.
    """
    services: Services = request.app.state.services
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        if token.startswith(API_KEY_PREFIX):
            return Caller(principal=await services.keys.authenticate(token), ip=client_ip(request))
    elif cookie := request.cookies.get(SESSION_COOKIE):
        if request.method in _UNSAFE and request.headers.get(CSRF_HEADER) != "hezi":
            raise Forbidden(
                "Requests signed in by cookie must send the header X-Requested-With: hezi.",
                code="csrf_header_missing",
            )
        token = cookie
    else:
        raise NotAuthenticated("Sign in, or send an API key as 'Authorization: Bearer …'.")
    async with services.sessionmaker() as db:
        principal = await AuthService.from_settings(db, services.settings).authenticate(token)
    return Caller(principal=principal, ip=client_ip(request))


AnyCallerDep = Annotated[Caller, Depends(authenticate)]


async def get_caller(caller: AnyCallerDep) -> Caller:
    """The console API's caller: a session or a user's key. An app key works only on its app's API."""
    if caller.principal.via == "app_key":
        raise Forbidden("An app key works only on its app's API.", code="app_key_not_allowed")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


async def admit(request: Request, caller: Caller, scope: str, *, sessions: bool = True) -> Caller:
    """The caller, once a key has shown `scope` and is within its rate limits (see `requires`)."""
    caller.principal.require_scope(scope, sessions=sessions)
    limiter: RateLimiter = request.app.state.services.limiter
    await limiter.admit_principal(caller.principal)  # no database round trip for a key without limits
    return caller


def requires(scope: str, *, sessions: bool = True) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, once a key has shown `scope` and is within its rate limits.

    A console session passes unless `sessions=False` (APIs for programs). Use `Depends(requires("api"))`.
    """

    async def caller_with_scope(request: Request, caller: AnyCallerDep) -> Caller:
        return await admit(request, caller, scope, sessions=sessions)

    return caller_with_scope


async def get_workspace_service(db: SessionDep) -> WorkspaceService:
    return WorkspaceService(db)


WorkspaceServiceDep = Annotated[WorkspaceService, Depends(get_workspace_service)]


async def get_user_service(db: SessionDep, auth: AuthServiceDep) -> UserService:
    return UserService(db, auth)


UserServiceDep = Annotated[UserService, Depends(get_user_service)]


async def get_api_key_service(db: SessionDep, workspaces: WorkspaceServiceDep) -> ApiKeyService:
    return ApiKeyService(db, workspaces)


ApiKeyServiceDep = Annotated[ApiKeyService, Depends(get_api_key_service)]
