"""The executor: one run of a workflow, streamed as Dify-shaped events, traced node by node.

A level (the top of the graph, or a container's body) is walked by counting: a node runs once every edge into it
is resolved and at least one of them was taken; when none was, it is skipped and so are the edges out of it (a
join after an if/else waits for the branch that ran, not the one that did not). Each ready node runs as its own
asyncio task, so independent branches overlap. A node's timeout, retries and error strategy (fail the run, carry
on with default outputs, or leave by its `fail-branch` handle) are applied around its `run`.

Pausing: a human-input node parks; the rest of the run goes on as far as it can, then the run ends "paused" with
a RunState (the pool, what finished in what order, what waits) that a later WorkflowRun resumes, in this process
or after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import BaseModel, Field

from hezi.workflows import events as ev
from hezi.workflows.context import WorkflowContext
from hezi.workflows.events import NodeStatus, WorkflowEvent
from hezi.workflows.graph import Graph
from hezi.workflows.nodes import NodeContext, NodeFailed, NodeResult, PauseRequested
from hezi.workflows.nodes.base import BodyResult
from hezi.workflows.plan import Level, Plan, Step, plan
from hezi.workflows.pool import VariablePool, text_of
from hezi.workflows.validate import FAIL_BRANCH

log = logging.getLogger(__name__)

Status = Literal["running", "succeeded", "failed", "stopped", "paused"]


class NodeTrace(BaseModel):
    """What one execution of one node did (a node inside an iteration has one per item)."""

    id: str
    node_id: str
    type: str
    title: str
    status: NodeStatus
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    process_data: dict[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None
    tokens: int = 0
    elapsed_ms: float = 0.0
    started_at: float = 0.0  # Unix time
    finished_at: float = 0.0
    attempts: int = 1
    predecessor_node_id: str | None = None
    container_id: str | None = None  # the iteration or loop it ran in
    index: int | None = None  # the iteration's item or the loop's round


class RunState(BaseModel):
    """A paused run, JSON-serialisable: store it, and resume with WorkflowRun(..., resume=state)."""

    version: int = 1
    run_id: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    sys: dict[str, Any] = Field(default_factory=dict)
    pool: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # What happened, in order: (node id, the handle it left by, or None when it was skipped).
    log: list[tuple[str, str | None]] = Field(default_factory=list)
    waiting: dict[str, dict[str, Any]] = Field(default_factory=dict)  # node id → the form it shows
    outputs: dict[str, Any] = Field(default_factory=dict)
    answer: str = ""
    answered: dict[str, int] = Field(default_factory=dict)  # Answer node → pieces streamed before it ran
    tokens: int = 0
    steps: int = 0
    elapsed_s: float = 0.0
    created_at: int = 0


class _Stop(Exception):
    def __init__(self, trace: NodeTrace) -> None:
        super().__init__(trace.error)
        self.trace = trace


class WorkflowRun:
    """One run. Iterate `events()` once; after it ends: status, outputs, error, state (when paused), traces."""

    def __init__(
        self,
        graph: Graph | Plan,
        ctx: WorkflowContext,
        *,
        run_id: str | None = None,
        inputs: dict[str, Any] | None = None,
        sys: dict[str, Any] | None = None,
        stop: asyncio.Event | None = None,
        resume: RunState | None = None,
        resume_values: dict[str, Any] | None = None,
        conversation: dict[str, Any] | None = None,
        workflow_id: str | None = None,
    ) -> None:
        self.plan = graph if isinstance(graph, Plan) else plan(graph)
        self.ctx = ctx
        self.run_id = run_id or (resume.run_id if resume else str(uuid.uuid4()))
        self.workflow_id = workflow_id
        self.inputs = dict(resume.inputs if resume else inputs or {})
        self.sys = {**(resume.sys if resume else {}), **(sys or {}), "workflow_run_id": self.run_id}
        self.stop = stop
        self.resume = resume
        self.resume_values = resume_values
        self.status: Status = "running"
        self.outputs: dict[str, Any] = dict(resume.outputs) if resume else {}
        self.error: str | None = None
        self.error_code: str | None = None
        self.state: RunState | None = None
        self.traces: list[NodeTrace] = []
        self.total_tokens = resume.tokens if resume else 0
        self.steps = resume.steps if resume else 0
        self.answer = resume.answer if resume else ""
        pool_values = {k: dict(v) for k, v in resume.pool.items()} if resume else {}
        self.pool = VariablePool(pool_values)
        self.pool.put("sys", self.sys)
        self.pool.put("env", {e.name: e.value for e in self.plan.graph.environment})
        if conversation is not None or "conversation" not in pool_values:  # a resumed run has them in its state
            self.pool.put("conversation", {**self.plan.graph.conversation_defaults(), **(conversation or {})})
        self.conversation: dict[str, Any] = self.pool.values["conversation"]
        self._log: list[tuple[str, str | None]] = list(resume.log) if resume else []
        self._waiting: dict[str, dict[str, Any]] = {}
        # Answer node → how many of its pieces already streamed (before it ran, with an LLM's live text).
        self._skip: dict[str, int] = dict(resume.answered) if resume else {}
        self._queue: asyncio.Queue[WorkflowEvent | None] = asyncio.Queue()
        self._started = time.perf_counter() - (resume.elapsed_s if resume else 0.0)
        self._created_at = resume.created_at if resume else int(time.time())
        self._index = 0

    # --- the stream ------------------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[WorkflowEvent]:
        main = asyncio.create_task(self._main())
        watcher = asyncio.create_task(self._watch_stop(main)) if self.stop is not None else None
        try:
            while True:
                event = await self._queue.get()
                if event is None:
                    break
                yield event
        finally:
            for task in (main, watcher):
                if task is not None and not task.done():
                    task.cancel()
            await asyncio.gather(main, *([watcher] if watcher else []), return_exceptions=True)

    async def _watch_stop(self, main: asyncio.Task[None]) -> None:
        assert self.stop is not None
        await self.stop.wait()
        main.cancel()

    def _emit(self, event: WorkflowEvent) -> None:
        self._queue.put_nowait(event)

    async def _main(self) -> None:
        self._emit(ev.workflow_started(self.run_id, self.workflow_id, self.inputs, self._created_at))
        walk = _Walk(self, self.plan.levels[None], self.pool, None, None)
        try:
            await walk.go(self.resume)
            if self._waiting:
                self.status = "paused"
            else:
                self.status = "succeeded"
        except _Stop as stop:
            self.status, self.error, self.error_code = "failed", stop.trace.error, stop.trace.error_code
        except asyncio.CancelledError:
            self.status, self.error = "stopped", "The run was stopped."
            walk.cancel()
            await walk.drain()
        except Exception as exc:  # a bug in the executor or a node: the run fails, saying so
            log.exception("workflow run %s failed", self.run_id)
            self.status, self.error, self.error_code = "failed", f"{type(exc).__name__}: {exc}", "internal_error"
        finally:
            self._finish()

    def _finish(self) -> None:
        elapsed = time.perf_counter() - self._started
        if self.plan.graph.mode == "chatflow" and self.status != "paused":
            self.outputs = {**self.outputs, "answer": self.answer}
        if self.status == "paused":
            self.state = RunState(
                run_id=self.run_id,
                inputs=self.inputs,
                sys={k: v for k, v in self.sys.items() if k != "workflow_run_id"},
                pool={k: v for k, v in self.pool.values.items() if k not in ("sys", "env")},
                log=self._log,
                waiting=self._waiting,
                outputs=self.outputs,
                answer=self.answer,
                answered=self._skip,
                tokens=self.total_tokens,
                steps=self.steps,
                elapsed_s=elapsed,
                created_at=self._created_at,
            )
            self._emit(ev.workflow_paused(self.run_id, list(self._waiting), round(elapsed, 6)))
        else:
            if self.status == "failed":
                self._emit(ev.error(self.error_code or "workflow_failed", self.error or "The run failed."))
            self._emit(
                ev.workflow_finished(
                    self.run_id,
                    self.workflow_id,
                    status=self.status,  # type: ignore[arg-type]
                    outputs=self.outputs,
                    error=self.error,
                    elapsed_time=round(elapsed, 6),
                    total_tokens=self.total_tokens,
                    total_steps=self.steps,
                    created_at=self._created_at,
                    finished_at=int(time.time()),
                )
            )
        self._queue.put_nowait(None)

    # --- streaming text to the chat ------------------------------------------------------------------------

    def _stream_from(self, step: Step) -> Any:
        live = self.plan.live.get(step.node.id)
        if live is None or self.plan.graph.mode != "chatflow":
            return _drop
        answer_id, k = live

        def stream(text: str, selector: list[str]) -> None:
            if answer_id not in self._skip:
                self._skip[answer_id] = k + 1
                for piece in self.plan.answers[answer_id][:k]:
                    self._text(piece.text, [answer_id, "answer"])
            self._text(text, selector)

        return stream

    def _text(self, text: str, selector: list[str]) -> None:
        if text:
            self.answer += text
            self._emit(ev.text_chunk(text, selector))

    def _answer_finished(self, node_id: str, pool: VariablePool) -> None:
        for piece in self.plan.answers[node_id][self._skip.get(node_id, 0) :]:
            if piece.selector is None:
                self._text(piece.text, [node_id, "answer"])
            else:
                self._text(text_of(pool.get(piece.selector, None)), piece.selector)

    def _next_index(self) -> int:
        self._index += 1
        return self._index


def _drop(text: str, selector: list[str]) -> None:
    return None


class _Walk:
    """One level walked once: the top of the graph, or one pass of a container's body."""

    __slots__ = (
        "_failure",
        "_idle",
        "broke",
        "container",
        "done",
        "index",
        "level",
        "pool",
        "remaining",
        "run",
        "taken",
        "tasks",
        "tokens",
    )  # fmt: skip

    def __init__(
        self, run: WorkflowRun, level: Level, pool: VariablePool, container: Step | None, index: int | None
    ) -> None:
        self.run = run
        self.level = level
        self.pool = pool
        self.container = container
        self.index = index
        self.remaining = {node_id: step.incoming for node_id, step in level.steps.items()}
        self.taken: dict[str, int] = {}
        self.done: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.tokens = 0
        self.broke = False
        self._idle: asyncio.Future[None] | None = None
        self._failure: _Stop | None = None

    async def go(self, resume: RunState | None = None) -> None:
        entry = self.level.entry
        if entry is None:
            if self.level.steps:
                raise NodeFailed("The body has no first node.", code="no_body_start")
            return
        self._idle = asyncio.get_running_loop().create_future()
        if resume is not None:
            self._replay(resume)
        else:
            self._launch(entry, None)
        if self.tasks:
            await self._idle
        if self._failure is not None:
            raise self._failure

    def _replay(self, state: RunState) -> None:
        """Put the level back where the paused run left it, then start the nodes that were waiting to run."""
        ready: list[tuple[str, str | None]] = []
        for node_id, handle in state.log:
            step = self.level.steps.get(node_id)
            if step is None:
                continue
            self.done.add(node_id)
            self._resolve(step, handle, ready)
        for node_id, predecessor in ready:
            if node_id not in self.done:
                self._launch(node_id, predecessor)
        for node_id in state.waiting:  # ready already, as the replay shows; started here should it not
            if node_id not in self.done and node_id in self.level.steps:
                self._launch(node_id, None)

    def _launch(self, node_id: str, predecessor: str | None) -> None:
        self.done.add(node_id)
        task = asyncio.create_task(self._node(self.level.steps[node_id], predecessor))
        self.tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled():
            exc = task.exception()
            if isinstance(exc, _Stop) and self._failure is None:
                self._failure = exc
                self.cancel()
            elif exc is not None and self._failure is None:
                self._failure = _Stop(_bug_trace(exc))
                self.cancel()
        if not self.tasks and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    async def drain(self) -> None:
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def _resolve(self, step: Step, handle: str | None, ready: list[tuple[str, str | None]]) -> None:
        """Mark the edges out of a finished (or skipped, handle None) node; collect nodes that became ready, and
        skip those that can no longer run."""
        taken = step.out.get(handle, ()) if handle is not None else ()
        for target in step.targets:
            self.remaining[target] -= 1
        for target in taken:
            self.taken[target] = self.taken.get(target, 0) + 1
        for target in dict.fromkeys(step.targets):
            if self.remaining[target] == 0 and target not in self.done:
                if self.taken.get(target):
                    ready.append((target, step.node.id))
                else:
                    self.done.add(target)
                    if self.container is None:
                        self.run._log.append((target, None))
                    self._resolve(self.level.steps[target], None, ready)

    def _after(self, step: Step, handle: str | None) -> None:
        if self.container is None:
            self.run._log.append((step.node.id, handle))
        ready: list[tuple[str, str | None]] = []
        self._resolve(step, handle, ready)
        for node_id, predecessor in ready:
            self._launch(node_id, predecessor)

    async def _node(self, step: Step, predecessor: str | None) -> None:
        run, node = self.run, step.node
        if step.built.container:
            await self._container(step, predecessor)
            return
        marker = node.type in ("iteration-start", "loop-start", "loop-end")
        execution_id = str(uuid.uuid4())
        index = run._next_index()
        started_at = time.time()
        t0 = time.perf_counter()
        kind_id = self.container.node.id if self.container is not None else None
        is_loop = self.container is not None and self.container.node.type == "loop"
        iteration_id, loop_id = (None, kind_id) if is_loop else (kind_id, None)
        if not marker:
            run._emit(
                ev.node_started(
                    execution_id,
                    node.id,
                    node.type,
                    node.title,
                    index,
                    predecessor,
                    None,
                    int(started_at),
                    iteration_id=iteration_id,
                    loop_id=loop_id,
                )
            )
        ctx = NodeContext(run.ctx, node, run._stream_from(step), run_inputs=run.inputs)
        if node.type == "human-input" and node.id in (run.resume.waiting if run.resume else {}):
            ctx.resume_values = _values_for(node.id, run.resume_values, run.resume)
        result: NodeResult | None = None
        error: str | None = None
        code: str | None = None
        attempts = 0
        for attempts in range(1, node.retry.max_attempts + 1):
            try:
                if node.timeout_s is not None:
                    async with asyncio.timeout(node.timeout_s):
                        result = await step.built.run(self.pool, ctx)
                else:
                    result = await step.built.run(self.pool, ctx)
                break
            except PauseRequested as pause:
                if self.container is not None:
                    error, code = "Human input cannot wait inside an iteration or loop.", "pause_in_container"
                    break
                run._waiting[node.id] = pause.form
                run._emit(ev.human_input_required(node.id, node.title, pause.form))
                self._trace(step, execution_id, "paused", None, None, None, None, 0, started_at, t0, predecessor)
                return
            except NodeFailed as exc:
                error, code = exc.message, exc.code
            except TimeoutError:
                error, code = f"The node did not finish within {node.timeout_s:g} s.", "timeout"
            except asyncio.CancelledError:
                self._trace(step, execution_id, "stopped", None, None, "stopped", None, 0, started_at, t0, predecessor)
                raise
            except Exception as exc:  # a node's bug is its failure, not the executor's
                log.exception("node %s (%s) failed", node.id, node.type)
                error, code = f"{type(exc).__name__}: {exc}", "internal_error"
            if attempts < node.retry.max_attempts:
                await asyncio.sleep(node.retry.interval_s)
        status: NodeStatus = "succeeded"
        handle: str | None = "source"
        if result is not None:
            handle = result.handle
            outputs: dict[str, Any] | None = result.outputs
        elif node.error_strategy == "default_value":
            status, outputs = "exception", {**node.default_outputs, "error_message": error, "error_type": code}
        elif node.error_strategy == "fail_branch":
            status, handle, outputs = "exception", FAIL_BRANCH, {"error_message": error, "error_type": code}
        else:
            trace = self._trace(step, execution_id, "failed", None, None, error, code, 0, started_at, t0, predecessor)
            trace.attempts = attempts
            run._emit(self._finished_event(trace, index, iteration_id, loop_id))
            raise _Stop(trace)
        self.pool.put(node.id, outputs or {})
        tokens = result.tokens if result is not None else 0
        self.tokens += tokens
        run.total_tokens += tokens
        run.steps += 1
        trace = self._trace(
            step, execution_id, status, result.inputs if result else None, outputs,
            error if status != "succeeded" else None, code if status != "succeeded" else None, tokens, started_at,
            t0, predecessor, result.process_data if result else None,
        )  # fmt: skip
        trace.attempts = attempts
        if node.type == "end" and self.container is None and outputs:
            run.outputs.update(outputs)
        if not marker:
            run._emit(self._finished_event(trace, index, iteration_id, loop_id))
        if node.type == "answer" and run.plan.graph.mode == "chatflow" and self.container is None:
            run._answer_finished(node.id, self.pool)
        if node.type == "loop-end":
            self.broke = True
        self._after(step, handle)

    def _trace(
        self,
        step: Step,
        execution_id: str,
        status: NodeStatus,
        inputs: dict[str, Any] | None,
        outputs: dict[str, Any] | None,
        error: str | None,
        code: str | None,
        tokens: int,
        started_at: float,
        t0: float,
        predecessor: str | None,
        process_data: dict[str, Any] | None = None,
    ) -> NodeTrace:
        node = step.node
        trace = NodeTrace(
            id=execution_id,
            node_id=node.id,
            type=node.type,
            title=node.title,
            status=status,
            inputs=inputs,
            outputs=outputs,
            process_data=process_data,
            error=error,
            error_code=code,
            tokens=tokens,
            elapsed_ms=(time.perf_counter() - t0) * 1000,
            started_at=started_at,
            finished_at=time.time(),
            predecessor_node_id=predecessor,
            container_id=self.container.node.id if self.container is not None else None,
            index=self.index,
        )
        self.run.traces.append(trace)
        return trace

    def _finished_event(
        self, trace: NodeTrace, index: int, iteration_id: str | None, loop_id: str | None
    ) -> WorkflowEvent:
        return ev.node_finished(
            trace.id, trace.node_id, trace.type, trace.title, index, trace.predecessor_node_id,
            status=trace.status, inputs=trace.inputs, outputs=trace.outputs, process_data=trace.process_data,
            error=trace.error, elapsed_time=round(trace.elapsed_ms / 1000, 6), total_tokens=trace.tokens,
            created_at=int(trace.started_at), finished_at=int(trace.finished_at), iteration_id=iteration_id,
            loop_id=loop_id, iteration_index=trace.index,
        )  # fmt: skip

    async def _container(self, step: Step, predecessor: str | None) -> None:
        """An iteration or loop: its own events around the passes of its body."""
        run, node = self.run, step.node
        kind: Literal["iteration", "loop"] = "loop" if node.type == "loop" else "iteration"
        execution_id = str(uuid.uuid4())
        started_at = time.time()
        t0 = time.perf_counter()
        run._emit(ev.container_started(kind, execution_id, node.id, node.title, {}, int(started_at), {}))
        level = run.plan.levels[node.id]
        passes = 0

        async def body(pool: VariablePool, index: int) -> BodyResult:
            nonlocal passes
            passes += 1
            walk = _Walk(run, level, pool, step, index)
            try:
                await walk.go()
            except _Stop as stop:
                raise NodeFailed(stop.trace.error or "A node in the body failed.", code="body_failed") from None
            except asyncio.CancelledError:
                walk.cancel()
                await walk.drain()
                raise
            return BodyResult(pool, walk.tokens, walk.broke)

        def announce(index: int, previous: Any) -> None:
            run._emit(ev.container_next(kind, execution_id, node.id, node.title, index, int(time.time()), previous))

        ctx = NodeContext(run.ctx, node, _drop, body=body, next=announce, run_inputs=run.inputs)
        result: NodeResult | None = None
        error = code = None
        try:
            if node.timeout_s is not None:
                async with asyncio.timeout(node.timeout_s):
                    result = await step.built.run(self.pool, ctx)
            else:
                result = await step.built.run(self.pool, ctx)
        except NodeFailed as exc:
            error, code = exc.message, exc.code
        except TimeoutError:
            error, code = f"The node did not finish within {node.timeout_s:g} s.", "timeout"
        except ExceptionGroup as group:  # a parallel iteration: its first failure
            failed = group.subgroup(NodeFailed)
            if failed is None:
                raise
            first = failed.exceptions[0]
            assert isinstance(first, NodeFailed)
            error, code = first.message, first.code
        status: NodeStatus = "succeeded"
        handle: str | None = "source"
        outputs: dict[str, Any] | None
        if result is not None:
            outputs = result.outputs
        elif node.error_strategy == "default_value":
            status, outputs = "exception", {**node.default_outputs, "error_message": error, "error_type": code}
        elif node.error_strategy == "fail_branch":
            status, handle, outputs = "exception", FAIL_BRANCH, {"error_message": error, "error_type": code}
        else:
            status, outputs = "failed", None
        tokens = result.tokens if result is not None else 0
        self.tokens += tokens
        run.total_tokens += tokens
        run.steps += 1
        trace = self._trace(
            step, execution_id, status, result.inputs if result else None, outputs, error, code, tokens,
            started_at, t0, predecessor,
        )  # fmt: skip
        run._emit(
            ev.container_completed(
                kind,
                execution_id,
                node.id,
                node.title,
                inputs=trace.inputs or {},
                outputs=outputs,
                status=status,
                error=error,
                elapsed_time=round(trace.elapsed_ms / 1000, 6),
                total_tokens=tokens,
                steps=passes,
                created_at=int(started_at),
                finished_at=int(trace.finished_at),
            )
        )
        if status == "failed":
            raise _Stop(trace)
        self.pool.put(node.id, outputs or {})
        self._after(step, handle)


def _values_for(node_id: str, values: dict[str, Any] | None, state: RunState | None) -> dict[str, Any] | None:
    """The submitted values for one waiting node: `values[node_id]` when several wait, else `values` itself."""
    if values is None:
        return None
    waiting = state.waiting if state else {}
    if len(waiting) > 1 or (node_id in values and isinstance(values[node_id], dict)):
        picked = values.get(node_id)
        return picked if isinstance(picked, dict) else None
    return values


def _bug_trace(exc: BaseException) -> NodeTrace:
    return NodeTrace(
        id=str(uuid.uuid4()), node_id="", type="", title="", status="failed",
        error=f"{type(exc).__name__}: {exc}", error_code="internal_error",
    )  # fmt: skip
