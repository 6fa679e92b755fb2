"""Runs of workflow agents (decision 0023): the builder's run of the draft, an app's run, a chatflow's chat turn,
and a paused run resumed with a person's input.

A run is stored in two short sessions, never held open while it runs: its row (`workflow_runs`, status running)
when it starts, and when it ends its status, outputs, totals, a row per node it ran (`workflow_node_runs`, read off
the stream's node events) and, if it paused for human input, the executor's state — so it resumes after a restart,
on any server. Stopping reaches the process that runs it, by task id (Dify's) or run id (the console's).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.agents.errors import WorkflowInvalid
from hezi.agents.service import AgentService, AgentSnapshot
from hezi.agents.spec import InputsInvalid, check_inputs
from hezi.conversations.errors import InvalidInputs, NotWorkflowApp, WorkflowRunNotFound, WorkflowRunNotPaused
from hezi.conversations.workflow_context import Collaborators, workflow_context
from hezi.conversations.workflow_support import graph_of
from hezi.db.base import utcnow
from hezi.db.tables import Agent, Conversation, Message, WorkflowNodeRun, WorkflowRun
from hezi.errors import DomainError
from hezi.serving.usage import Attribution
from hezi.workflows.events import WorkflowEvent
from hezi.workflows.executor import NodeTrace, RunState
from hezi.workflows.executor import WorkflowRun as Executor
from hezi.workflows.graph import Graph
from hezi.workflows.nodes.human import ACTION

log = logging.getLogger(__name__)

_NODE_START = frozenset({"node_started", "iteration_started", "loop_started"})


@dataclass
class RunTask:
    """A run going on in this process: `id` is Dify's task id, `owner` who may stop it."""

    id: uuid.UUID
    run_id: uuid.UUID
    workspace_id: uuid.UUID
    owner: str  # "user:{id}" for the console, "{app}:{end user}" for an app's end user
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class RunTasks:
    def __init__(self) -> None:
        self._by_task: dict[uuid.UUID, RunTask] = {}
        self._by_run: dict[uuid.UUID, RunTask] = {}

    def start(self, run_id: uuid.UUID, workspace_id: uuid.UUID, owner: str, stop: asyncio.Event | None) -> RunTask:
        task = RunTask(uuid.uuid4(), run_id, workspace_id, owner, stop or asyncio.Event())
        self._by_task[task.id] = self._by_run[run_id] = task
        return task

    def end(self, task: RunTask) -> None:
        self._by_task.pop(task.id, None)
        if self._by_run.get(task.run_id) is task:
            del self._by_run[task.run_id]

    def stop(self, *, owner: str, task_id: uuid.UUID | None = None, run_id: uuid.UUID | None = None) -> bool:
        """Stop the run if it is still going here and the owner's; False when there is none such."""
        task = self._by_task.get(task_id) if task_id is not None else self._by_run.get(run_id) if run_id else None
        if task is None or task.owner != owner:
            return False
        task.stop.set()
        return True


@dataclass
class PreparedRun:
    """A run ready to go: everything read from the database, nothing held open."""

    task: RunTask
    row: WorkflowRun  # detached: what was stored at the start
    graph: Graph
    inputs: dict[str, Any]
    sys: dict[str, Any]
    state: RunState | None = None
    resume_values: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    nodes_before: int = 0  # node rows a resumed run already has
    conversation: dict[str, Any] | None = None  # a chatflow turn's conversation variables as the last turn left them

    @property
    def run_id(self) -> uuid.UUID:
        return self.row.id


def user_owner(caller: Caller) -> str:
    return f"user:{caller.principal.user_id}"


def app_owner(app_id: uuid.UUID, end_user: str) -> str:
    return f"{app_id}:{end_user}"


class WorkflowRuns:
    """Built once at start (it holds the running runs); each run opens its own short sessions."""

    def __init__(self, c: Collaborators) -> None:
        self.c = c
        self.tasks = RunTasks()
        self._saving: set[asyncio.Task[None]] = set()

    # -- starting -------------------------------------------------------------------------------------------------

    async def start_draft(
        self, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, inputs: dict[str, Any],
        query: str = "", files: list[dict[str, Any]] | None = None,
    ) -> PreparedRun:  # fmt: skip
        """The builder's run of the draft with test inputs; a graph with problems is refused (422)."""
        async with self.c.sessionmaker() as db:
            agents = AgentService(db)
            agent = await agents.find(caller, workspace_id, agent_id)
            snapshot = await agents.config_for(agent, draft=True)
            row = _row(snapshot, "debugging", user_id=caller.principal.user_id)
            return await self._start(
                db, row, snapshot, inputs, user_owner(caller), sys_user=str(caller.principal.user_id),
                query=query, files=files or [],
            )  # fmt: skip

    async def start_app(
        self, workspace_id: uuid.UUID, app_id: uuid.UUID, agent_id: uuid.UUID, version: int, end_user: str,
        inputs: dict[str, Any], files: list[dict[str, Any]] | None = None,
    ) -> PreparedRun:  # fmt: skip
        """A workflow app's run for one of its end users, with the version the app serves."""
        async with self.c.sessionmaker() as db:
            agent = await db.get(Agent, agent_id)
            if agent is None or agent.workspace_id != workspace_id:
                raise WorkflowRunNotFound("The app's agent is gone.", code="app_unavailable")
            snapshot = await AgentService(db).config_for(agent, version)
            if snapshot.config.mode != "workflow":
                raise NotWorkflowApp("Please check if your app mode matches the right API route.")
            row = _row(snapshot, "app-run", app_id=app_id, end_user=end_user)
            return await self._start(
                db, row, snapshot, inputs, app_owner(app_id, end_user), sys_user=end_user, files=files or []
            )

    async def start_turn(
        self, snapshot: AgentSnapshot, *, conversation_id: uuid.UUID, message_id: uuid.UUID, query: str,
        inputs: dict[str, Any], history: list[dict[str, Any]], stop: asyncio.Event, user_id: uuid.UUID | None,
        app_id: uuid.UUID | None, end_user: str | None, files: list[dict[str, Any]] | None = None,
        variables: dict[str, Any] | None = None,
    ) -> PreparedRun:  # fmt: skip
        """A chat turn answered by a workflow agent (the chat has checked who asks, and the inputs); `variables`
        are the conversation's, as its last turn left them (stored again when this one ends)."""
        triggered = "app-run" if app_id is not None else "chat"
        row = _row(snapshot, triggered, user_id=user_id, app_id=app_id, end_user=end_user)
        row.conversation_id, row.message_id = conversation_id, message_id
        owner = app_owner(app_id, end_user or "") if app_id is not None else f"user:{user_id}"
        async with self.c.sessionmaker() as db:
            prepared = await self._start(
                db, row, snapshot, inputs, owner, sys_user=end_user or str(user_id), query=query, files=files or [],
                conversation_id=str(conversation_id), checked=True, stop=stop,
            )  # fmt: skip
        prepared.history = history
        prepared.conversation = dict(variables or {})
        return prepared

    async def _start(
        self, db: AsyncSession, row: WorkflowRun, snapshot: AgentSnapshot, inputs: dict[str, Any], owner: str, *,
        sys_user: str, query: str = "", files: list[dict[str, Any]], conversation_id: str | None = None,
        checked: bool = False, stop: asyncio.Event | None = None,
    ) -> PreparedRun:  # fmt: skip
        graph, problems = graph_of(snapshot.config)
        if problems:
            raise WorkflowInvalid(problems)
        if graph is None:
            raise NotWorkflowApp("This agent is not a workflow: ask it in the chat.", code="not_a_workflow")
        if not checked:
            try:
                inputs = {**inputs, **check_inputs(snapshot.config, inputs)}
            except InputsInvalid as exc:
                raise InvalidInputs(str(exc), details={"field": exc.field}) from exc
        sys = {
            "query": query, "files": files, "user_id": sys_user, "app_id": str(row.app_id or ""),
            "workflow_id": str(row.agent_id), "workflow_run_id": str(row.id),
        }  # fmt: skip
        if conversation_id is not None:
            sys["conversation_id"] = conversation_id
        row.graph, row.inputs, row.sys = graph.model_dump(mode="json"), inputs, sys
        db.add(row)
        await db.commit()
        task = self.tasks.start(row.id, row.workspace_id, owner, stop)
        return PreparedRun(task=task, row=row, graph=graph, inputs=inputs, sys=sys)

    async def resume(
        self,
        caller: Caller,
        workspace_id: uuid.UUID,
        agent_id: uuid.UUID,
        run_id: uuid.UUID,
        values: dict[str, Any],
        action: str | None = None,
    ) -> PreparedRun:
        """A paused run, going on from where it waited with the values a person gave; the state comes from the
        database, so the server that paused it may have restarted since. Only one resume of a pause wins."""
        async with self.c.sessionmaker() as db:
            await AgentService(db).find(caller, workspace_id, agent_id)
            row = await db.scalar(
                update(WorkflowRun)
                .where(WorkflowRun.id == run_id, WorkflowRun.agent_id == agent_id, WorkflowRun.status == "paused")
                .values(status="running")
                .returning(WorkflowRun)
            )
            if row is None:
                exists = await db.scalar(
                    select(WorkflowRun.status).where(WorkflowRun.id == run_id, WorkflowRun.agent_id == agent_id)
                )
                if exists is None:
                    raise WorkflowRunNotFound("No such run of this agent.")
                raise WorkflowRunNotPaused(f"The run is {exists}, not waiting for input.")
            nodes = await db.scalar(select(func.count()).where(WorkflowNodeRun.run_id == run_id)) or 0
            await db.commit()
        return self._resumed(row, nodes, user_owner(caller), None, values, action)

    async def resume_turn(
        self, run_id: uuid.UUID, *, conversation_id: uuid.UUID, message_id: uuid.UUID, values: dict[str, Any],
        action: str | None, stop: asyncio.Event, owner: str, history: list[dict[str, Any]],
    ) -> PreparedRun:  # fmt: skip
        """A chatflow's run paused in this conversation, going on as the answer `message_id` (the turn that sent
        the form's values); a second submission of the same pause finds it no longer paused (409)."""
        async with self.c.sessionmaker() as db:
            row = await db.scalar(
                update(WorkflowRun)
                .where(WorkflowRun.id == run_id, WorkflowRun.conversation_id == conversation_id)
                .where(WorkflowRun.status == "paused")
                .values(status="running", message_id=message_id)
                .returning(WorkflowRun)
            )
            if row is None:
                raise WorkflowRunNotPaused("The workflow is no longer waiting for input.", code="not_waiting_for_input")
            # The answer that showed the form has been answered: it waits no longer (and cannot be answered twice).
            await db.execute(
                update(Message).where(Message.workflow_run_id == run_id, Message.status == "paused").values(status="ok")
            )
            nodes = await db.scalar(select(func.count()).where(WorkflowNodeRun.run_id == run_id)) or 0
            await db.commit()
        prepared = self._resumed(row, nodes, owner, stop, values, action)
        prepared.history = history
        return prepared

    def _resumed(
        self, row: WorkflowRun, nodes: int, owner: str, stop: asyncio.Event | None, values: dict[str, Any],
        action: str | None,
    ) -> PreparedRun:  # fmt: skip
        state = RunState.model_validate(row.state)
        graph = Graph.model_validate(row.graph)
        task = self.tasks.start(row.id, row.workspace_id, owner, stop)
        if action is not None:
            values = {**values, ACTION: action}  # the button chosen: the handle the node leaves by
        return PreparedRun(
            task=task, row=row, graph=graph, inputs=row.inputs, sys=row.sys, state=state, resume_values=values,
            nodes_before=nodes,
        )  # fmt: skip

    # -- running --------------------------------------------------------------------------------------------------

    async def stream(self, p: PreparedRun, who: Attribution) -> AsyncIterator[WorkflowEvent]:
        """The run's events (Dify's shapes); the run is stored however it ends, before the stream does."""
        row = p.row
        ctx = workflow_context(
            self.c, row.workspace_id, dataclasses.replace(who, run_id=row.id), history=p.history, app_id=row.app_id,
            end_user=row.end_user, user_id=row.user_id,
        )  # fmt: skip
        run = Executor(
            p.graph, ctx, run_id=str(row.id), inputs=p.inputs, sys=p.sys, stop=p.task.stop, resume=p.state,
            resume_values=p.resume_values, workflow_id=str(row.agent_id), conversation=p.conversation,
        )  # fmt: skip
        record = _Record(p.nodes_before)
        events: AsyncGenerator[WorkflowEvent] = run.events()  # type: ignore[assignment]
        try:
            async for event in events:
                record.see(event)
                yield event
        except DomainError as exc:
            record.fail(exc.message)
            yield WorkflowEvent("error", {"status": 400, "code": exc.code, "message": exc.message})
        except Exception as exc:  # stored and reported, never a broken stream with nothing said
            log.exception("workflow run failed")
            record.fail(f"The run failed: {type(exc).__name__}")
            yield WorkflowEvent("error", {"status": 500, "code": "internal_error", "message": record.error or ""})
        finally:
            self.tasks.end(p.task)
            # In a task of its own, before any await here: when the client has gone this generator is being
            # cancelled, and in a cancelled scope every await would be cancelled again.
            saving = asyncio.get_running_loop().create_task(self._finish(events, run, record, p))
            self._saving.add(saving)
            saving.add_done_callback(self._saving.discard)
        await saving

    async def _finish(
        self, events: AsyncGenerator[WorkflowEvent], run: Executor, record: _Record, p: PreparedRun
    ) -> None:
        """Close the run if it is still going (a client that left, a stop), then store how it ended: the executor
        has its status, outputs and totals (counted over every resume) and a trace per node execution."""
        await events.aclose()
        status: str = run.status
        if status == "running":  # it never got going (a bug around it): say so
            status = "failed"
        async with self.c.sessionmaker() as db:
            row = await db.get(WorkflowRun, p.run_id)
            if row is None:  # its agent was deleted meanwhile
                return
            row.status = status
            row.outputs = run.outputs
            row.error = (run.error or record.error) if status != "succeeded" else None
            measured = time.monotonic() - record.started
            row.elapsed_time = record.elapsed if record.elapsed is not None else row.elapsed_time + measured
            row.total_tokens, row.total_steps = run.total_tokens, run.steps
            row.state = run.state.model_dump(mode="json") if status == "paused" and run.state is not None else None
            row.finished_at = None if status == "paused" else utcnow()
            db.add_all(record.rows(p.run_id, run.traces))
            if row.conversation_id is not None and run.conversation:  # what its assigners wrote, for the next turn
                await db.execute(
                    update(Conversation)
                    .where(Conversation.id == row.conversation_id)
                    .values(variables=_json(run.conversation))
                )
            await db.commit()

    # -- stopping -------------------------------------------------------------------------------------------------

    def stop_run(self, caller: Caller, run_id: uuid.UUID) -> bool:
        return self.tasks.stop(owner=user_owner(caller), run_id=run_id)

    def stop_app(self, app_id: uuid.UUID, end_user: str, task_id: uuid.UUID) -> bool:
        return self.tasks.stop(owner=app_owner(app_id, end_user), task_id=task_id)


def _row(
    snapshot: AgentSnapshot, triggered_from: str, *, user_id: uuid.UUID | None = None, app_id: uuid.UUID | None = None,
    end_user: str | None = None,
) -> WorkflowRun:  # fmt: skip
    return WorkflowRun(
        id=uuid.uuid4(), workspace_id=snapshot.workspace_id, agent_id=snapshot.agent_id,
        agent_version=snapshot.version, mode=snapshot.config.mode, triggered_from=triggered_from, user_id=user_id,
        app_id=app_id, end_user=end_user, status="running", elapsed_time=0.0, total_tokens=0, total_steps=0,
        created_at=utcnow(),
    )  # fmt: skip


class _Record:
    """What the stream said that the traces do not: the order nodes started in (Dify's `index`), the elapsed time
    over every resume, and an error from around the run."""

    def __init__(self, nodes_before: int) -> None:
        self.started = time.monotonic()
        self.nodes_before = nodes_before
        self.index: dict[str, int] = {}  # execution id → its place among the run's node executions
        self.elapsed: float | None = None
        self.error: str | None = None

    def see(self, event: WorkflowEvent) -> None:
        data = event.data
        if event.event in _NODE_START:
            self.index.setdefault(str(data.get("id")), self.nodes_before + len(self.index) + 1)
        elif event.event in ("workflow_finished", "workflow_paused") and data.get("elapsed_time") is not None:
            self.elapsed = float(data["elapsed_time"])

    def fail(self, message: str) -> None:
        self.error = self.error or message

    def rows(self, run_id: uuid.UUID, traces: list[NodeTrace]) -> list[WorkflowNodeRun]:
        out = []
        for t in traces:
            index = self.index.get(t.id) or self.nodes_before + len(self.index) + 1
            self.index[t.id] = index
            extras: dict[str, Any] = {"attempts": t.attempts}
            if t.container_id is not None:
                extras.update(container_id=t.container_id, container_index=t.index)
            if t.error_code:
                extras["error_code"] = t.error_code
            out.append(WorkflowNodeRun(
                run_id=run_id, index=index, node_id=t.node_id[:64], node_type=t.type[:64], title=t.title[:128],
                predecessor_node_id=t.predecessor_node_id, status=t.status, inputs=_json(t.inputs),
                process_data=_json(t.process_data), outputs=_json(t.outputs), error=t.error, tokens=t.tokens,
                elapsed_time=t.elapsed_ms / 1000, extras=extras, created_at=_at(t.started_at),
                finished_at=_at(t.finished_at),
            ))  # fmt: skip
        return out


def _at(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC) if unix else utcnow()


def _json(value: Any) -> Any:
    """A value as JSON can hold it (the executor's state may be a model or a dataclass)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return str(value)
