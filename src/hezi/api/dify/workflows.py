"""Dify's service API for workflow apps, under /v1 (decision 0023): run the workflow (blocking or streaming), a
run's result, stop a streaming run, and the app's run logs. An app key reaches its own app's runs only; the app's
limits and switches hold as on chat-messages, and a run the model refuses for load before any output is a 429 that
stores nothing (see apps/admission)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from hezi.accounts.principal import Caller
from hezi.api.deps import ServicesDep, SessionDep
from hezi.api.dify import app_wire
from hezi.api.dify.app_wire import sse
from hezi.api.dify.apps import MAX_FILES, AppCallerDep, FileRef, StopRequest, User, _file_ids
from hezi.api.dify.errors import DIFY
from hezi.apps import admission, gate
from hezi.conversations.workflow_history import LogFilter, WorkflowHistory
from hezi.db.tables import App, WorkflowRun
from hezi.errors import InvalidInput, NotFound
from hezi.serving.usage import Attribution
from hezi.workflows.events import WorkflowEvent

router = APIRouter(prefix="/v1", tags=["dify-apps"], route_class=DIFY.route_class)


class WorkflowRunBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Dify's clients send fields hezi does not use (trace ids)

    inputs: dict[str, Any] = Field(default_factory=dict)
    response_mode: Literal["blocking", "streaming"] = "blocking"
    user: User
    files: Annotated[list[FileRef], Field(max_length=MAX_FILES)] = Field(default_factory=list)


@router.post("/workflows/run", response_model=None)
async def run_workflow(
    body: WorkflowRunBody, caller: AppCallerDep, db: SessionDep, services: ServicesDep
) -> StreamingResponse | JSONResponse:
    """Run the app's workflow on `inputs`. `streaming`: server-sent events (workflow_started, node_started,
    node_finished, text_chunk, iteration_* and loop_*, workflow_finished, error, ping); `blocking`: the finished run
    as {task_id, workflow_run_id, data}. 400 `not_workflow_app` for a chat app."""
    files = [{"type": "document", "transfer_method": "local_file", "upload_file_id": str(i)} for i in
             _file_ids(body.files)]  # fmt: skip
    app = await gate.open_app(db, caller.principal.app_id, "api")
    await db.close()  # nothing more to read: the run opens its own short sessions
    await gate.admit(services.limiter, app)
    runs = services.chat.workflows
    run = await runs.start_app(app.workspace_id, app.id, app.agent_id, app.agent_version, body.user, body.inputs, files)
    who = Attribution(
        workspace_id=app.workspace_id, user_id=caller.principal.user_id, api_key_id=caller.principal.api_key_id,
        app_id=app.id, token_limited=gate.token_limited(app, caller.principal.limits),
    )  # fmt: skip
    head = {"task_id": str(run.task.id), "workflow_run_id": str(run.run_id)}
    types = (n.type for n in run.graph.nodes)
    events = await admission.workflow_started(services.sessionmaker, run.run_id, types, runs.stream(run, who))
    if body.response_mode == "blocking":
        finished: dict[str, Any] = {}
        error: dict[str, Any] = {}
        async for event in events:  # a failed run is a result too (status "failed"), as in Dify
            if event.event in ("workflow_finished", "workflow_paused"):
                finished = event.data
            elif event.event == "error":
                error = event.data
        if not finished:
            raise InvalidInput(str(error.get("message") or "The run failed."), code="completion_request_error")
        return JSONResponse({**head, "data": finished})

    async def stream() -> AsyncIterator[bytes]:
        async for event in app_wire.with_pings(_dicts(events)):
            yield app_wire.PING if event is None else sse({"event": event["event"], **head, "data": event["data"]})

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


async def _dicts(events: AsyncIterator[WorkflowEvent]) -> AsyncIterator[dict[str, Any]]:
    async for event in events:
        yield {"event": event.event, "data": event.data}


@router.get("/workflows/run/{workflow_run_id}")
async def get_workflow_run(workflow_run_id: str, caller: AppCallerDep, db: SessionDep) -> dict[str, Any]:
    """A run of this app: its status, inputs, outputs, error and totals."""
    app = await _app(db, caller)
    run = await WorkflowHistory(db).app_run(app.id, _run_id(workflow_run_id))
    return run_detail(run)


@router.post("/workflows/tasks/{task_id}/stop")
async def stop_workflow_task(
    task_id: str, body: StopRequest, caller: AppCallerDep, db: SessionDep, services: ServicesDep
) -> dict[str, str]:
    """Stop a streaming run of this end user's; success whether or not it was still running (as Dify)."""
    app = await _app(db, caller)
    with contextlib.suppress(ValueError):
        services.chat.workflows.stop_app(app.id, body.user, uuid.UUID(task_id))
    return {"result": "success"}


@router.get("/workflows/logs")
async def workflow_logs(
    caller: AppCallerDep,
    db: SessionDep,
    keyword: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["succeeded", "failed", "stopped", "running", "paused", "partial-succeeded"] | None = None,
    created_at__before: datetime | None = None,
    created_at__after: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=99999)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The app's runs, newest first: `keyword` searches inputs, outputs and the end user; paged by `page`."""
    app = await _app(db, caller)
    f = LogFilter(keyword or None, status, created_at__before, created_at__after, page, limit)
    rows, total = await WorkflowHistory(db).app_logs(app.id, f)
    return {
        "page": page, "limit": limit, "total": total, "has_more": page * limit < total,
        "data": [log_entry(r) for r in rows],
    }  # fmt: skip


async def _app(db: SessionDep, caller: Caller) -> App:
    return await gate.open_app(db, caller.principal.app_id, "api")


def _run_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("Workflow run not found.") from None


def _ts(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def run_detail(r: WorkflowRun) -> dict[str, Any]:
    """A run as Dify's GET /workflows/run/{id} answers."""
    return {
        "id": str(r.id), "workflow_id": str(r.agent_id), "status": r.status, "inputs": r.inputs,
        "outputs": r.outputs or {}, "error": r.error, "total_steps": r.total_steps, "total_tokens": r.total_tokens,
        "created_at": _ts(r.created_at), "finished_at": _ts(r.finished_at), "elapsed_time": r.elapsed_time,
    }  # fmt: skip


def log_entry(r: WorkflowRun) -> dict[str, Any]:
    """A run as one of Dify's workflow app logs (created by the app's end user)."""
    created_from = "service-api" if r.triggered_from == "app-run" else r.triggered_from
    return {
        "id": str(r.id),
        "workflow_run": {
            "id": str(r.id), "version": str(r.agent_version) if r.agent_version is not None else "draft",
            "status": r.status, "triggered_from": r.triggered_from, "error": r.error,
            "elapsed_time": r.elapsed_time, "total_tokens": r.total_tokens, "total_steps": r.total_steps,
            "created_at": _ts(r.created_at), "finished_at": _ts(r.finished_at), "exceptions_count": 0,
        },
        "created_from": created_from,
        "created_by_role": "end_user" if r.end_user is not None else "account",
        "created_by_account": None,
        "created_by_end_user": (
            {"id": r.end_user, "type": "service_api", "is_anonymous": False, "session_id": r.end_user}
            if r.end_user is not None else None
        ),
        "created_at": _ts(r.created_at),
    }  # fmt: skip
