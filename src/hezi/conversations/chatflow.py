"""A chat turn answered by a workflow agent (decision 0023): a chatflow's Answer nodes stream as the chat's text,
a workflow's End outputs are the answer, and every workflow event is passed on for the channels that show them
(Dify's chat-messages streams them around its `message` events). The run is stored with its node traces, and the
answer names it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hezi.agents.events import AgentEvent, RunFinished
from hezi.errors import DomainError
from hezi.serving.events import TextDelta, TokenUsage
from hezi.serving.usage import Attribution

if TYPE_CHECKING:
    from hezi.conversations.chat import Prepared
    from hezi.conversations.workflow_runs import WorkflowRuns


@dataclass(frozen=True, slots=True)
class WorkflowStep:
    """One of the run's events (hezi.workflows.events.WorkflowEvent) inside a chat turn."""

    run_id: uuid.UUID
    event: str
    data: dict[str, Any]

    def public(self) -> dict[str, Any]:
        return {"event": "workflow", "workflow_run_id": str(self.run_id), "name": self.event, "data": self.data}


class WorkflowFailed(DomainError):
    code = "workflow_failed"


@dataclass(frozen=True, slots=True)
class Resume:
    """A turn that answers a paused answer's form: the run it goes on with, and what the person gave."""

    run_id: uuid.UUID
    values: dict[str, str]
    action: str | None


class WorkflowTurn:
    """Has what ChatService reads of an AgentRun: `events()`, and `usage`, `steps`, `citations` when it ends."""

    def __init__(self, runs: WorkflowRuns, turn: Prepared, who: Attribution) -> None:
        self.runs, self.turn, self.who = runs, turn, who
        self.started_id: uuid.UUID | None = None  # the stored run's, once it has started
        self.usage = TokenUsage(0, 0)
        self.steps: tuple[Any, ...] = ()
        self.citations: tuple[Any, ...] = ()
        self.form: dict[str, Any] | None = None  # the human-input form the run paused on, if it did

    async def events(self) -> AsyncIterator[AgentEvent | WorkflowStep]:
        turn, conv = self.turn, self.turn.conversation
        if turn.resume is not None:
            owner = f"{conv.app_id}:{conv.end_user}" if conv.app_id is not None else f"user:{conv.user_id}"
            prepared = await self.runs.resume_turn(
                turn.resume.run_id, conversation_id=conv.id, message_id=turn.answer_id, values=turn.resume.values,
                action=turn.resume.action, stop=turn.task.stop, owner=owner, history=turn.history,
            )  # fmt: skip
        else:
            prepared = await self.runs.start_turn(
                turn.snapshot, conversation_id=conv.id, message_id=turn.answer_id, query=turn.question.content,
                inputs=dict(conv.inputs), history=turn.history, stop=turn.task.stop, user_id=conv.user_id,
                app_id=conv.app_id, end_user=conv.end_user,
                files=[{"id": f["id"], "name": f["name"]} for f in turn.question.files or []],
                variables=conv.variables,
            )  # fmt: skip
        self.started_id = prepared.run_id
        chatflow = turn.snapshot.config.mode == "chatflow"
        text: list[str] = []
        finished: dict[str, Any] = {}
        async for event in self.runs.stream(prepared, self.who):
            yield WorkflowStep(prepared.run_id, event.event, event.data)
            if event.event == "text_chunk" and chatflow:
                piece = str(event.data.get("text") or "")
                text.append(piece)
                yield TextDelta(piece)
            elif event.event == "node_finished":
                tokens = int((event.data.get("execution_metadata") or {}).get("total_tokens") or 0)
                self.usage = TokenUsage(0, self.usage.completion_tokens + tokens)
            elif event.event == "human_input_required":
                self.form = dict(event.data)
            elif event.event == "workflow_finished":
                finished = event.data
            elif event.event == "error":
                raise WorkflowFailed(str(event.data.get("message") or "The workflow failed."),
                                     code=str(event.data.get("code") or "workflow_failed"))  # fmt: skip
        if finished.get("total_tokens") is not None:
            self.usage = TokenUsage(0, int(finished["total_tokens"]))
        status = finished.get("status")
        if status in ("failed", "stopped") or not finished:
            if status == "stopped" or not finished:
                return  # stopped, or paused for input (then the chat stores the answer as paused, with the form)
            raise WorkflowFailed(str(finished.get("error") or "The workflow failed."))
        if not chatflow:
            answer = answer_of(finished.get("outputs") or {})
            text.append(answer)
            yield TextDelta(answer)
        yield RunFinished("".join(text), "", "stop", self.usage)


def answer_of(outputs: dict[str, Any]) -> str:
    """A workflow's outputs as a chat answer: its one text output as it is, else the outputs as JSON."""
    if len(outputs) == 1 and isinstance(value := next(iter(outputs.values())), str):
        return value
    return json.dumps(outputs, ensure_ascii=False)
