"""An app's use per day over a range of days (in the viewer's time zone): conversations started, answers given,
end users who asked, tokens, mean latency, likes and dislikes (satisfaction = likes / (likes + dislikes)),
answers from annotations — each computed with one SQL aggregate, days without use filled with zeros."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.apps.log_schemas import AnalyticsDay, AnalyticsPublic
from hezi.apps.logs import day_bounds, zone
from hezi.apps.service import AppService
from hezi.db.base import utcnow
from hezi.db.tables import Conversation, Message

DEFAULT_DAYS = 7


def _satisfaction(likes: int, dislikes: int) -> float | None:
    return round(likes / (likes + dislikes), 4) if likes + dislikes else None


class AppAnalytics:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def daily(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, start: date | None, end: date | None,
        tz: str,
    ) -> AnalyticsPublic:  # fmt: skip
        """Per day from `start` to `end` (default: the last seven days up to today, in `tz`)."""
        app = await AppService(self.db).find(caller, workspace_id, app_id)
        end = end or utcnow().astimezone(zone(tz)).date()
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        lo, hi = day_bounds(start, end, tz)
        conv_day = cast(func.timezone(tz, Conversation.created_at), Date)
        mine = Conversation.app_id == app.id

        started = await self.db.execute(
            select(conv_day, func.count()).where(mine, Conversation.created_at >= lo, Conversation.created_at < hi)
            .group_by(literal_column("1"))
        )  # fmt: skip
        answers = (
            select(Message, Conversation.end_user)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(mine, Message.role == "assistant", Message.created_at >= lo, Message.created_at < hi)
        )  # fmt: skip
        a = answers.subquery()
        day = cast(func.timezone(tz, a.c.created_at), Date)
        columns = (
            func.count().label("messages"),
            func.count(func.distinct(a.c.end_user)).label("end_users"),
            func.coalesce(func.sum(a.c.prompt_tokens + a.c.completion_tokens), 0).label("tokens"),
            func.avg(a.c.latency_ms).label("mean_latency_ms"),
            func.count().filter(a.c.rating == "like").label("likes"),
            func.count().filter(a.c.rating == "dislike").label("dislikes"),
            func.count().filter(a.c.annotation_id.is_not(None)).label("annotated"),
        )
        per_day = {r[0]: r for r in (await self.db.execute(select(day, *columns).group_by(literal_column("1")))).all()}
        whole = (await self.db.execute(select(*columns))).one()
        conversations = {d: int(n) for d, n in started.all()}

        days = [
            _day(start + timedelta(days=i), conversations.get(start + timedelta(days=i), 0),
                 per_day.get(start + timedelta(days=i)))
            for i in range((end - start).days + 1)
        ]  # fmt: skip
        return AnalyticsPublic(start=start, end=end, tz=tz, totals=_day(start, sum(conversations.values()), whole),
                               days=days)  # fmt: skip


def _day(when: date, conversations: int, row: Any | None) -> AnalyticsDay:
    likes, dislikes = (int(row.likes), int(row.dislikes)) if row is not None else (0, 0)
    return AnalyticsDay(
        date=when,
        conversations=conversations,
        messages=int(row.messages) if row is not None else 0,
        end_users=int(row.end_users) if row is not None else 0,
        tokens=int(row.tokens) if row is not None else 0,
        mean_latency_ms=round(float(row.mean_latency_ms), 1) if row is not None and row.mean_latency_ms is not None
        else None,
        likes=likes,
        dislikes=dislikes,
        satisfaction=_satisfaction(likes, dislikes),
        annotated=int(row.annotated) if row is not None else 0,
    )  # fmt: skip
