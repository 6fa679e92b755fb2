"""One turn of chat: store the question, run the agent, stream its events, store the answer.

The database is used in short sessions at the start and at the end, never while the model generates. A turn
that ends early (stopped, the client gone, an error) is stored too, with what was said so far and its status.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.accounts.principal import Caller
from hezi.agents.context import RunContext
from hezi.agents.events import AgentEvent, CitationsFound, RunFinished, StepFinished, StepStarted
from hezi.agents.loop import AgentRun, Turn
from hezi.agents.service import AgentService, AgentSnapshot
from hezi.agents.spec import AgentConfig, InputsInvalid, check_inputs
from hezi.agents.tools.base import Tool
from hezi.agents.tools.catalogue import ToolCatalogue
from hezi.conversations import history
from hezi.conversations.chatflow import Resume, WorkflowStep, WorkflowTurn
from hezi.conversations.errors import (
    ChatFileNotFound,
    ConversationNotFound,
    InvalidInputs,
    MessageNotFound,
    WorkflowRunNotPaused,
)
from hezi.conversations.schemas import ChatRequest, HumanInputReply
from hezi.conversations.service import conversation_public, message_public, owned
from hezi.conversations.suggest import follow_ups
from hezi.conversations.tasks import ChatTask, ChatTasks
from hezi.conversations.workflow_context import Collaborators
from hezi.conversations.workflow_runs import WorkflowRuns
from hezi.db.base import utcnow
from hezi.db.tables import Agent, ChatFile, Conversation, Message
from hezi.egress import EgressPolicy
from hezi.errors import DomainError
from hezi.knowledge.retriever import Retriever
from hezi.secrets import SecretBox
from hezi.serving.client import ModelClient
from hezi.serving.events import TextDelta, TokenUsage
from hezi.serving.usage import Attribution
from hezi.settings import Settings

log = logging.getLogger(__name__)

TURN_SECONDS = 300.0  # the longest one answer may take, tools included
TITLE_CHARS = 60


@dataclass
class Prepared:
    """A turn ready to run: everything read from the database, nothing held open."""

    task: ChatTask
    conversation: Conversation
    snapshot: AgentSnapshot
    tools: list[Tool]
    question: Message
    history: list[dict[str, Any]]
    attachments: list[tuple[str, str]]
    answer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    canned: CannedAnswer | None = None  # given instead of the model's answer
    resume: Resume | None = None  # a paused chatflow run this turn goes on with


@dataclass(frozen=True)
class AppEndUser:
    """An end user of a published app, named by the app's client (Dify's `user`): the app's conversations with
    that name are theirs alone. `creator` is who made the app's key, to whom usage is attributed."""

    workspace_id: uuid.UUID
    app_id: uuid.UUID
    agent_id: uuid.UUID
    agent_version: int
    end_user: str
    creator: uuid.UUID | None = None


@dataclass(frozen=True)
class CannedAnswer:
    """An answer given without calling the model: an app's annotation for a question similar enough to this one."""

    text: str
    annotation_id: uuid.UUID
    score: float
    author: dict[str, Any]  # {"id", "name"}: who wrote it

    def public(self) -> dict[str, Any]:
        return {"id": str(self.annotation_id), "score": self.score, "account": self.author}

    async def events(self) -> AsyncIterator[AgentEvent]:
        yield TextDelta(self.text)
        yield RunFinished(self.text, "", "stop", TokenUsage(0, 0))


class CannedAnswers(Protocol):
    """Looks up an answer an app gives without the model (hezi.apps.annotations implements it)."""

    async def __call__(self, who: AppEndUser, query: str) -> CannedAnswer | None: ...


class ChatService:
    """Built once at start (it holds the running tasks); each turn opens its own short sessions."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        models: ModelClient,
        retriever: Retriever,
        egress: EgressPolicy,
        secrets: SecretBox,
        settings: Settings,
        canned: CannedAnswers | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.canned = canned
        self.models = models
        self.retriever = retriever
        self.egress = egress
        self.secrets = secrets
        self.settings = settings
        self.tasks = ChatTasks()
        # Runs of workflow agents: a chatflow's turns here, and the builder's and apps' runs (decision 0023).
        self.workflows = WorkflowRuns(Collaborators(sessionmaker, models, retriever, egress, secrets, settings))
        self._saving: set[asyncio.Task[dict[str, Any] | None]] = set()

    # -- starting a turn ------------------------------------------------------------------------------------------

    async def ask(self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, body: ChatRequest) -> Prepared:
        """Store the question and get the turn ready; refusals (no agent, bad inputs…) raise here, before the
        stream starts, so that they get a plain HTTP error."""
        async with self.sessionmaker() as db:
            agents = AgentService(db)
            agent = await agents.find(caller, workspace_id, agent_id)
            if body.conversation_id is not None:
                conv = await owned(db, caller, workspace_id, body.conversation_id)
                if conv.agent_id != agent_id:
                    raise InvalidInputs("That conversation is with another agent.", code="conversation_agent_mismatch")
            else:
                conv = Conversation(
                    workspace_id=workspace_id,
                    agent_id=agent_id,
                    user_id=caller.principal.user_id,
                    title=_title(body.query),
                    inputs={},
                )
            snapshot = await agents.config_for(agent, draft=body.preview)
            conv.agent_version = snapshot.version
            if body.conversation_id is None:
                conv.inputs = _inputs(snapshot.config, body.inputs)
                db.add(conv)
                await db.flush()
            messages = await history.all_messages(db, conv.id)
            parent = _parent_of_question(messages, conv, body)
            resume = _resume(messages, parent, body.human_input)
            files = await self._files(db, caller, workspace_id, body.files)
            question = Message(
                conversation_id=conv.id,
                parent_id=parent,
                role="user",
                content=body.query,
                files=[{"id": str(f.id), "name": f.name, "size": f.size_bytes, "chars": len(f.text)} for f in files],
            )
            db.add(question)
            conv.head_id = question.id = uuid.uuid4()
            tools = await ToolCatalogue(db, self.secrets, self.egress).resolve(workspace_id, snapshot.config.tools)
            await db.commit()
        prepared = self._prepared(caller, conv, snapshot, tools, question, history.branch(messages, parent), files)
        prepared.resume = resume
        return prepared

    async def ask_app(
        self,
        who: AppEndUser,
        query: str,
        inputs: dict[str, Any],
        conversation_id: uuid.UUID | None,
        files: Sequence[uuid.UUID] = (),
        human_input: HumanInputReply | None = None,
    ) -> Prepared:
        """A turn of an app's end user with the version the app serves. A conversation of another app or another
        end user is not found; the inputs are checked against the served version's form. `human_input` answers
        the form of the paused answer the conversation ends with."""
        async with self.sessionmaker() as db:
            if conversation_id is not None:
                conv = await db.get(Conversation, conversation_id)
                if conv is None or conv.app_id != who.app_id or conv.end_user != who.end_user:
                    raise ConversationNotFound("Conversation Not Exists.", code="conversation_not_exists")
            else:
                conv = Conversation(
                    workspace_id=who.workspace_id, agent_id=who.agent_id, app_id=who.app_id, end_user=who.end_user,
                    title=_title(query), inputs={},
                )  # fmt: skip
            agents = AgentService(db)
            agent = await db.get(Agent, who.agent_id)
            if agent is None:
                raise ConversationNotFound("The app's agent is gone.", code="app_unavailable")
            snapshot = await agents.config_for(agent, who.agent_version)
            conv.agent_version = snapshot.version
            if conversation_id is None:
                conv.inputs = _inputs(snapshot.config, inputs)
                db.add(conv)
                await db.flush()
            messages = await history.all_messages(db, conv.id)
            resume = _resume(messages, conv.head_id, human_input)
            attached = await _end_user_files(db, who, files)
            question = Message(
                conversation_id=conv.id, parent_id=conv.head_id, role="user", content=query,
                files=[{"id": str(f.id), "name": f.name, "size": f.size_bytes, "chars": len(f.text)} for f in attached],
            )  # fmt: skip
            db.add(question)
            conv.head_id = question.id = uuid.uuid4()
            tools = await ToolCatalogue(db, self.secrets, self.egress).resolve(who.workspace_id, snapshot.config.tools)
            await db.commit()
        earlier = history.branch(messages, question.parent_id)
        canned = await self.canned(who, query) if self.canned is not None and resume is None else None
        return Prepared(
            canned=canned,
            resume=resume,
            task=self.tasks.start(conv.workspace_id, None, owner=f"{who.app_id}:{who.end_user}"),
            conversation=conv,
            snapshot=snapshot,
            tools=tools,
            question=question,
            history=[{"role": m.role, "content": m.content} for m in earlier if m.content],
            attachments=[(f.name, f.text) for f in attached],
        )

    def stop_app(self, who: AppEndUser, task_id: uuid.UUID) -> bool:
        return self.tasks.stop(task_id, who.workspace_id, None, owner=f"{who.app_id}:{who.end_user}")

    async def regenerate(
        self, caller: Caller, workspace_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> Prepared:
        """A new answer to the question `message_id` answered; the old answer stays, as its sibling."""
        async with self.sessionmaker() as db:
            conv = await owned(db, caller, workspace_id, conversation_id)
            messages = await history.all_messages(db, conv.id)
            by_id = {m.id: m for m in messages}
            answer = by_id.get(message_id)
            question = by_id.get(answer.parent_id) if answer and answer.parent_id else None
            if answer is None or answer.role != "assistant" or question is None:
                raise MessageNotFound("No such answer in this conversation.")
            agents = AgentService(db)
            agent = await agents.find(caller, workspace_id, conv.agent_id)
            snapshot = await agents.config_for(agent, draft=conv.agent_version is None)
            tools = await ToolCatalogue(db, self.secrets, self.egress).resolve(workspace_id, snapshot.config.tools)
            file_ids = [uuid.UUID(f["id"]) for f in question.files]
            files = await self._files(db, caller, workspace_id, file_ids, missing_ok=True)
            conv.head_id = question.id
            await db.commit()
        earlier = history.branch(messages, question.parent_id)
        return self._prepared(caller, conv, snapshot, tools, question, earlier, files)

    def _prepared(
        self,
        caller: Caller,
        conv: Conversation,
        snapshot: AgentSnapshot,
        tools: list[Tool],
        question: Message,
        earlier: list[Message],
        files: list[ChatFile],
    ) -> Prepared:
        return Prepared(
            task=self.tasks.start(conv.workspace_id, caller.principal.user_id),
            conversation=conv,
            snapshot=snapshot,
            tools=tools,
            question=question,
            history=[{"role": m.role, "content": m.content} for m in earlier if m.content],
            attachments=[(f.name, f.text) for f in files],
        )

    async def _files(
        self, db: AsyncSession, caller: Caller, workspace_id: uuid.UUID, ids: list[uuid.UUID], missing_ok: bool = False
    ) -> list[ChatFile]:
        if not ids:
            return []
        rows = {
            f.id: f
            for f in await db.scalars(
                select(ChatFile).where(
                    ChatFile.id.in_(ids),
                    ChatFile.workspace_id == workspace_id,
                    ChatFile.user_id == caller.principal.user_id,
                )
            )
        }
        missing = [i for i in ids if i not in rows]
        if missing and not missing_ok:
            raise ChatFileNotFound(f"No such file: {missing[0]}", details={"file_id": str(missing[0])})
        return [rows[i] for i in ids if i in rows]

    # -- running it -----------------------------------------------------------------------------------------------

    async def run(self, turn: Prepared, who: Attribution) -> AsyncIterator[dict[str, Any]]:
        """The turn's events as JSON-able dicts (docs/agents-api.md); the answer is stored however it ends."""
        conv, config = turn.conversation, turn.snapshot.config
        started = time.monotonic()
        ctx = RunContext(
            workspace_id=conv.workspace_id,
            who=who,
            models=self.models,
            retriever=self.retriever,
            egress=self.egress,
            secrets=self.secrets,
            settings=self.settings,
            deadline=started + TURN_SECONDS,
            knowledge_base_ids=list(config.knowledge.knowledge_base_ids),
            retrieval=config.knowledge.retrieval.model_dump(),
        )
        answer = Message(
            id=turn.answer_id,
            conversation_id=conv.id,
            parent_id=turn.question.id,
            role="assistant",
            content="",
            status="stopped",
            model=config.model if turn.canned is None else None,
            annotation_id=turn.canned.annotation_id if turn.canned is not None else None,
            steps=[],
            citations=[],
            files=[],
            suggested=[],
            prompt_tokens=0,
            completion_tokens=0,
        )
        yield {
            "event": "start",
            "task_id": str(turn.task.id),
            "conversation_id": str(conv.id),
            "message_id": str(answer.id),
            "user_message_id": str(turn.question.id),
        }
        run: AgentRun | WorkflowTurn = (
            AgentRun(config, turn.tools, ctx, Turn(turn.question.content, turn.history, conv.inputs, turn.attachments))
            if config.mode == "agent" or turn.canned is not None
            else WorkflowTurn(self.workflows, turn, who)
        )
        if turn.canned is not None:
            yield {"event": "annotation", "annotation": turn.canned.public()}
        pump = _Pump(run.events() if turn.canned is None else turn.canned.events(), turn.task.stop)
        try:
            async for event in pump:
                if isinstance(event, RunFinished):
                    answer.status = "ok"
                    answer.content = event.text
                    answer.prompt_tokens, answer.completion_tokens = (
                        event.usage.prompt_tokens,
                        event.usage.completion_tokens,
                    )
                    if config.suggested_follow_ups and event.text.strip() and turn.canned is None:
                        answer.suggested = await follow_ups(self.models, who, config, turn.question.content, event.text)
                    continue
                payload = _encode(event, answer, pump.text)
                if payload is not None:
                    yield payload
        except DomainError as exc:
            answer.status = "error"
            answer.error = {"code": exc.code, "message": exc.message}
            yield {"event": "error", "code": exc.code, "message": exc.message}
        except Exception as exc:  # stored and reported, never a broken stream with nothing said
            log.exception("chat turn failed")
            answer.status = "error"
            answer.error = {"code": "internal_error", "message": f"The answer failed: {type(exc).__name__}"}
            yield {"event": "error", **answer.error}
        finally:
            self.tasks.end(turn.task)
            # Ended and saved in a task of its own, before any await here: when the client has gone, this generator
            # is being cancelled, and in a cancelled scope every await would be cancelled again.
            saving = asyncio.get_running_loop().create_task(self._end(pump, run, conv.id, answer, started))
            self._saving.add(saving)
            saving.add_done_callback(self._saving.discard)
        stored = await saving
        if stored is not None:
            yield {"event": "end", **stored}

    async def _end(
        self, pump: _Pump, run: AgentRun | WorkflowTurn, conversation_id: uuid.UUID, answer: Message, started: float
    ) -> dict[str, Any] | None:
        """Stop the run if it is still going (its model stream closes, freeing the slot), then store the answer."""
        await pump.close()
        if isinstance(run, WorkflowTurn):
            answer.workflow_run_id = run.started_id
            if answer.status == "stopped" and run.form is not None and not pump.stop.is_set():
                answer.status, answer.form = "paused", run.form  # waits for the form's answer (the next turn)
        if answer.status != "ok":  # what was said and spent until it ended
            answer.content = "".join(pump.text)
            answer.prompt_tokens = run.usage.prompt_tokens
            answer.completion_tokens = run.usage.completion_tokens
            answer.steps = [s.public() for s in run.steps]
            answer.citations = [c.public() for c in run.citations]
        answer.latency_ms = int((time.monotonic() - started) * 1000)
        return await self._save(conversation_id, answer)

    async def _save(self, conversation_id: uuid.UUID, answer: Message) -> dict[str, Any] | None:
        async with self.sessionmaker() as db:
            conv = await db.get(Conversation, conversation_id)
            if conv is None:  # deleted while it answered
                return None
            db.add(answer)
            conv.head_id = answer.id
            conv.updated_at = answer.created_at = utcnow()
            await db.commit()
            siblings = list(
                await db.scalars(
                    select(Message.id)
                    .where(Message.conversation_id == conversation_id, Message.parent_id == answer.parent_id)
                    .order_by(Message.created_at, Message.id)
                )
            )
            return {
                "message": message_public(answer, siblings).model_dump(mode="json"),
                "conversation": conversation_public(conv).model_dump(mode="json"),
            }

    def stop(self, caller: Caller, workspace_id: uuid.UUID, task_id: uuid.UUID) -> bool:
        return self.tasks.stop(task_id, workspace_id, caller.principal.user_id)


def _encode(event: AgentEvent | WorkflowStep, answer: Message, parts: list[str]) -> dict[str, Any] | None:
    if isinstance(event, WorkflowStep):
        return event.public()
    if isinstance(event, TextDelta):
        parts.append(event.text)
        return {"event": "text", "text": event.text}
    if isinstance(event, StepStarted):
        return {"event": "step_start", "step": {"index": event.index, "tool": event.tool, "arguments": event.arguments}}
    if isinstance(event, StepFinished):
        answer.steps = [*answer.steps, event.public()]
        return {"event": "step_end", "step": event.public()}
    if isinstance(event, CitationsFound):
        answer.citations = [c.public() for c in event.citations]
        return {"event": "citations", "citations": answer.citations}
    return None


class _Pump:
    """The run's events until it ends or `stop` is set (checked while waiting for each event, not only between).

    Each event is awaited in a task of its own, so that a stop can interrupt the wait; `close()` may be called from
    another task, after the reader has gone."""

    def __init__(self, events: AsyncIterator[AgentEvent | WorkflowStep], stop: asyncio.Event) -> None:
        self.events: AsyncGenerator[AgentEvent | WorkflowStep] = events  # type: ignore[assignment]
        self.stop = stop
        self.text: list[str] = []  # the answer's text so far
        self._pending: asyncio.Future[AgentEvent | WorkflowStep] | None = None

    async def __aiter__(self) -> AsyncIterator[AgentEvent | WorkflowStep]:
        waiter = asyncio.ensure_future(self.stop.wait())
        try:
            while not self.stop.is_set():
                self._pending = asyncio.ensure_future(anext(self.events))
                done, _ = await asyncio.wait({self._pending, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if self._pending not in done:
                    return
                try:
                    event = self._pending.result()
                except StopAsyncIteration:
                    return
                yield event
        finally:
            waiter.cancel()

    async def close(self) -> None:
        """Cancel the event being waited for (the model's stream closes where it waits), then close the run."""
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
            await asyncio.wait({self._pending})
        await self.events.aclose()


def _title(question: str) -> str:
    line = question.strip().splitlines()[0] if question.strip() else ""
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _inputs(config: AgentConfig, inputs: dict[str, Any]) -> dict[str, Any]:
    try:
        return check_inputs(config, inputs)
    except InputsInvalid as exc:
        raise InvalidInputs(str(exc), details={"field": exc.field}) from exc


def _parent_of_question(messages: list[Message], conv: Conversation, body: ChatRequest) -> uuid.UUID | None:
    by_id = {m.id: m for m in messages}
    if body.edit_of is not None:
        edited = by_id.get(body.edit_of)
        if edited is None or edited.role != "user":
            raise MessageNotFound("No such question in this conversation.")
        return edited.parent_id
    if body.parent_id is not None:
        if body.parent_id not in by_id:
            raise MessageNotFound("No such message in this conversation.")
        return body.parent_id
    return conv.head_id


def _resume(messages: list[Message], parent: uuid.UUID | None, reply: HumanInputReply | None) -> Resume | None:
    """The paused run a question with `human_input` goes on with: the one of the answer it follows."""
    if reply is None:
        return None
    answer = next((m for m in messages if m.id == parent), None)
    if answer is None or answer.status != "paused" or answer.workflow_run_id is None:
        raise WorkflowRunNotPaused("The answer this follows is not waiting for input.", code="not_waiting_for_input")
    return Resume(answer.workflow_run_id, dict(reply.values), reply.action)


async def _end_user_files(db: AsyncSession, who: AppEndUser, ids: Sequence[uuid.UUID]) -> list[ChatFile]:
    """The files an app's end user uploaded, in the order asked; another end user's or app's are not found."""
    if not ids:
        return []
    rows = {
        f.id: f
        for f in await db.scalars(
            select(ChatFile).where(
                ChatFile.id.in_(ids), ChatFile.app_id == who.app_id, ChatFile.end_user == who.end_user
            )
        )
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ChatFileNotFound(f"No such file: {missing[0]}", details={"file_id": str(missing[0])})
    return [rows[i] for i in ids]
