"""Chat with agents (streamed as server-sent events), and the caller's conversations: list, search, read, rename,
delete, feedback, switch branch, stop an answer, attach a file."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from hezi.accounts.principal import Caller
from hezi.api.deps import CallerDep, ServicesDep, SessionDep
from hezi.conversations.chat import ChatService, Prepared
from hezi.conversations.errors import TaskNotFound
from hezi.conversations.schemas import (
    ChatFilePublic,
    ChatRequest,
    ConversationDetail,
    ConversationPublic,
    ConversationsPublic,
    FeedbackRequest,
    HeadRequest,
    MessagePublic,
    RegenerateRequest,
    RenameRequest,
)
from hezi.conversations.service import ConversationService
from hezi.errors import InvalidInput
from hezi.serving.usage import Attribution

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["chat"])


async def get_conversations(db: SessionDep) -> ConversationService:
    return ConversationService(db)


async def get_chat(services: ServicesDep) -> ChatService:
    return services.chat


ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
ChatDep = Annotated[ChatService, Depends(get_chat)]


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def _stream(chat: ChatService, turn: Prepared, caller: Caller) -> StreamingResponse:
    who = Attribution(
        workspace_id=turn.conversation.workspace_id,
        user_id=caller.principal.user_id,
        api_key_id=caller.principal.api_key_id,
        conversation_id=turn.conversation.id,
    )

    async def body() -> AsyncIterator[bytes]:
        async for payload in chat.run(turn, who):
            yield _sse(payload)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.post("/agents/{agent_id}/chat", response_class=StreamingResponse)
async def chat(
    workspace_id: uuid.UUID, agent_id: uuid.UUID, body: ChatRequest, caller: CallerDep, chat: ChatDep
) -> StreamingResponse:
    """Ask the agent; the answer streams as events (start, step_start, step_end, text, citations, end | error)."""
    return _stream(chat, await chat.ask(caller, workspace_id, agent_id, body), caller)


@router.post("/conversations/{conversation_id}/messages/{message_id}/regenerate", response_class=StreamingResponse)
async def regenerate(
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    body: RegenerateRequest,
    caller: CallerDep,
    chat: ChatDep,
) -> StreamingResponse:
    """A new answer to the same question, kept beside the old one."""
    return _stream(chat, await chat.regenerate(caller, workspace_id, conversation_id, message_id), caller)


@router.post("/chat/{task_id}/stop", status_code=status.HTTP_204_NO_CONTENT)
async def stop(workspace_id: uuid.UUID, task_id: uuid.UUID, caller: CallerDep, chat: ChatDep) -> Response:
    if not chat.stop(caller, workspace_id, task_id):
        raise TaskNotFound("No answer with that task id is being generated.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/conversations")
async def list_conversations(
    workspace_id: uuid.UUID,
    caller: CallerDep,
    conversations: ConversationsDep,
    agent_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ConversationsPublic:
    return await conversations.list(caller, workspace_id, agent_id=agent_id, q=q, limit=limit, offset=offset)


@router.get("/conversations/{conversation_id}")
async def get_conversation(
    workspace_id: uuid.UUID, conversation_id: uuid.UUID, caller: CallerDep, conversations: ConversationsDep
) -> ConversationDetail:
    return await conversations.get(caller, workspace_id, conversation_id)


@router.patch("/conversations/{conversation_id}")
async def rename_conversation(
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    body: RenameRequest,
    caller: CallerDep,
    conversations: ConversationsDep,
) -> ConversationPublic:
    return await conversations.rename(caller, workspace_id, conversation_id, body.title)


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    workspace_id: uuid.UUID, conversation_id: uuid.UUID, caller: CallerDep, conversations: ConversationsDep
) -> None:
    await conversations.delete(caller, workspace_id, conversation_id)


@router.post("/conversations/{conversation_id}/messages/{message_id}/feedback")
async def feedback(
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    body: FeedbackRequest,
    caller: CallerDep,
    conversations: ConversationsDep,
) -> MessagePublic:
    return await conversations.feedback(caller, workspace_id, conversation_id, message_id, body)


@router.post("/conversations/{conversation_id}/head")
async def show_branch(
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    body: HeadRequest,
    caller: CallerDep,
    conversations: ConversationsDep,
) -> ConversationDetail:
    return await conversations.show(caller, workspace_id, conversation_id, body.message_id)


@router.post(
    "/chat-files",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}}},
)
async def attach_file(
    workspace_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    conversations: ConversationsDep,
    services: ServicesDep,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> ChatFilePublic:
    """A file for the next question: multipart `file`, or the raw bytes with `?filename=`."""
    limit = services.settings.chat_file_max_bytes
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("Send the file as the multipart field 'file'.", code="file_missing")
        name, data = upload.filename or "file", await upload.read(limit + 1)
    else:
        if not filename:
            raise InvalidInput("Name the file with ?filename=… (or send it as multipart 'file').", code="file_missing")
        name, data = filename, await request.body()
    return await conversations.attach(caller, workspace_id, name, data, limit)
