"""An app's turn is answered or refused before its response starts: never a 200 that turns out to be "busy".

The model's queue is checked where the agent first calls the model, inside the turn. A channel that streams would
have sent its 200 by then, and a client under load (a web app opened by a whole office at once) would get an
`error` event instead of the 429 with Retry-After it can act on. So the channels wait for the turn's first output
(text or a tool step) before they answer; when the model refuses the turn for load before any output, the turn
is forgotten — its question, its answer and the conversation it opened are deleted, so a refused request stores
nothing — and the channel raises a 429. The client's first byte arrives no later than it would have: nothing is
sent before the first output in either case.

A refusal after the first output (a later model call of an agent with tools, when the queue filled meanwhile)
is an `error` event like any other failure mid-answer.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hezi.conversations.chat import Prepared
from hezi.db.tables import Conversation, Message, WorkflowRun
from hezi.errors import TooManyRequests
from hezi.workflows.events import WorkflowEvent

T = TypeVar("T")
BUSY = frozenset({"model_busy"})
RETRY_AFTER = 2  # seconds: the gateway's own estimate, one short generation
_OUTPUT = frozenset({"text", "step_start", "annotation"})
# A workflow run's first output: text, or a node that asked a model and got its answer.
_MODEL_NODES = frozenset({"llm", "agent", "question-classifier", "parameter-extractor"})
_RUN_ENDS = frozenset({"text_chunk", "workflow_finished", "workflow_paused", "error"})


class AppBusy(TooManyRequests):
    code = "model_busy"


async def started(
    sessionmaker: async_sessionmaker[AsyncSession], turn: Prepared, events: AsyncIterator[dict[str, Any]], *,
    new_conversation: bool,
) -> AsyncIterator[dict[str, Any]]:  # fmt: skip
    """The turn's events, once its first output has come (or it ended); AppBusy if the model refused it first."""
    early: list[dict[str, Any]] = []
    async for event in events:
        early.append(event)
        kind = event["event"]
        if kind == "error" and event.get("code") in BUSY and not any(e["event"] in _OUTPUT for e in early):
            async for _ in events:  # to its end: the turn is stored when it ends, then forgotten here
                pass
            async with sessionmaker() as db:
                await forget(db, turn.conversation.id, turn.question.id, new_conversation=new_conversation)
            raise AppBusy(str(event.get("message") or "The model is busy."), retry_after=RETRY_AFTER)
        if kind in _OUTPUT or kind == "end":
            break
    return _chain(early, events)


async def _chain(first: list[T], rest: AsyncIterator[T]) -> AsyncIterator[T]:
    for event in first:
        yield event
    async for event in rest:
        yield event


async def forget(
    db: AsyncSession, conversation_id: uuid.UUID, question_id: uuid.UUID, *, new_conversation: bool
) -> None:
    """Delete a refused turn: the conversation it opened, or else its question and answer (the head goes back)."""
    conv = await db.get(Conversation, conversation_id)
    if conv is None:
        return
    if new_conversation:
        await db.delete(conv)
    else:
        question = await db.get(Message, question_id)
        conv.head_id = question.parent_id if question is not None else None
        await db.execute(delete(Message).where(Message.id == question_id))  # its answer goes with it (cascade)
    await db.commit()


async def workflow_started(
    sessionmaker: async_sessionmaker[AsyncSession], run_id: uuid.UUID, node_types: Iterable[str],
    events: AsyncIterator[WorkflowEvent],
) -> AsyncIterator[WorkflowEvent]:  # fmt: skip
    """A workflow app's run events, once a model has answered one of its nodes (or it streamed text, or ended);
    AppBusy, and the run forgotten, if the model refused it for load before that. A graph with no node that asks a
    model streams at once."""
    if not _MODEL_NODES.intersection(node_types):
        return events
    early: list[WorkflowEvent] = []
    async for event in events:
        early.append(event)
        if _refused_for_load(event):
            async for _ in events:  # to its end: the run is stored when it ends, then forgotten here
                pass
            async with sessionmaker() as db:
                await db.execute(delete(WorkflowRun).where(WorkflowRun.id == run_id))
                await db.commit()
            raise AppBusy(str(event.data.get("error") or event.data.get("message") or "The model is busy."),
                          retry_after=RETRY_AFTER)  # fmt: skip
        if event.event in _RUN_ENDS or (
            event.event == "node_finished"
            and event.data.get("node_type") in _MODEL_NODES
            and event.data.get("status") == "succeeded"
        ):
            break
    return _chain(early, events)


def _refused_for_load(event: WorkflowEvent) -> bool:
    """The run failed because a model refused it for load (its `error` event carries the failing node's code)."""
    return event.event == "error" and event.data.get("code") in BUSY
