"""Workflow agents in the builder (decision 0023): run the draft with test inputs (streamed as Dify's workflow
events), the agent's runs and each run's node traces, stop a run, resume one paused for human input, and check a
graph without saving it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import StreamingResponse

from hezi.accounts.principal import Caller
from hezi.api.deps import CallerDep, ServicesDep, SessionDep
from hezi.conversations.errors import TaskNotFound
from hezi.conversations.workflow_history import WorkflowHistory
from hezi.conversations.workflow_runs import PreparedRun, WorkflowRuns
from hezi.conversations.workflow_schemas import (
    ProblemsPublic,
    WorkflowResumeRequest,
    WorkflowRunDetail,
    WorkflowRunRequest,
    WorkflowRunsPublic,
    WorkflowValidateRequest,
)
from hezi.conversations.workflow_support import check_draft_graph
from hezi.serving.usage import Attribution

router = APIRouter(prefix="/workspaces/{workspace_id}/agents/{agent_id}/workflow", tags=["workflows"])


async def get_runs(services: ServicesDep) -> WorkflowRuns:
    return services.chat.workflows


async def get_history(db: SessionDep) -> WorkflowHistory:
    return WorkflowHistory(db)


RunsDep = Annotated[WorkflowRuns, Depends(get_runs)]
HistoryDep = Annotated[WorkflowHistory, Depends(get_history)]


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def _stream(runs: WorkflowRuns, run: PreparedRun, caller: Caller) -> StreamingResponse:
    """The run's events as Dify streams them: {event, task_id, workflow_run_id, data}."""
    who = Attribution(
        workspace_id=run.row.workspace_id, user_id=caller.principal.user_id, api_key_id=caller.principal.api_key_id
    )
    head = {"task_id": str(run.task.id), "workflow_run_id": str(run.run_id)}

    async def body() -> AsyncIterator[bytes]:
        async for event in runs.stream(run, who):
            yield _sse({"event": event.event, **head, "data": event.data})

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.post("/run", response_class=StreamingResponse)
async def run_draft(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, body: WorkflowRunRequest, caller: CallerDep, runs: RunsDep
) -> StreamingResponse:
    """Run the draft with test inputs; 422 `workflow_invalid` (the problems by node) for a graph that cannot run.
    Events: workflow_started, node_started, node_finished, text_chunk, iteration_*, loop_*,
    human_input_required, workflow_paused, workflow_finished, error."""
    run = await runs.start_draft(caller, workspace_id, agent_id, body.inputs, body.query)
    return _stream(runs, run, caller)


@router.get("/runs")
async def list_runs(
    workspace_id: uuid.UUID,
    agent_id: uuid.UUID,
    caller: CallerDep,
    history: HistoryDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WorkflowRunsPublic:
    """The agent's runs (the builder's, the chat's, its apps'), newest first."""
    return await history.list_runs(caller, workspace_id, agent_id, limit=limit, offset=offset)


@router.get("/runs/{run_id}")
async def get_run(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, run_id: uuid.UUID, caller: CallerDep, history: HistoryDep
) -> WorkflowRunDetail:
    """One run with each node's inputs, outputs, status, error, tokens and time."""
    return await history.get_run(caller, workspace_id, agent_id, run_id)


@router.post("/runs/{run_id}/stop", status_code=status.HTTP_204_NO_CONTENT)
async def stop_run(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, run_id: uuid.UUID, caller: CallerDep, runs: RunsDep
) -> Response:
    """Stop a run of yours that is going on; 404 `task_not_found` when there is none."""
    if not runs.stop_run(caller, run_id):
        raise TaskNotFound("No run of yours with that id is going on.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/runs/{run_id}/resume", response_class=StreamingResponse)
async def resume_run(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, run_id: uuid.UUID, body: WorkflowResumeRequest,
    caller: CallerDep, runs: RunsDep,
) -> StreamingResponse:  # fmt: skip
    """Go on with a run paused for human input, with the values given (streamed like a run); 409
    `workflow_run_not_paused` when it is not waiting."""
    run = await runs.resume(caller, workspace_id, agent_id, run_id, body.values, body.action)
    return _stream(runs, run, caller)


@router.post("/validate")
async def validate_graph(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, body: WorkflowValidateRequest, caller: CallerDep, db: SessionDep
) -> ProblemsPublic:
    """A graph's problems by node, without saving it."""
    problems = await check_draft_graph(db, caller, workspace_id, agent_id, body.graph)
    return ProblemsPublic(problems=problems, count=len(problems))
