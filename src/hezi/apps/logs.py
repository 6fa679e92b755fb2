"""An app's logs: its end users' conversations with what each cost and how it was received (tokens, latency,
feedback, annotation answers), filtered and paged for the console, one conversation in full, and a CSV export.

Members of the workspace read them. Aggregates are computed in SQL, per conversation, over its messages."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.apps.log_schemas import (
    LogAnnotation,
    LogConversation,
    LogConversationDetail,
    LogConversations,
    LogFilter,
    LogMessage,
)
from hezi.apps.service import AppService
from hezi.conversations import history
from hezi.db.tables import AppAnnotation, Conversation, Message
from hezi.errors import InvalidInput, NotFound

MAX_CSV_ROWS = 100_000
MAX_DAYS = 366
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = [
    "conversation_id", "end_user", "asked_at", "question", "answer", "status", "prompt_tokens", "completion_tokens",
    "latency_ms", "rating", "feedback", "annotation_id", "agent_version",
]  # fmt: skip


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {tz!r}.", code="invalid_time_zone", details={"tz": tz}) from None


def day_bounds(start: date | None, end: date | None, tz: str) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, the day after end 00:00) in `tz`, as aware datetimes."""
    zi = zone(tz)
    if start is not None and end is not None:
        if end < start:
            raise InvalidInput("The range ends before it starts.", code="invalid_range")
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput(f"A range is at most {MAX_DAYS} days.", code="invalid_range")
    lo = datetime.combine(start, datetime.min.time(), zi) if start else None
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), zi) if end else None
    return lo, hi


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _per_conversation(app_id: uuid.UUID) -> Any:
    """Each of the app's conversations' counts over its messages."""
    answer = Message.role == "assistant"
    return (
        select(
            Message.conversation_id.label("cid"),
            func.count().filter(answer).label("messages"),
            func.coalesce(func.sum(Message.prompt_tokens), 0).label("prompt_tokens"),
            func.coalesce(func.sum(Message.completion_tokens), 0).label("completion_tokens"),
            func.avg(Message.latency_ms).filter(answer).label("mean_latency_ms"),
            func.count().filter(Message.rating == "like").label("likes"),
            func.count().filter(Message.rating == "dislike").label("dislikes"),
            func.count().filter(Message.annotation_id.is_not(None)).label("annotated"),
        )
        .where(Message.conversation_id.in_(select(Conversation.id).where(Conversation.app_id == app_id)))
        .group_by(Message.conversation_id)
        .subquery()
    )


def _row(conv: Conversation, stats: Any) -> LogConversation:
    prompt, completion = int(stats.prompt_tokens or 0), int(stats.completion_tokens or 0)
    return LogConversation(
        id=conv.id, title=conv.title, end_user=conv.end_user, agent_version=conv.agent_version,
        messages=int(stats.messages or 0), prompt_tokens=prompt, completion_tokens=completion,
        total_tokens=prompt + completion,
        mean_latency_ms=round(float(stats.mean_latency_ms), 1) if stats.mean_latency_ms is not None else None,
        likes=int(stats.likes or 0), dislikes=int(stats.dislikes or 0), annotated=int(stats.annotated or 0),
        created_at=conv.created_at, updated_at=conv.updated_at,
    )  # fmt: skip


class AppLogs:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def conversations(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, where: LogFilter, page: int, limit: int
    ) -> LogConversations:
        """Most recently active first."""
        app = await AppService(self.db).find(caller, workspace_id, app_id)
        stats = _per_conversation(app.id)
        query = self._filtered(select(Conversation, stats).outerjoin(stats, stats.c.cid == Conversation.id),
                               app.id, where)  # fmt: skip
        count = await self.db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = (
            await self.db.execute(
                query.order_by(Conversation.updated_at.desc(), Conversation.id.desc())
                .offset((page - 1) * limit).limit(limit)
            )
        ).all()  # fmt: skip
        return LogConversations(data=[_row(r[0], r) for r in rows], count=int(count or 0), page=page, limit=limit)

    async def conversation(
        self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, conversation_id: uuid.UUID
    ) -> LogConversationDetail:
        """Every message of one conversation of the app, oldest first."""
        app = await AppService(self.db).find(caller, workspace_id, app_id)
        stats = _per_conversation(app.id)
        row = (
            await self.db.execute(
                select(Conversation, stats).outerjoin(stats, stats.c.cid == Conversation.id)
                .where(Conversation.id == conversation_id, Conversation.app_id == app.id)
            )
        ).first()  # fmt: skip
        if row is None:
            raise NotFound("No such conversation in this app's logs.", code="conversation_not_found")
        conv = row[0]
        messages = await history.all_messages(self.db, conv.id)
        questions = await self._annotation_questions(m.annotation_id for m in messages)
        thread = [_message(m, questions) for m in messages]
        return LogConversationDetail(**_row(conv, row).model_dump(), inputs=conv.inputs, thread=thread)

    async def csv(self, caller: Caller, workspace_id: uuid.UUID, app_id: uuid.UUID, where: LogFilter) -> bytes:
        """One row per answer with its question, as UTF-8 with a byte-order mark (Excel then reads Chinese right);
        cells that a spreadsheet would run as formulas are quoted with a leading apostrophe."""
        app = await AppService(self.db).find(caller, workspace_id, app_id)
        conversations = self._filtered(select(Conversation.id), app.id, where).subquery()
        question = Message.__table__.alias("question")
        query = (
            select(Conversation.id, Conversation.end_user, Conversation.agent_version, question.c.content,
                   question.c.created_at, Message)
            .join(Message, Message.conversation_id == Conversation.id)
            .outerjoin(question, question.c.id == Message.parent_id)
            .where(Conversation.id.in_(select(conversations.c.id)), Message.role == "assistant")
            .order_by(Conversation.created_at, Conversation.id, Message.created_at)
            .limit(MAX_CSV_ROWS)
        )  # fmt: skip
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        tz = zone(where.tz)
        for conv_id, end_user, version, asked, asked_at, m in (await self.db.execute(query)).all():
            writer.writerow(
                _safe(v)
                for v in (
                    conv_id, end_user or "", (asked_at or m.created_at).astimezone(tz).isoformat(timespec="seconds"),
                    asked or "", m.content, m.status, m.prompt_tokens, m.completion_tokens,
                    "" if m.latency_ms is None else m.latency_ms, m.rating or "", m.feedback or "",
                    m.annotation_id or "", "" if version is None else version,
                )
            )  # fmt: skip
        return "\ufeff".encode() + out.getvalue().encode("utf-8")

    def _filtered(self, query: Select[Any], app_id: uuid.UUID, where: LogFilter) -> Select[Any]:
        query = query.where(Conversation.app_id == app_id)
        lo, hi = day_bounds(where.start, where.end, where.tz)
        if lo is not None:
            query = query.where(Conversation.created_at >= lo)
        if hi is not None:
            query = query.where(Conversation.created_at < hi)
        if where.end_user:
            query = query.where(Conversation.end_user.ilike(_like(where.end_user), escape="\\"))
        mine = Message.conversation_id == Conversation.id
        if where.rating in ("like", "dislike"):
            query = query.where(exists().where(mine, Message.rating == where.rating))
        elif where.rating == "any":
            query = query.where(exists().where(mine, Message.rating.is_not(None)))
        elif where.rating == "none":
            query = query.where(~exists().where(mine, Message.rating.is_not(None)))
        if where.annotated is not None:
            hit = exists().where(mine, Message.annotation_id.is_not(None))
            query = query.where(hit if where.annotated else ~hit)
        if where.q:
            query = query.where(
                or_(
                    Conversation.title.ilike(_like(where.q), escape="\\"),
                    exists().where(and_(mine, Message.content.ilike(_like(where.q), escape="\\"))),
                )
            )
        return query

    async def _annotation_questions(self, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        rows = await self.db.execute(
            select(AppAnnotation.id, AppAnnotation.question).where(AppAnnotation.id.in_(wanted))
        )
        return {i: q for i, q in rows.all()}


def _message(m: Message, questions: dict[uuid.UUID, str]) -> LogMessage:
    annotation = LogAnnotation(id=m.annotation_id, question=questions.get(m.annotation_id)) if m.annotation_id else None
    return LogMessage(
        id=m.id, parent_id=m.parent_id, role="assistant" if m.role == "assistant" else "user", content=m.content,
        status=m.status, error=m.error, model=m.model, prompt_tokens=m.prompt_tokens,
        completion_tokens=m.completion_tokens, latency_ms=m.latency_ms, steps=m.steps, citations=m.citations,
        rating="like" if m.rating == "like" else "dislike" if m.rating == "dislike" else None, feedback=m.feedback,
        annotation=annotation, created_at=m.created_at,
    )  # fmt: skip


def _safe(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
