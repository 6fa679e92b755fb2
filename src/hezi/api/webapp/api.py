"""The web app's own JSON API, under /app/{token}/api: what its page and the widget's iframe call. The visitor is
the end user (a cookie, or the header the iframe sends); answers stream as hezi's chat events (docs/agents-api.md);
errors are in hezi's own shape. Docs: docs/apps.md, "Web app and widget"."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hezi.api.deps import ServicesDep, SessionDep, SettingsDep, client_ip
from hezi.api.webapp.deps import (
    DoorDep,
    OpenedDep,
    VisitDep,
    WebAppRoute,
    check_origin,
    embedded,
    member,
    set_visitor_cookie,
    visitor_token,
)
from hezi.apps import admission, gate
from hezi.apps.errors import AppPasswordRequired, AppSignInRequired, NotAppMember
from hezi.conversations.app_conversations import AppConversations
from hezi.conversations.errors import TaskNotFound
from hezi.conversations.schemas import (
    ConversationDetail,
    ConversationPublic,
    HumanInputReply,
    MessagePublic,
    Question,
)
from hezi.conversations.service import conversation_public, detail, message_public
from hezi.serving.usage import Attribution

router = APIRouter(prefix="/app/{token}/api", tags=["web-app"], route_class=WebAppRoute)


class WebChat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Question
    inputs: dict[str, Any] = Field(default_factory=dict)
    conversation_id: uuid.UUID | None = None
    human_input: HumanInputReply | None = None  # answers the form the conversation's paused answer shows


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RenameBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["like", "dislike"] | None
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ConversationPage(BaseModel):
    data: list[ConversationPublic]
    has_more: bool


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


@router.get("/app")
async def the_app(
    request: Request, token: str, door: DoorDep, db: SessionDep, settings: SettingsDep, opened: OpenedDep
) -> JSONResponse:
    """The app's face (name, icon, access) and, once in, its parameters: `needs` says what is missing first
    (`password`, `sign_in`, `membership`). A public app's new visitor gets a visitor cookie here."""
    app, _ = opened
    body: dict[str, Any] = await door.face(app)
    needs: str | None = None
    try:
        entry = await door.enter(app, visitor_token(request), await member(request, app, db, settings), issue=True)
    except AppPasswordRequired:
        needs = "password"
    except AppSignInRequired:
        needs = "sign_in"
    except NotAppMember:
        needs = "membership"
    body["needs"] = needs
    if needs is None:
        body.update(await door.parameters(app))
        body["signed_in"] = entry.user_id is not None
        if embedded(request):  # the iframe keeps it where a cross-site cookie would not be kept
            body["visitor_token"] = entry.token or visitor_token(request)
    response = JSONResponse(body, headers={"Cache-Control": "no-store"})
    if needs is None and entry.token:
        set_visitor_cookie(response, request, app, entry.token, settings)
    return response


@router.post("/password")
async def sign_in(
    request: Request, body: PasswordBody, door: DoorDep, settings: SettingsDep, opened: OpenedDep
) -> JSONResponse:
    """The app's password: a visitor cookie for this app (throttled: `429 too_many_attempts` after repeated
    failures; a wrong one is `401 wrong_app_password`)."""
    app, _ = opened
    entry = await door.sign_in(app, body.password, client_ip(request), visitor_token(request))
    assert entry.token is not None
    answer: dict[str, Any] = {"result": "success"}
    if embedded(request):
        answer["visitor_token"] = entry.token
    response = JSONResponse(answer)
    set_visitor_cookie(response, request, app, entry.token, settings)
    return response


@router.get("/widget")
async def widget(request: Request, token: str, door: DoorDep) -> dict[str, Any]:
    """What widget.js asks before it draws the bubble: the app's name and icon, if this page may embed it."""
    app = await door.find(token)
    check_origin(request, app)
    return await door.face(await door.open(token, "widget"))


@router.post("/chat", response_class=StreamingResponse)
async def chat(body: WebChat, visit: VisitDep, db: SessionDep, services: ServicesDep) -> Response:
    """Ask the app; the answer streams as events (start, step_start, step_end, text, citations, end | error)."""
    app, who = visit.app, visit.entry.who(visit.app)
    await db.close()  # the turn opens its own short sessions: no connection is held while the model answers
    await gate.admit(services.limiter, app)
    turn = await services.chat.ask_app(who, body.query, body.inputs, body.conversation_id, human_input=body.human_input)
    attribution = Attribution(
        workspace_id=app.workspace_id, user_id=who.creator, app_id=app.id, conversation_id=turn.conversation.id,
        token_limited=gate.token_limited(app),
    )  # fmt: skip

    # Answered or refused (429, nothing stored) before the response starts: see apps/admission.
    events = await admission.started(
        services.sessionmaker, turn, services.chat.run(turn, attribution), new_conversation=body.conversation_id is None
    )

    async def stream() -> AsyncIterator[bytes]:
        async for payload in events:
            yield _sse(payload)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # CORS headers: WebAppRoute adds them
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.post("/chat/{task_id}/stop", status_code=status.HTTP_204_NO_CONTENT)
async def stop(task_id: uuid.UUID, visit: VisitDep, services: ServicesDep) -> Response:
    """Stop this visitor's answer being generated (what was said so far is kept, marked stopped)."""
    if not services.chat.stop_app(visit.entry.who(visit.app), task_id):
        raise TaskNotFound("No answer with that task id is being generated.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _mine(db: SessionDep, visit: VisitDep) -> AppConversations:
    return AppConversations(db, visit.entry.who(visit.app))


@router.get("/conversations")
async def list_conversations(
    visit: VisitDep, db: SessionDep, last_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ConversationPage:  # fmt: skip
    """The visitor's conversations with this app, most recently active first; `last_id` pages on."""
    rows, more = await _mine(db, visit).page(last_id, limit)
    return ConversationPage(data=[conversation_public(c) for c in rows], has_more=more)


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: uuid.UUID, visit: VisitDep, db: SessionDep) -> ConversationDetail:
    return await detail(db, await _mine(db, visit).get(conversation_id))


@router.patch("/conversations/{conversation_id}")
async def rename_conversation(
    conversation_id: uuid.UUID, body: RenameBody, visit: VisitDep, db: SessionDep
) -> ConversationPublic:
    return conversation_public(await _mine(db, visit).rename(conversation_id, body.title))


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(conversation_id: uuid.UUID, visit: VisitDep, db: SessionDep) -> Response:
    await _mine(db, visit).delete(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/messages/{message_id}/feedback")
async def feedback(message_id: uuid.UUID, body: FeedbackBody, visit: VisitDep, db: SessionDep) -> MessagePublic:
    """like, dislike (with an optional comment), or null to take a rating back."""
    convs = _mine(db, visit)
    await convs.rate(message_id, body.rating, body.comment)
    return message_public(await convs.answer(message_id))


@router.options("/{path:path}", include_in_schema=False)
async def preflight(request: Request, token: str, door: DoorDep) -> Response:
    """CORS preflight: allowed origins may call with credentials and the visitor header; others get no CORS."""
    app = await door.find(token)
    if not check_origin(request, app):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return Response(
        status_code=status.HTTP_204_NO_CONTENT,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE",
            "Access-Control-Allow-Headers": "Content-Type, X-Hezi-Visitor, X-Hezi-Embed, X-Requested-With",
            "Access-Control-Max-Age": "600",
        },
    )
