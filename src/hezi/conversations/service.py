"""Conversations of a console user with agents: list and search, read a branch, rename, delete, feedback, switch
branch, and files attached in chat. Each person sees only their own conversations, in workspaces they belong to."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.accounts.workspaces import WorkspaceService
from hezi.conversations import history
from hezi.conversations.errors import ChatFileTooLarge, ConversationNotFound, MessageNotFound
from hezi.conversations.schemas import (
    ChatFilePublic,
    ConversationDetail,
    ConversationPublic,
    ConversationsPublic,
    FeedbackRequest,
    MessagePublic,
    Usage,
)
from hezi.db.tables import ChatFile, Conversation, Message
from hezi.knowledge.errors import DocumentTooLarge
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.registry import parse_document

ATTACHMENT_CHARS = 20_000  # of a file's text, what goes into the context (the bundled model reads far less)


def conversation_public(c: Conversation) -> ConversationPublic:
    return ConversationPublic(
        id=c.id,
        agent_id=c.agent_id,
        agent_version=c.agent_version,
        title=c.title,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def message_public(m: Message, siblings: list[uuid.UUID] | None = None) -> MessagePublic:
    return MessagePublic(
        id=m.id,
        conversation_id=m.conversation_id,
        parent_id=m.parent_id,
        role=m.role,
        content=m.content,
        status=m.status,
        error=m.error,
        steps=m.steps,
        citations=m.citations,
        files=m.files,
        suggested=m.suggested,
        model=m.model,
        usage=Usage(prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens),
        latency_ms=m.latency_ms,
        rating=m.rating,
        feedback=m.feedback,
        created_at=m.created_at,
        siblings=siblings or [m.id],
        workflow_run_id=m.workflow_run_id,
        form=m.form if m.status == "paused" else None,
    )


async def owned(db: AsyncSession, caller: Caller, workspace_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
    """The caller's conversation in this workspace, or 404 (someone else's is not found either)."""
    await WorkspaceService(db).access(caller, workspace_id)
    conv = await db.get(Conversation, conversation_id)
    if conv is None or conv.workspace_id != workspace_id or conv.user_id != caller.principal.user_id:
        raise ConversationNotFound("No such conversation.")
    return conv


async def detail(db: AsyncSession, conv: Conversation) -> ConversationDetail:
    messages = await history.all_messages(db, conv.id)
    children = history.siblings(messages)
    shown = history.branch(messages, conv.head_id)
    return ConversationDetail(
        **conversation_public(conv).model_dump(),
        inputs=conv.inputs,
        messages=[message_public(m, children[m.parent_id]) for m in shown],
    )


class ConversationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list(
        self,
        caller: Caller,
        workspace_id: uuid.UUID,
        *,
        agent_id: uuid.UUID | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ConversationsPublic:
        await WorkspaceService(self.db).access(caller, workspace_id)
        where = [
            Conversation.workspace_id == workspace_id,
            Conversation.user_id == caller.principal.user_id,
            Conversation.app_id.is_(None),
        ]
        if agent_id is not None:
            where.append(Conversation.agent_id == agent_id)
        if q and q.strip():
            pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            in_messages = exists().where(Message.conversation_id == Conversation.id, Message.content.ilike(pattern))
            where.append(or_(Conversation.title.ilike(pattern), in_messages))
        total = await self.db.scalar(select(func.count()).select_from(Conversation).where(*where))
        rows = await self.db.scalars(
            select(Conversation).where(*where).order_by(Conversation.updated_at.desc()).limit(limit).offset(offset)
        )
        return ConversationsPublic(data=[conversation_public(c) for c in rows], count=total or 0)

    async def get(self, caller: Caller, workspace_id: uuid.UUID, conversation_id: uuid.UUID) -> ConversationDetail:
        return await detail(self.db, await owned(self.db, caller, workspace_id, conversation_id))

    async def rename(
        self, caller: Caller, workspace_id: uuid.UUID, conversation_id: uuid.UUID, title: str
    ) -> ConversationPublic:
        conv = await owned(self.db, caller, workspace_id, conversation_id)
        conv.title, conv.title_source = title, "user"
        await self.db.commit()
        return conversation_public(conv)

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        conv = await owned(self.db, caller, workspace_id, conversation_id)
        await self.db.delete(conv)
        await self.db.commit()

    async def feedback(
        self,
        caller: Caller,
        workspace_id: uuid.UUID,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        body: FeedbackRequest,
    ) -> MessagePublic:
        conv = await owned(self.db, caller, workspace_id, conversation_id)
        msg = await self.db.get(Message, message_id)
        if msg is None or msg.conversation_id != conv.id or msg.role != "assistant":
            raise MessageNotFound("No such answer in this conversation.")
        msg.rating = body.rating
        msg.feedback = body.comment if body.rating is not None else None
        await self.db.commit()
        return message_public(msg)

    async def show(
        self, caller: Caller, workspace_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> ConversationDetail:
        """Show the branch through `message_id` (its newest continuation)."""
        conv = await owned(self.db, caller, workspace_id, conversation_id)
        messages = await history.all_messages(self.db, conv.id)
        if message_id not in {m.id for m in messages}:
            raise MessageNotFound("No such message in this conversation.")
        conv.head_id = history.newest_leaf(messages, message_id)
        await self.db.commit()
        return await detail(self.db, conv)

    async def attach(
        self, caller: Caller, workspace_id: uuid.UUID, name: str, data: bytes, max_bytes: int
    ) -> ChatFilePublic:
        """Parse a file with the knowledge parsers and keep its text for the question it is sent with."""
        await WorkspaceService(self.db).access(caller, workspace_id)
        text = attachment_text(name, data, max_bytes)
        row = ChatFile(
            workspace_id=workspace_id, user_id=caller.principal.user_id, name=name, size_bytes=len(data), text=text
        )
        self.db.add(row)
        await self.db.commit()
        return ChatFilePublic(id=row.id, name=row.name, size=row.size_bytes, chars=len(text))


def attachment_text(name: str, data: bytes, max_bytes: int) -> str:
    """A file's text as a question carries it: parsed by the knowledge parsers, capped at ATTACHMENT_CHARS."""
    if len(data) > max_bytes:
        raise ChatFileTooLarge(
            f"{name} is {len(data)} bytes; files attached in chat may be at most {max_bytes} bytes.",
            details={"bytes": len(data), "limit": max_bytes},
        )
    try:
        text = parse_document(data, name, ParseLimits(max_bytes=max_bytes)).text()
    except DocumentTooLarge as exc:
        raise ChatFileTooLarge(exc.message, details=exc.details) from exc
    return text.replace("\x00", "")[:ATTACHMENT_CHARS]
