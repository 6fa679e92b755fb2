"""Sign in and out, who am I, change my password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from hezi.accounts.schemas import LoginRequest, LoginResponse, Me, PasswordChange, UserPublic
from hezi.api.deps import (
    SESSION_COOKIE,
    AuthServiceDep,
    CallerDep,
    SettingsDep,
    WorkspaceServiceDep,
    client_ip,
)

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login")
async def login(
    body: LoginRequest, request: Request, response: Response, auth: AuthServiceDep, settings: SettingsDep
) -> LoginResponse:
    result = await auth.login(
        body.username, body.password, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=settings.session_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return LoginResponse(token=result.token, expires_at=result.expires_at, user=UserPublic.model_validate(result.user))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(caller: CallerDep, response: Response, auth: AuthServiceDep) -> None:
    await auth.logout(caller)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me")
async def me(caller: CallerDep, workspaces: WorkspaceServiceDep) -> Me:
    return Me(
        user=UserPublic.model_validate(caller.principal.user),
        workspaces=await workspaces.refs(caller),
        api_key_workspace_id=caller.principal.key_workspace_id,
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, caller: CallerDep, auth: AuthServiceDep) -> None:
    await auth.change_password(caller, body.current_password, body.new_password)
