"""An app's logs, annotations and analytics in the console: its end users' conversations (filtered, paged,
exported as CSV), one conversation in full, the owner's annotations and their reply setting, use per day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from hezi.api.deps import CallerDep, ServicesDep, SessionDep
from hezi.apps.analytics import AppAnalytics
from hezi.apps.annotations import AnnotationService
from hezi.apps.log_schemas import (
    AnalyticsPublic,
    AnnotationCreate,
    AnnotationPublic,
    AnnotationSettingPublic,
    AnnotationSettingUpdate,
    AnnotationsPublic,
    AnnotationUpdate,
    LogConversationDetail,
    LogConversations,
    LogFilter,
    RatingFilter,
)
from hezi.apps.logs import AppLogs

router = APIRouter(prefix="/workspaces/{workspace_id}/apps/{app_id}", tags=["apps"])

Tz = Annotated[str, Query(min_length=1, max_length=64, description="IANA time zone of the days, e.g. Asia/Shanghai")]
Page = Annotated[int, Query(ge=1, le=100_000)]
Limit = Annotated[int, Query(ge=1, le=200)]


async def get_logs(db: SessionDep) -> AppLogs:
    return AppLogs(db)


async def get_annotations(db: SessionDep, services: ServicesDep) -> AnnotationService:
    return AnnotationService(db, services.models)


async def log_filter(
    start: date | None = None,
    end: date | None = None,
    tz: Tz = "UTC",
    end_user: Annotated[str | None, Query(max_length=255)] = None,
    rating: RatingFilter | None = None,
    annotated: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> LogFilter:
    return LogFilter(start=start, end=end, tz=tz, end_user=end_user or None, rating=rating, annotated=annotated,
                     q=q or None)  # fmt: skip


LogsDep = Annotated[AppLogs, Depends(get_logs)]
FilterDep = Annotated[LogFilter, Depends(log_filter)]
AnnotationsDep = Annotated[AnnotationService, Depends(get_annotations)]


@router.get("/logs")
async def list_logs(
    workspace_id: uuid.UUID, app_id: uuid.UUID, where: FilterDep, caller: CallerDep, logs: LogsDep,
    page: Page = 1, limit: Limit = 20,
) -> LogConversations:  # fmt: skip
    """The app's conversations, most recently active first, with their end user, answers, tokens, mean latency,
    likes and dislikes; started within [start, end] (days in `tz`), of an end user whose name contains `end_user`,
    rated (`like`, `dislike`, `any`, `none`), answered from an annotation, or with `q` in a question or answer."""
    return await logs.conversations(caller, workspace_id, app_id, where, page, limit)


@router.get("/logs.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_logs(
    workspace_id: uuid.UUID, app_id: uuid.UUID, where: FilterDep, caller: CallerDep, logs: LogsDep
) -> Response:
    """The filtered conversations' answers, one row each with its question, as CSV (UTF-8 with a byte-order mark,
    so that Excel reads Chinese; cells a spreadsheet would run as formulas start with an apostrophe)."""
    body = await logs.csv(caller, workspace_id, app_id, where)
    name = f"app-{app_id}-logs.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/logs/{conversation_id}")
async def get_log(
    workspace_id: uuid.UUID, app_id: uuid.UUID, conversation_id: uuid.UUID, caller: CallerDep, logs: LogsDep
) -> LogConversationDetail:
    """Every question and answer: tokens, latency, tool steps, retrieved passages, feedback, annotation."""
    return await logs.conversation(caller, workspace_id, app_id, conversation_id)


@router.get("/analytics")
async def analytics(
    workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, db: SessionDep,
    start: date | None = None, end: date | None = None, tz: Tz = "UTC",
) -> AnalyticsPublic:  # fmt: skip
    """Per day (default: the last 7 up to today in `tz`): conversations, answers, end users, tokens, mean latency,
    likes, dislikes, satisfaction, answers from annotations; and the range's totals."""
    return await AppAnalytics(db).daily(caller, workspace_id, app_id, start, end, tz)


@router.get("/annotations")
async def list_annotations(
    workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, annotations: AnnotationsDep,
    q: Annotated[str | None, Query(max_length=200)] = None, page: Page = 1, limit: Limit = 20,
) -> AnnotationsPublic:  # fmt: skip
    return await annotations.list(caller, workspace_id, app_id, q, page, limit)


@router.post("/annotations", status_code=status.HTTP_201_CREATED)
async def create_annotation(
    workspace_id: uuid.UUID, app_id: uuid.UUID, body: AnnotationCreate, caller: CallerDep, annotations: AnnotationsDep
) -> AnnotationPublic:
    """A question and its ideal answer; with `message_id`, a logged answer and its question."""
    return await annotations.create(caller, workspace_id, app_id, body)


@router.patch("/annotations/{annotation_id}")
async def update_annotation(
    workspace_id: uuid.UUID, app_id: uuid.UUID, annotation_id: uuid.UUID, body: AnnotationUpdate,
    caller: CallerDep, annotations: AnnotationsDep,
) -> AnnotationPublic:  # fmt: skip
    return await annotations.update(caller, workspace_id, app_id, annotation_id, body)


@router.delete("/annotations/{annotation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_annotation(
    workspace_id: uuid.UUID, app_id: uuid.UUID, annotation_id: uuid.UUID, caller: CallerDep,
    annotations: AnnotationsDep,
) -> Response:  # fmt: skip
    await annotations.delete(caller, workspace_id, app_id, annotation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/annotation-reply")
async def get_annotation_reply(
    workspace_id: uuid.UUID, app_id: uuid.UUID, caller: CallerDep, annotations: AnnotationsDep
) -> AnnotationSettingPublic:
    return await annotations.setting(caller, workspace_id, app_id)


@router.patch("/annotation-reply")
async def update_annotation_reply(
    workspace_id: uuid.UUID, app_id: uuid.UUID, body: AnnotationSettingUpdate, caller: CallerDep,
    annotations: AnnotationsDep,
) -> AnnotationSettingPublic:  # fmt: skip
    """On or off; the similarity (cosine, 0.5-1) from which an annotation answers; the embedding model."""
    return await annotations.update_setting(caller, workspace_id, app_id, body)
