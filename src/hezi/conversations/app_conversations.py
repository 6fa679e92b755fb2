"""An app end user's conversations: listed, read, renamed, deleted and rated — theirs alone (the app and the end
user's name together), as Dify's service API serves them. Plain data out; the HTTP layer says it in Dify's words."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.agents.service import AgentService
from hezi.agents.spec import AgentConfig, InputsInvalid, check_inputs
from hezi.conversations import history
from hezi.conversations.chat import AppEndUser
from hezi.conversations.errors import ConversationNotFound, InvalidInputs, MessageNotFound
from hezi.conversations.service import attachment_text
from hezi.db.base import utcnow
from hezi.db.tables import Agent, ChatFile, Conversation, Message
from hezi.errors import NotFound
from hezi.workflows.graph import ConversationVar, Graph


@dataclass(frozen=True)
class Exchange:
    """A question and its answer (the answer's id names the pair, as Dify's message id does)."""

    question: Message
    answer: Message


class AppConversations:
    def __init__(self, db: AsyncSession, who: AppEndUser) -> None:
        self.db = db
        self.who = who

    async def page(self, last_id: uuid.UUID | None, limit: int) -> tuple[list[Conversation], bool]:
        """Newest first; after `last_id` when given. (conversations, more after them)."""
        query = select(Conversation).where(Conversation.app_id == self.who.app_id,
                                           Conversation.end_user == self.who.end_user)  # fmt: skip
        if last_id is not None:
            last = await self.get(last_id)
            query = query.where(
                (Conversation.updated_at < last.updated_at)
                | ((Conversation.updated_at == last.updated_at) & (Conversation.id < last.id))
            )
        rows = list(
            await self.db.scalars(
                query.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit + 1)
            )
        )
        return rows[:limit], len(rows) > limit

    async def get(self, conversation_id: uuid.UUID) -> Conversation:
        conv = await self.db.get(Conversation, conversation_id)
        if conv is None or conv.app_id != self.who.app_id or conv.end_user != self.who.end_user:
            raise ConversationNotFound("Conversation Not Exists.", code="conversation_not_exists")
        return conv

    async def exchanges(
        self, conversation_id: uuid.UUID, first_id: uuid.UUID | None, limit: int
    ) -> tuple[list[Exchange], bool]:
        """The shown branch's question-answer pairs, oldest first: the last `limit` before `first_id` (an answer's
        id) when given, else the last `limit`. (pairs, more before them)."""
        conv = await self.get(conversation_id)
        shown = history.branch(await history.all_messages(self.db, conv.id), conv.head_id)
        by_id = {m.id: m for m in shown}
        pairs = [
            Exchange(by_id[m.parent_id], m)
            for m in shown
            if m.role == "assistant" and m.parent_id is not None and m.parent_id in by_id
        ]
        if first_id is not None:
            ids = [p.answer.id for p in pairs]
            if first_id not in ids:
                raise MessageNotFound("First Message Not Exists.", code="first_message_not_exists")
            pairs = pairs[: ids.index(first_id)]
        return pairs[-limit:], len(pairs) > limit

    async def rename(self, conversation_id: uuid.UUID, name: str | None) -> Conversation:
        """`name`, or (None) the first question's first line, as the automatic title is made."""
        conv = await self.get(conversation_id)
        if name is None:
            first = await self.db.scalar(
                select(Message.content).where(Message.conversation_id == conv.id, Message.role == "user")
                .order_by(Message.created_at).limit(1)
            )  # fmt: skip
            conv.title, conv.title_source = (first or "").strip().splitlines()[0][:60] if first else "", "auto"
        else:
            conv.title, conv.title_source = name, "user"
        await self.db.commit()
        return conv

    async def delete(self, conversation_id: uuid.UUID) -> None:
        await self.db.delete(await self.get(conversation_id))
        await self.db.commit()

    async def answer(self, message_id: uuid.UUID) -> Message:
        msg = await self.db.get(Message, message_id)
        if msg is None or msg.role != "assistant":
            raise MessageNotFound("Message Not Exists.", code="message_not_exists")
        await self._own(msg)
        return msg

    async def rate(self, message_id: uuid.UUID, rating: str | None, content: str | None) -> None:
        msg = await self.answer(message_id)
        msg.rating = rating
        msg.feedback = content if rating is not None else None
        await self.db.commit()

    async def upload(self, name: str, data: bytes, max_bytes: int) -> ChatFile:
        """A file for the end user's next questions, kept as its text (parsed as the console's chat files are)."""
        text = attachment_text(name, data, max_bytes)
        row = ChatFile(
            workspace_id=self.who.workspace_id, user_id=self.who.creator, app_id=self.who.app_id,
            end_user=self.who.end_user, name=name, size_bytes=len(data), text=text, created_at=utcnow(),
        )  # fmt: skip
        self.db.add(row)
        await self.db.commit()
        return row

    async def _own(self, msg: Message) -> None:
        try:
            await self.get(msg.conversation_id)
        except ConversationNotFound:
            raise MessageNotFound("Message Not Exists.", code="message_not_exists") from None


@dataclass(frozen=True)
class Variable:
    """One of a conversation's variables: a field of the agent's input form and its value in this conversation
    (Dify's conversation variables; the agent's prompt reads them as {{name}})."""

    id: uuid.UUID
    name: str
    kind: str  # the form field's kind: text-input, paragraph, select, number
    label: str
    value: Any
    conversation: Conversation


def variable_id(conversation_id: uuid.UUID, name: str) -> uuid.UUID:
    """Stable, and unique across conversations: the same variable keeps its id from one listing to the next."""
    return uuid.uuid5(conversation_id, name)


async def conversation_variables(db: AsyncSession, conv: Conversation) -> tuple[AgentConfig, list[Variable]]:
    """The conversation's variables with the config of the version it talks to: a chatflow's declared conversation
    variables as its turns left them, else the agent's input form as the conversation filled it, in order."""
    agent = await db.get(Agent, conv.agent_id)
    if agent is None:
        raise ConversationNotFound("Conversation Not Exists.", code="conversation_not_exists")
    config = (await AgentService(db).config_for(agent, conv.agent_version)).config
    if config.mode == "chatflow":
        declared = _declared(config)
        stored = conv.variables or {}
        return config, [
            Variable(variable_id(conv.id, v.name), v.name, v.type, v.description, stored.get(v.name, v.value), conv)
            for v in declared
        ]
    out = [
        Variable(
            variable_id(conv.id, spec.variable),
            spec.variable,
            kind,
            spec.label,
            (conv.inputs or {}).get(spec.variable),
            conv,
        )
        for kind, spec in config.form_fields()
    ]
    return config, out


async def set_variable(db: AsyncSession, conv: Conversation, var_id: uuid.UUID, value: Any) -> Variable:
    """A new value, checked as the form checks it (type, options, length); later turns' prompts read it."""
    config, variables = await conversation_variables(db, conv)
    found = next((v for v in variables if v.id == var_id), None)
    if found is None:
        raise NotFound("Conversation Variable Not Exists.", code="conversation_variable_not_exists")
    if config.mode == "chatflow":  # a workflow conversation variable: its declared type decides
        value = _typed(found.kind, value, found.name)
        conv.variables = {**(conv.variables or {}), found.name: value}
        conv.updated_at = utcnow()
        await db.commit()
        return Variable(found.id, found.name, found.kind, found.label, value, conv)
    try:
        checked = check_inputs(config, {**(conv.inputs or {}), found.name: value})
    except InputsInvalid as exc:
        raise InvalidInputs(str(exc), details={"field": exc.field}) from exc
    conv.inputs = checked
    conv.updated_at = utcnow()
    await db.commit()
    return Variable(found.id, found.name, found.kind, found.label, checked.get(found.name), conv)


def _declared(config: AgentConfig) -> list[ConversationVar]:
    try:
        return Graph.model_validate(config.workflow or {}).conversation_variables
    except ValidationError:  # a published graph validated; a broken draft has no variables to show
        return []


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "number": (int, float), "boolean": bool, "object": dict,
}  # fmt: skip


def _typed(kind: str, value: Any, name: str) -> Any:
    """A value for a conversation variable of type `kind`, as Dify's clients send it (numbers may come as text)."""
    if kind == "number" and isinstance(value, str):
        with contextlib.suppress(ValueError):  # left as it is: refused below
            value = float(value) if "." in value else int(value)
    wanted = _PYTHON_TYPES.get(kind, list if kind.startswith("array") else object)
    if (isinstance(value, bool) and kind == "number") or not isinstance(value, wanted):
        raise InvalidInputs(f"{name} must be a {kind}.", details={"field": name})
    return value
