"""The web app's door: which app a share-link token opens, and who comes in as which end user of it — by the app's
access: anyone (`public`), whoever knows its password (`password`), or its workspace's members (`workspace`).

A visitor is known again by a signed visitor token (accounts.visitors) that the HTTP layer keeps in a cookie; no row
is stored per visitor. A password app's tokens carry a fingerprint of its password hash, so setting a new password
signs every visitor out, while a visitor who signs in again keeps their conversations (the random part of the id
stays). A member is known by their console session and is the same end user in every browser.
See docs/decisions/0022-web-app-visitors-and-widget.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.errors import InvalidVisitorToken, WorkspaceNotFound
from hezi.accounts.passwords import verify_password
from hezi.accounts.principal import Caller
from hezi.accounts.throttle import LoginThrottle, ThrottlePolicy
from hezi.accounts.visitors import VisitorTokens
from hezi.accounts.workspaces import WorkspaceService
from hezi.agents.service import AgentService, AgentSnapshot
from hezi.apps import gate
from hezi.apps.errors import (
    AppNotFound,
    AppPasswordRequired,
    AppSignInRequired,
    NotAppMember,
    VisitorRequired,
    WrongAppPassword,
)
from hezi.conversations.chat import AppEndUser
from hezi.db.tables import Agent, App
from hezi.errors import InvalidInput

VISITOR = "web-"  # end users of the web app and widget: "web-<random id>"
MEMBER = "member-"  # a workspace member signed in: "member-<user id>"
_GRANT = "~"  # visitor id = "<random>~<password fingerprint>" for a password app


@dataclass(frozen=True)
class Entry:
    """Someone let into an app: the end user their conversations belong to, and a visitor token to hand back
    (new or renewed; None when the one they came with stands, or for a member)."""

    end_user: str
    user_id: uuid.UUID | None = None  # a member's account
    token: str | None = None

    def who(self, app: App) -> AppEndUser:
        """The end user for the conversations layer; a visitor's usage counts to the app's creator."""
        return gate.end_user(app, self.end_user, self.user_id or app.created_by)


class WebAppDoor:
    def __init__(
        self, db: AsyncSession, visitors: VisitorTokens, throttle: ThrottlePolicy, fingerprint_key: bytes
    ) -> None:
        self.db = db
        self.visitors = visitors
        self.throttle = throttle
        self._fingerprint_key = fingerprint_key

    async def find(self, token: str) -> App:
        """The app at /app/{token}, enabled or not; an unknown token is AppNotFound."""
        app = await self.db.scalar(select(App).where(App.token == token)) if 0 < len(token) <= 64 else None
        if app is None:
            raise AppNotFound("There is no app at this address.")
        return app

    async def open(self, token: str, channel: gate.Channel) -> App:
        """The app, if it is enabled and `channel` (web_app or widget) is open; AppUnavailable otherwise."""
        app = await self.find(token)
        return await gate.open_app(self.db, app.id, channel)

    async def enter(self, app: App, visitor_token: str | None, member: Caller | None, *, issue: bool) -> Entry:
        """Who may come in. A workspace app wants a member (`member` is the caller's console session, if any);
        a password app a token issued after its current password; a public app any token of it, or (`issue`)
        a new visitor."""
        if app.access == "workspace":
            if member is None:
                raise AppSignInRequired("Sign in with your account to use this app.")
            try:
                await WorkspaceService(self.db).access(member, app.workspace_id)
            except WorkspaceNotFound:
                raise NotAppMember("This app is for the members of its workspace.") from None
            return Entry(f"{MEMBER}{member.principal.user_id}", user_id=member.principal.user_id)
        visitor = self._visitor(app, visitor_token)
        if visitor is not None:
            random_id, _, grant = visitor.partition(_GRANT)
            if app.access == "public" or (grant and hmac.compare_digest(grant, self._grant(app))):
                return Entry(VISITOR + random_id)
        if app.access == "password":
            raise AppPasswordRequired("This app asks for a password.")
        if not issue:
            raise VisitorRequired("Open the app's page first: it recognises you by a cookie.")
        visitor_row, token = self.visitors.issue(app.id, app.workspace_id)
        return Entry(VISITOR + visitor_row.visitor_id, token=token)

    async def sign_in(self, app: App, password: str, ip: str | None, visitor_token: str | None) -> Entry:
        """Check the app's password (failures per app and address are throttled like console logins); a visitor
        who had a token keeps their id, and so their conversations."""
        if app.access != "password":
            raise InvalidInput("This app does not ask for a password.", code="no_app_password")
        throttle = LoginThrottle(self.db, self.throttle)
        # Counted per app and address (and per address over everything): a wrong guess from one place must not
        # lock a shared app for every other visitor.
        key = f"app:{app.id}@{ip or '-'}"
        await throttle.before_attempt(key, ip)
        if not verify_password(app.password_hash, password):
            await throttle.record_failure(key, ip)
            await self.db.commit()
            raise WrongAppPassword("Wrong password.")
        await throttle.record_success(key)
        await self.db.commit()
        earlier = self._visitor(app, visitor_token)
        random_id = earlier.partition(_GRANT)[0] if earlier else secrets.token_urlsafe(16)
        _, token = self.visitors.issue(app.id, app.workspace_id, f"{random_id}{_GRANT}{self._grant(app)}")
        return Entry(VISITOR + random_id, token=token)

    async def face(self, app: App) -> dict[str, Any]:
        """What anyone at the door sees: the app's name, icon and description (as its version was published)."""
        snapshot = await self._snapshot(app)
        return {"name": app.name, "icon": snapshot.icon, "description": snapshot.description,
                "access": app.access}  # fmt: skip

    async def parameters(self, app: App) -> dict[str, Any]:
        """What the chat needs once in: the opening statement, suggested questions and the input form."""
        config = (await self._snapshot(app)).config
        return {
            "opening_statement": config.opening_statement,
            "suggested_questions": list(config.suggested_questions),
            "user_input_form": config.form_json(),
            "citations": config.citations,
            "suggested_follow_ups": config.suggested_follow_ups,
        }

    async def _snapshot(self, app: App) -> AgentSnapshot:
        agent = await self.db.get(Agent, app.agent_id)
        assert agent is not None  # the app goes with its agent
        return await AgentService(self.db).config_for(agent, app.agent_version)

    def _visitor(self, app: App, token: str | None) -> str | None:
        if not token:
            return None
        try:
            return self.visitors.verify(token, app_id=app.id).visitor_id
        except InvalidVisitorToken:
            return None

    def _grant(self, app: App) -> str:
        """A fingerprint of the app's current password hash (keyed: it says nothing about the password)."""
        mac = hmac.new(self._fingerprint_key, (app.password_hash or "").encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:12]).decode()
