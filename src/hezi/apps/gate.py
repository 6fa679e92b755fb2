"""The way into a published app for its channels: the app a key or visitor belongs to, if it is enabled and the
channel is open, and its end user for the conversations layer. Checked on every request: switching an app off or
closing a channel takes effect on the next one, on every server."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import RateLimits
from hezi.accounts.rate_limit import RateLimiter, app_subject
from hezi.apps.errors import AppUnavailable
from hezi.conversations.chat import AppEndUser
from hezi.db.tables import App

Channel = Literal["web_app", "widget", "api", "openai", "mcp"]


async def open_app(db: AsyncSession, app_id: uuid.UUID | None, channel: Channel) -> App:
    app = await db.get(App, app_id) if app_id is not None else None
    if app is None or not app.enabled or not app.channels.get(channel):
        raise AppUnavailable("App unavailable, please check your app configurations.")
    return app


def end_user(app: App, user: str, creator: uuid.UUID | None) -> AppEndUser:
    return AppEndUser(
        workspace_id=app.workspace_id,
        app_id=app.id,
        agent_id=app.agent_id,
        agent_version=app.agent_version,
        end_user=user,
        creator=creator,
    )


def limits(app: App) -> RateLimits:
    """The app's own limits, shared by every key and visitor of it (each key may have tighter ones of its own)."""
    return RateLimits(rpm=app.rate_limit_rpm, tokens_per_day=app.token_limit_per_day)


async def admit(limiter: RateLimiter, app: App) -> None:
    """Count one request against the app's limits (in PostgreSQL: every server sees the same counts) or raise
    RateLimited with when to retry. Its tokens are charged when the answer's usage is recorded (`Attribution`)."""
    await limiter.admit(app_subject(app.id), limits(app))


def token_limited(app: App, key: RateLimits | None = None) -> bool:
    """Whether a turn's tokens must be charged at once: the app or the key has a daily token quota."""
    return app.token_limit_per_day is not None or (key is not None and key.tokens_per_day is not None)
