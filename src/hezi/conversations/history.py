"""Conversations as trees of messages: the branch shown is the chain of parents from the head; a regenerated
answer or an edited question is a sibling of the message it replaces."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.db.tables import Message


async def all_messages(db: AsyncSession, conversation_id: uuid.UUID) -> list[Message]:
    rows = await db.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.created_at, Message.id)
    )
    return list(rows)


def branch(messages: Sequence[Message], head: uuid.UUID | None) -> list[Message]:
    """The messages from the first to `head`, oldest first (none when `head` is None)."""
    by_id = {m.id: m for m in messages}
    out: list[Message] = []
    current = by_id.get(head) if head else None
    while current is not None:
        out.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return out[::-1]


def siblings(messages: Sequence[Message]) -> dict[uuid.UUID | None, list[uuid.UUID]]:
    """Children of each message (None: the first messages), oldest first."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
    for m in messages:
        children[m.parent_id].append(m.id)
    return children


def newest_leaf(messages: Sequence[Message], start: uuid.UUID) -> uuid.UUID:
    """Follow the newest child down from `start`: showing a branch shows its latest continuation."""
    children = siblings(messages)
    current = start
    while children.get(current):
        current = children[current][-1]
    return current
