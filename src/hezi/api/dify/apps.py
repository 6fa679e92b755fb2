"""Dify's service API for chat apps, under /v1: what a Dify client calls with an app key (`Authorization: Bearer
app-…` in Dify; an hezi app key here). Each app key reaches its own app only; end users are told apart by the
`user` string the client sends. Errors are in Dify's shape ({"code", "message", "status"})."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hezi.accounts.principal import Caller
from hezi.agents.service import AgentService
from hezi.api.deps import ServicesDep, SessionDep, requires
from hezi.api.dify import app_wire
from hezi.api.dify.app_wire import DifyTurn, sse
from hezi.api.dify.auth import bearer_header
from hezi.api.dify.errors import DIFY
from hezi.apps import admission, gate
from hezi.conversations.app_conversations import AppConversations, conversation_variables, set_variable
from hezi.conversations.errors import ConversationNotFound
from hezi.db.tables import Agent, App, AppAnnotationSetting
from hezi.errors import InvalidInput, NotFound
from hezi.knowledge.parsing.registry import supported_extensions
from hezi.serving.usage import Attribution

router = APIRouter(prefix="/v1", tags=["dify-apps"], route_class=DIFY.route_class)

User = Annotated[str, StringConstraints(min_length=1, max_length=255)]
MODES = {"agent": "chat", "chatflow": "advanced-chat", "workflow": "workflow"}  # Dify's app modes


class NotChatApp(InvalidInput):
    code = "not_chat_app"


async def app_caller(
    _header: Annotated[None, Depends(bearer_header)],
    caller: Annotated[Caller, Depends(requires("app", sessions=False))],
) -> Caller:
    """An app key: 401 without a valid one, 403 for another kind of key, 429 past its limits."""
    return caller


AppCallerDep = Annotated[Caller, Depends(app_caller)]


MAX_FILES = 10  # per question


class FileRef(BaseModel):
    """A file for the question, as Dify's clients send it: one uploaded through /files/upload."""

    model_config = ConfigDict(extra="ignore")

    type: str = "document"
    transfer_method: Literal["local_file", "remote_url"] = "local_file"
    upload_file_id: str | None = None
    url: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Dify's clients send fields hezi does not use (trace ids)

    query: Annotated[str, StringConstraints(min_length=1, max_length=32_000)]
    inputs: dict[str, Any] = Field(default_factory=dict)
    response_mode: Literal["blocking", "streaming"] = "blocking"
    user: User
    conversation_id: str | None = None
    auto_generate_name: bool = True
    files: Annotated[list[FileRef], Field(max_length=MAX_FILES)] = Field(default_factory=list)


def _file_ids(files: list[FileRef]) -> list[uuid.UUID]:
    """The uploaded files' ids; a file by URL is refused (the box fetches nothing on an end user's say-so)."""
    ids = []
    for f in files:
        if f.transfer_method != "local_file" or not f.upload_file_id:
            raise InvalidInput(
                "Upload the file with POST /v1/files/upload and send its id (transfer_method local_file); files by "
                "URL are not fetched.", code="invalid_param",
            )  # fmt: skip
        try:
            ids.append(uuid.UUID(f.upload_file_id))
        except ValueError:
            raise NotFound(f"No such file: {f.upload_file_id}", code="file_not_found") from None
    return ids


class StopRequest(BaseModel):
    user: User


def _conversation_id(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ConversationNotFound("Conversation Not Exists.", code="conversation_not_exists") from None


async def _app_and_agent(db: SessionDep, caller: Caller) -> tuple[App, Agent]:
    app = await gate.open_app(db, caller.principal.app_id, "api")
    agent = await db.get(Agent, app.agent_id)
    assert agent is not None  # the app goes with its agent
    return app, agent


@router.post("/chat-messages", response_model=None)
async def chat_messages(
    body: ChatMessage, caller: AppCallerDep, db: SessionDep, services: ServicesDep
) -> StreamingResponse | JSONResponse:
    """Ask the app. `streaming`: server-sent events (message | agent_message, agent_thought, message_end, error,
    ping); `blocking`: the whole answer as one object."""
    conversation = _conversation_id(body.conversation_id)
    return await _answer(
        db, caller, services, body.query, body.inputs, body.user, body.response_mode, conversation,
        files=_file_ids(body.files),
    )  # fmt: skip


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Dify's newer clients send the text as inputs.query, older ones as query.
    query: Annotated[str, StringConstraints(max_length=32_000)] = ""
    inputs: dict[str, Any] = Field(default_factory=dict)
    response_mode: Literal["blocking", "streaming"] = "blocking"
    user: User


@router.post("/completion-messages", response_model=None)
async def completion_messages(
    body: CompletionMessage, caller: AppCallerDep, db: SessionDep, services: ServicesDep
) -> StreamingResponse | JSONResponse:
    """One answer with no conversation to go on with (Dify's text generation): the same turn as chat-messages, in a
    conversation of its own (listed like the others: the owner's logs see it), `mode` "completion"."""
    query = body.query or str(body.inputs.get("query") or "")
    if not query.strip():
        raise InvalidInput("query is required (in inputs.query, or as query).", code="invalid_param")
    return await _answer(db, caller, services, query, body.inputs, body.user, body.response_mode, None, "completion")


async def _answer(
    db: SessionDep, caller: Caller, services: ServicesDep, query: str, inputs: dict[str, Any], user: str,
    response_mode: str, conversation: uuid.UUID | None, mode: Literal["chat", "completion"] = "chat",
    files: list[uuid.UUID] | None = None,
) -> StreamingResponse | JSONResponse:  # fmt: skip
    app, agent = await _app_and_agent(db, caller)
    served = (await AgentService(db).config_for(agent, app.agent_version)).config.mode
    if served == "workflow":  # Dify's workflow apps answer /workflows/run only
        raise NotChatApp("Please check if your app mode matches the right API route.")
    who = gate.end_user(app, user, caller.principal.user_id)
    await db.close()  # nothing more to read: the turn opens its own short sessions
    await gate.admit(services.limiter, app)
    turn = await services.chat.ask_app(who, query, inputs, conversation, files or [])
    attribution = Attribution(
        workspace_id=app.workspace_id, user_id=caller.principal.user_id, api_key_id=caller.principal.api_key_id,
        app_id=app.id, conversation_id=turn.conversation.id,
        token_limited=gate.token_limited(app, caller.principal.limits),
    )  # fmt: skip
    config = turn.snapshot.config
    chatflow = config.mode == "chatflow" and mode == "chat"
    dify = DifyTurn(agent=config.mode == "agent" and bool(config.tools), mode="advanced-chat" if chatflow else mode)
    # Answered or refused (429, nothing stored) before the response starts: see apps/admission.
    events = await admission.started(
        services.sessionmaker, turn, services.chat.run(turn, attribution), new_conversation=conversation is None
    )
    if response_mode == "blocking":
        async for event in events:
            dify.feed(event)
        if dify.error is not None:
            raise InvalidInput(dify.error["message"] or "The answer failed.", code="completion_request_error")
        return JSONResponse(dify.blocking())

    async def stream() -> AsyncIterator[bytes]:
        async for event in app_wire.with_pings(events):
            if event is None:
                yield app_wire.PING
                continue
            for payload in dify.feed(event):
                yield sse(payload)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.post("/completion-messages/{task_id}/stop")
async def stop_completion_message(
    task_id: str, body: StopRequest, caller: AppCallerDep, db: SessionDep, services: ServicesDep
) -> dict[str, str]:
    return await stop_chat_message(task_id, body, caller, db, services)


@router.post("/chat-messages/{task_id}/stop")
async def stop_chat_message(
    task_id: str, body: StopRequest, caller: AppCallerDep, db: SessionDep, services: ServicesDep
) -> dict[str, str]:
    """Stop an answer being generated for this end user; success whether or not it was still running (as Dify)."""
    app, _ = await _app_and_agent(db, caller)
    with contextlib.suppress(ValueError):
        services.chat.stop_app(gate.end_user(app, body.user, None), uuid.UUID(task_id))
    return {"result": "success"}


@router.get("/parameters")
async def parameters(
    caller: AppCallerDep, db: SessionDep, services: ServicesDep, user: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """What a client needs to draw the app: opening statement, suggested questions, the input form."""
    app, agent = await _app_and_agent(db, caller)
    config = (await AgentService(db).config_for(agent, app.agent_version)).config
    annotations = await db.get(AppAnnotationSetting, app.id)
    off = {"enabled": False}
    files = {"enabled": True, "allowed_file_types": ["document"], "allowed_file_extensions": supported_extensions(),
             "allowed_file_upload_methods": ["local_file"], "number_limits": MAX_FILES}  # fmt: skip
    return {
        "opening_statement": config.opening_statement,
        "suggested_questions": list(config.suggested_questions),
        "suggested_questions_after_answer": {"enabled": config.suggested_follow_ups},
        "speech_to_text": off, "text_to_speech": off, "more_like_this": off,
        "annotation_reply": {"enabled": bool(annotations and annotations.enabled)},
        "sensitive_word_avoidance": off,
        "retriever_resource": {"enabled": config.citations},
        "user_input_form": config.form_json(),
        "file_upload": {**files, "image": {**off, "number_limits": 0, "transfer_methods": []}},
        "system_parameters": {"file_size_limit": services.settings.chat_file_max_bytes // (1024 * 1024),
                              "image_file_size_limit": 0, "audio_file_size_limit": 0, "video_file_size_limit": 0,
                              "workflow_file_upload_limit": MAX_FILES},
    }  # fmt: skip


@router.get("/info")
async def info(caller: AppCallerDep, db: SessionDep) -> dict[str, Any]:
    app, agent = await _app_and_agent(db, caller)
    snapshot = await AgentService(db).config_for(agent, app.agent_version)
    mode = MODES[snapshot.config.mode]
    return {"name": app.name, "description": snapshot.description, "tags": [], "mode": mode,
            "author_name": ""}  # fmt: skip


@router.get("/meta")
async def meta(caller: AppCallerDep, db: SessionDep) -> dict[str, Any]:
    await _app_and_agent(db, caller)
    return {"tool_icons": {}}


# -- an end user's conversations ---------------------------------------------------------------------------------

Limit = Annotated[int, Query(ge=1, le=100)]
UserQuery = Annotated[str, Query(min_length=1, max_length=255)]


class UserBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: User


class DifyRenameBody(UserBody):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    auto_generate: bool = False


class DifyFeedbackBody(UserBody):
    rating: Literal["like", "dislike"] | None = None
    content: Annotated[str, StringConstraints(max_length=2000)] | None = None


async def _history(db: SessionDep, caller: Caller, user: str) -> AppConversations:
    app, _ = await _app_and_agent(db, caller)
    return AppConversations(db, gate.end_user(app, user, None))


def _uuid(value: str, code: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} Not Exists.", code=code) from None


@router.get("/conversations")
async def list_conversations(
    caller: AppCallerDep, db: SessionDep, user: Annotated[str, Query(min_length=1, max_length=255)],
    last_id: str | None = None, limit: Limit = 20,
) -> dict[str, Any]:  # fmt: skip
    """The end user's conversations, most recently active first; `last_id` pages on."""
    convs = await _history(db, caller, user)
    last = _uuid(last_id, "conversation_not_exists", "Conversation") if last_id else None
    rows, more = await convs.page(last, limit)
    return {"limit": limit, "has_more": more, "data": [app_wire.conversation(c) for c in rows]}


@router.delete("/conversations/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: str, body: UserBody, caller: AppCallerDep, db: SessionDep) -> Response:
    convs = await _history(db, caller, body.user)
    await convs.delete(_uuid(conversation_id, "conversation_not_exists", "Conversation"))
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/name")
async def rename_conversation(
    conversation_id: str, body: DifyRenameBody, caller: AppCallerDep, db: SessionDep
) -> dict[str, Any]:
    """A name, or with `auto_generate` one made from the first question."""
    if not body.auto_generate and not body.name:
        raise InvalidInput("name is required unless auto_generate is true.", code="invalid_param")
    convs = await _history(db, caller, body.user)
    conv_id = _uuid(conversation_id, "conversation_not_exists", "Conversation")
    conv = await convs.rename(conv_id, None if body.auto_generate else body.name)
    return app_wire.conversation(conv)


@router.get("/messages")
async def list_messages(
    caller: AppCallerDep, db: SessionDep, user: Annotated[str, Query(min_length=1, max_length=255)],
    conversation_id: str, first_id: str | None = None, limit: Limit = 20,
) -> dict[str, Any]:  # fmt: skip
    """A conversation's questions and answers, oldest first; `first_id` pages back to older ones."""
    convs = await _history(db, caller, user)
    conv_id = _uuid(conversation_id, "conversation_not_exists", "Conversation")
    first = _uuid(first_id, "first_message_not_exists", "First Message") if first_id else None
    pairs, more = await convs.exchanges(conv_id, first, limit)
    return {"limit": limit, "has_more": more, "data": [app_wire.exchange(p.question, p.answer) for p in pairs]}


@router.post("/messages/{message_id}/feedbacks")
async def message_feedback(
    message_id: str, body: DifyFeedbackBody, caller: AppCallerDep, db: SessionDep
) -> dict[str, str]:
    """like, dislike, or null to take a rating back."""
    convs = await _history(db, caller, body.user)
    await convs.rate(_uuid(message_id, "message_not_exists", "Message"), body.rating, body.content)
    return {"result": "success"}


@router.get("/messages/{message_id}/suggested")
async def suggested_questions(
    message_id: str, caller: AppCallerDep, db: SessionDep, user: Annotated[str, Query(min_length=1, max_length=255)]
) -> dict[str, Any]:
    """The follow-up questions offered after this answer (empty unless the agent suggests them)."""
    convs = await _history(db, caller, user)
    answer = await convs.answer(_uuid(message_id, "message_not_exists", "Message"))
    return {"result": "success", "data": list(answer.suggested or [])}


# -- a conversation's variables: the agent's input form, as this conversation filled it ----------------------------


class VariableBody(UserBody):
    value: Any


@router.get("/conversations/{conversation_id}/variables")
async def list_variables(
    conversation_id: str, caller: AppCallerDep, db: SessionDep, user: UserQuery, last_id: str | None = None,
    limit: Limit = 20, variable_name: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The conversation's variables in the form's order; `variable_name` picks one, `last_id` pages on."""
    convs = await _history(db, caller, user)
    conv = await convs.get(_uuid(conversation_id, "conversation_not_exists", "Conversation"))
    _, variables = await conversation_variables(db, conv)
    if variable_name:
        variables = [v for v in variables if v.name == variable_name]
    if last_id:
        ids = [str(v.id) for v in variables]
        if last_id not in ids:
            raise NotFound("Conversation Variable Not Exists.", code="conversation_variable_not_exists")
        variables = variables[ids.index(last_id) + 1 :]
    return {"limit": limit, "has_more": len(variables) > limit,
            "data": [app_wire.variable(v) for v in variables[:limit]]}  # fmt: skip


@router.put("/conversations/{conversation_id}/variables/{variable_id}")
async def update_variable(
    conversation_id: str, variable_id: str, body: VariableBody, caller: AppCallerDep, db: SessionDep
) -> dict[str, Any]:
    """A new value, checked against the form (type, options, length); the next turns' prompt reads it."""
    convs = await _history(db, caller, body.user)
    conv = await convs.get(_uuid(conversation_id, "conversation_not_exists", "Conversation"))
    var = _uuid(variable_id, "conversation_variable_not_exists", "Conversation Variable")
    return app_wire.variable(await set_variable(db, conv, var, body.value))


# -- files ---------------------------------------------------------------------------------------------------------


@router.post(
    "/files/upload",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}}},
)
async def upload_file(request: Request, caller: AppCallerDep, db: SessionDep, services: ServicesDep) -> dict[str, Any]:
    """A file for the end user's questions (multipart `file` and `user`): parsed to text as the console's chat
    files are, then named in chat-messages' `files` by its id. The end user's alone."""
    limit = services.settings.chat_file_max_bytes
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("Send the file as multipart/form-data with the fields 'file' and 'user'.",
                           code="no_file_uploaded")  # fmt: skip
    form = await request.form(max_files=2)
    uploads = form.getlist("file")
    if not uploads or isinstance(uploads[0], str):
        raise InvalidInput("No file uploaded: send it as the multipart field 'file'.", code="no_file_uploaded")
    if len(uploads) > 1:
        raise InvalidInput("Upload one file at a time.", code="too_many_files")
    user = form.get("user")
    if not isinstance(user, str) or not 1 <= len(user) <= 255:
        raise InvalidInput("user is required: the end user the file is for.", code="invalid_param")
    upload = uploads[0]
    assert not isinstance(upload, str)
    name, data = upload.filename or "file", await upload.read(limit + 1)
    convs = await _history(db, caller, user)
    row = await convs.upload(name, data, limit)
    return app_wire.uploaded(row, user)
