"""A published app as an MCP server: one tool, the app itself, over streamable HTTP at `/v1/apps/{slug}/mcp`,
called with one of the app's keys (`Authorization: Bearer hzk_…`).

Stateless (a fresh transport and server per request, JSON responses, no session kept), so any hezi process answers
any request and nothing lives between them. The tool takes the question, the agent's input form as `inputs` and an
optional `conversation_id` to go on with an earlier answer; it answers with the text, and the conversation's id in
the structured result. Only `tools/call` counts against the app's request limit: a client's `initialize` and
`tools/list` are bookkeeping, and a 429 with Retry-After comes back before the call starts.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http import StreamableHTTPServerTransport
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from hezi import __version__
from hezi.accounts.principal import Caller
from hezi.agents.service import AgentService
from hezi.agents.spec import AgentConfig, FormField
from hezi.api.deps import requires
from hezi.api.shapes import JSONRPC
from hezi.apps import gate
from hezi.db.tables import Agent, App
from hezi.errors import InvalidInput, NotFound
from hezi.services import Services
from hezi.serving.usage import Attribution

router = APIRouter(prefix="/v1/apps", tags=["mcp"], route_class=JSONRPC.route_class)

END_USER = "mcp"  # the end user of calls that name none
_FIELD_TYPES = {"number": "number"}  # every other kind of form field is a string


def input_schema(config: AgentConfig) -> dict[str, Any]:
    """The tool's arguments: the question, the agent's input form, and a conversation to go on with."""
    fields: dict[str, Any] = {}
    required_inputs = []
    for kind, spec in config.form_fields():
        fields[spec.variable] = _field_schema(kind, spec)
        if spec.required:
            required_inputs.append(spec.variable)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "The question or request for the app."},
            "conversation_id": {"type": "string", "description": "Go on with an earlier answer's conversation."},
            "user": {"type": "string", "description": "Who asks, as the app's end user (default: mcp)."},
        },
        "required": ["query"],
    }
    if fields:
        schema["properties"]["inputs"] = {"type": "object", "properties": fields, "required": required_inputs}
        if required_inputs:
            schema["required"].append("inputs")
    return schema


def _field_schema(kind: str, spec: FormField) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _FIELD_TYPES.get(kind, "string")}
    if spec.label:
        out["description"] = spec.label
    if spec.options:
        out["enum"] = list(spec.options)
    if spec.max_length:
        out["maxLength"] = spec.max_length
    return out


OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "conversation_id": {"type": "string"}},
    "required": ["answer", "conversation_id"],
}


def mcp_server(services: Services, caller: Caller, app: App, agent: Agent, config: AgentConfig) -> Server[Any, Any]:
    server: Server[Any, Any] = Server(f"hezi-{app.slug}", version=__version__)
    description = agent.description or f"Ask {app.name}, an assistant published on hezi."

    @server.list_tools()  # type: ignore[untyped-decorator,no-untyped-call]
    async def list_tools() -> list[types.Tool]:
        return [
            types.Tool(
                name=app.slug,
                title=app.name,
                description=description,
                inputSchema=input_schema(config),
                outputSchema=OUTPUT_SCHEMA,
            )
        ]

    @server.call_tool()  # type: ignore[untyped-decorator]
    async def call_tool(name: str, arguments: dict[str, Any]) -> tuple[list[types.TextContent], dict[str, Any]]:
        if name != app.slug:
            raise NotFound(f"This server has one tool, '{app.slug}'.")
        return await ask(services, caller, app, arguments)

    return server


async def ask(
    services: Services, caller: Caller, app: App, arguments: dict[str, Any]
) -> tuple[list[types.TextContent], dict[str, Any]]:
    """One turn of the app, to its end: the answer's text, and the conversation it is stored in."""
    conversation: uuid.UUID | None = None
    if arguments.get("conversation_id"):
        try:
            conversation = uuid.UUID(str(arguments["conversation_id"]))
        except ValueError:
            raise InvalidInput("conversation_id is not a conversation's id.") from None
    user = str(arguments.get("user") or END_USER)[:255]
    p = caller.principal
    turn = await services.chat.ask_app(
        gate.end_user(app, user, p.user_id), str(arguments["query"]), dict(arguments.get("inputs") or {}), conversation
    )
    who = Attribution(
        workspace_id=app.workspace_id, user_id=p.user_id, api_key_id=p.api_key_id, app_id=app.id,
        conversation_id=turn.conversation.id, token_limited=gate.token_limited(app, p.limits),
    )  # fmt: skip
    text, failure = [], None
    async for event in services.chat.run(turn, who):
        if event["event"] == "text":
            text.append(event["text"])
        elif event["event"] == "error":
            failure = str(event.get("message") or "The answer failed.")
    if failure is not None:
        raise RuntimeError(failure)  # the SDK answers it as a tool result with isError
    answer = "".join(text)
    return [types.TextContent(type="text", text=answer)], {
        "answer": answer,
        "conversation_id": str(turn.conversation.id),
    }


class _Handled(Response):
    """Hands the request's ASGI channel to the MCP transport, which writes the response itself."""

    def __init__(self, server: Server[Any, Any], receive: Receive) -> None:
        super().__init__()
        self.server, self.replay = server, receive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = StreamableHTTPServerTransport(mcp_session_id=None, is_json_response_enabled=True)

        async def serve(*, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
            async with transport.connect() as (read, write):
                task_status.started()
                await self.server.run(read, write, self.server.create_initialization_options(), stateless=True)

        async with anyio.create_task_group() as tg:
            await tg.start(serve)
            try:
                await transport.handle_request(scope, self.replay, send)
            finally:
                with anyio.CancelScope(shield=True):
                    await transport.terminate()
                tg.cancel_scope.cancel()


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body already read (to see the method), then the client's own channel (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _calls_a_tool(body: bytes) -> bool:
    with contextlib.suppress(ValueError):
        message = json.loads(body)
        batch = message if isinstance(message, list) else [message]
        return any(isinstance(m, dict) and m.get("method") == "tools/call" for m in batch)
    return False


@router.api_route("/{slug}/mcp", methods=["GET", "POST", "DELETE"], response_model=None)
async def app_mcp(
    slug: str, request: Request, caller: Annotated[Caller, Depends(requires("app", sessions=False))]
) -> Response:
    services: Services = request.app.state.services
    async with services.sessionmaker() as db:
        app = await gate.open_app(db, caller.principal.app_id, "mcp")
        if app.slug != slug:  # a key of another app: as if there were no such server
            raise NotFound("No MCP server here for this key.", code="app_not_found")
        agent = await db.get(Agent, app.agent_id)
        assert agent is not None  # the app goes with its agent
        config = (await AgentService(db).config_for(agent, app.agent_version)).config
    body = await request.body()
    if request.method == "POST" and _calls_a_tool(body):
        await gate.admit(services.limiter, app)
    return _Handled(mcp_server(services, caller, app, agent, config), _replaying(body, request.receive))
