"""The one way hezi asks a model for tokens or vectors, from inside the process.

Agents, workflows, apps, knowledge ingestion and the OpenAI routes all call this; it picks the local worker or the
workspace's remote provider for a model name, normalises both into the same events (hezi.serving.events), reads
tool calls out of local output, and meters every call once, to an Attribution, when it ends.

    stream = await models.stream(request, who)      # refusals (unknown model, full queue…) raise here
    async for event in stream: ...                  # Started, TextDelta, ToolCall, Finished
    stream.result                                   # the whole answer, usage included

    result = await models.chat(request, who)        # the same, collected
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from hezi.errors import DomainError, Unavailable
from hezi.serving import remote
from hezi.serving.events import ChatEvent, ChatResult, Finished, Started, TextDelta, TokenUsage, ToolCall
from hezi.serving.gateway import Gateway
from hezi.serving.openai_schemas import ChatCompletionRequest, CompletionRequest
from hezi.serving.prefixes import PrefixWarmer
from hezi.serving.providers import RemoteTarget
from hezi.serving.tool_calls import ToolCallReader
from hezi.serving.usage import Attribution, Usage, UsageMeter

EmbedRole = Literal["query", "document"]

DEFAULT_MAX_TOKENS = 512

# (workspace, "provider/model") → the remote target, or None when the name is not a provider's model there.
ResolveRemote = Callable[[uuid.UUID | None, str], Awaitable[RemoteTarget | None]]
ListRemote = Callable[[uuid.UUID | None], Awaitable[list[str]]]
OnUsage = Callable[[Usage], None]


class GenerationFailed(Unavailable):
    """The worker reported an error after it had accepted the request."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: Literal["chat", "embedding", "remote"]
    owned_by: str


@dataclass(frozen=True)
class Embeddings:
    vectors: list[list[float]]
    prompt_tokens: int


class ChatStream:
    """An answer being generated. Iterate it once for its events; `result` adds them up. Metered when it ends —
    finished, failed, or closed early (a client that went away: the worker's slot is freed at once)."""

    def __init__(self, model: str, source: AsyncIterator[ChatEvent], usage: Usage, on_end: OnUsage) -> None:
        self.result = ChatResult(model=model)
        self._source = source
        self._usage = usage
        self._on_end = on_end
        self._started = time.monotonic()
        self._iterated = False
        self._ended = False

    def __aiter__(self) -> AsyncIterator[ChatEvent]:
        if self._iterated:
            raise RuntimeError("a ChatStream can be read once")
        self._iterated = True
        return self._run()

    async def _run(self) -> AsyncIterator[ChatEvent]:
        r = self.result
        status = "cancelled"
        try:
            async for event in self._source:
                if isinstance(event, TextDelta):
                    if r.ttft_ms is None:
                        r.ttft_ms = self._elapsed_ms()
                    r.text += event.text
                elif isinstance(event, ToolCall):
                    if r.ttft_ms is None:
                        r.ttft_ms = self._elapsed_ms()
                    r.tool_calls.append(event)
                elif isinstance(event, Started):
                    r.usage = TokenUsage(event.prompt_tokens, 0)
                elif isinstance(event, Finished):
                    r.finish_reason = event.finish_reason
                    prompt = event.usage.prompt_tokens or r.usage.prompt_tokens
                    r.usage = TokenUsage(prompt, event.usage.completion_tokens)
                    status = "ok"
                yield event
        except DomainError as exc:
            status = exc.code
            raise
        finally:
            await self._end(status)

    async def _end(self, status: str) -> None:
        if self._ended:
            return
        self._ended = True
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
        self.result.latency_ms = self._elapsed_ms()
        u = self._usage
        u.prompt_tokens, u.completion_tokens = self.result.usage.prompt_tokens, self.result.usage.completion_tokens
        u.latency_ms, u.ttft_ms, u.status = self.result.latency_ms, self.result.ttft_ms, status
        self._on_end(u)

    async def aclose(self) -> None:
        """Stop generating (frees the model's slot) and meter what was made so far."""
        await self._end("cancelled")

    async def collect(self) -> ChatResult:
        async for _ in self:
            pass
        return self.result

    def _elapsed_ms(self) -> int:
        return int((time.monotonic() - self._started) * 1000)


class ModelClient:
    def __init__(
        self,
        gateway: Gateway,
        meter: UsageMeter,
        resolve_remote: ResolveRemote,
        list_remote: ListRemote,
        prefixes: PrefixWarmer | None = None,
    ) -> None:
        self.gateway = gateway
        self.prefixes = prefixes
        self.meter = meter
        self._resolve_remote = resolve_remote
        self._list_remote = list_remote
        self._listeners: list[OnUsage] = [meter.record]

    def on_usage(self, listener: OnUsage) -> None:
        """Also tell `listener` about every call's usage when it ends (e.g. a token rate limiter)."""
        self._listeners.append(listener)

    def _record(self, usage: Usage) -> None:
        for listener in self._listeners:
            listener(usage)

    async def models(self, workspace_id: uuid.UUID | None) -> list[ModelInfo]:
        """Every model a caller in this workspace may name: the box's deployed ones, then the workspace's remote."""
        local = [ModelInfo(n, "embedding" if k == "embedding" else "chat", "hezi") for n, k in self.gateway.models()]
        names = await self._list_remote(workspace_id)
        return local + [ModelInfo(n, "remote", n.split("/")[0]) for n in names]

    async def is_remote(self, workspace_id: uuid.UUID | None, model: str) -> bool:
        """Whether `model` names a remote provider's model in this workspace (else a local deployment)."""
        return await self._resolve_remote(workspace_id, model) is not None

    async def warm(self, workspace_id: uuid.UUID | None, model: str, key: str, messages: list[dict[str, Any]]) -> int:
        """Have the local workers of `model` compute `messages`' prompt ahead, kept under `key` (an app's prefix),
        in the background. Returns how many workers were asked: 0 for a remote model or one not running here."""
        if self.prefixes is None or await self._resolve_remote(workspace_id, model) is not None:
            return 0
        return self.prefixes.warm(model, key, {"messages": messages})

    async def stream(
        self, request: ChatCompletionRequest, who: Attribution, *, endpoint: str = "chat", deadline: float | None = None
    ) -> ChatStream:
        """Start a chat answer. Refusals raise here, before any event, so an HTTP caller can still pick a status.
        `deadline` (time.monotonic()) bounds the wait for a model that is starting or restarting."""
        usage = Usage.of(who, request.model, endpoint)
        target = await self._resolve_remote(who.workspace_id, request.model)
        if target is not None:
            body = request.model_dump(exclude_none=True, exclude={"stream", "stream_options"})
            source = await self._refused_is_metered(usage, remote.events(target, "/chat/completions", body))
        else:
            events = await self._refused_is_metered(
                usage, self.gateway.generate(request.model, request.worker_body(DEFAULT_MAX_TOKENS), deadline=deadline)
            )
            source = _local_chat(events)
        return ChatStream(request.model, source, usage, self._record)

    async def chat(
        self, request: ChatCompletionRequest, who: Attribution, *, endpoint: str = "chat", deadline: float | None = None
    ) -> ChatResult:
        """A whole chat answer."""
        return await (await self.stream(request, who, endpoint=endpoint, deadline=deadline)).collect()

    async def complete_stream(self, request: CompletionRequest, who: Attribution) -> ChatStream:
        """A plain text completion (no chat template), as events."""
        usage = Usage.of(who, request.model, "completion")
        target = await self._resolve_remote(who.workspace_id, request.model)
        if target is not None:
            body = request.model_dump(exclude_none=True, exclude={"stream", "stream_options", "echo"})
            source = await self._refused_is_metered(usage, remote.events(target, "/completions", body))
        else:
            body = {"prompt": request.text, **request.sampling(DEFAULT_MAX_TOKENS)}
            source = _local_chat(await self._refused_is_metered(usage, self.gateway.generate(request.model, body)))
        return ChatStream(request.model, source, usage, self._record)

    async def embed(
        self,
        model: str,
        texts: list[str],
        who: Attribution,
        *,
        endpoint: str = "embedding",
        truncate: bool = False,
        role: EmbedRole | None = None,
    ) -> Embeddings:
        """Vectors for `texts`. `truncate`: embed an over-long text's beginning rather than refuse it (local).
        `role`: whether the texts are questions or documents, for models that read a prefix for each (E5's
        "query: " / "passage: ", declared in their GGUF); a remote provider gets the texts as they are."""
        usage = Usage.of(who, model, endpoint)
        started = time.monotonic()
        try:
            target = await self._resolve_remote(who.workspace_id, model)
            if target is not None:
                data = await remote.call_ok(target, "/embeddings", {"input": texts})
                rows = sorted(data.get("data") or [], key=lambda d: int(d.get("index", 0)))
                result = Embeddings(
                    [list(map(float, d["embedding"])) for d in rows], remote.usage_of(data).prompt_tokens
                )
            else:
                vectors, tokens = await self.gateway.embed(model, texts, truncate=truncate, role=role)
                result = Embeddings(vectors, tokens)
            usage.prompt_tokens = result.prompt_tokens
            return result
        except DomainError as exc:
            usage.status = exc.code
            raise
        finally:
            usage.latency_ms = int((time.monotonic() - started) * 1000)
            self._record(usage)

    async def _refused_is_metered(self, usage: Usage, start: Awaitable[Any]) -> Any:
        """A refusal before the first event is metered too (as the OpenAI routes always did)."""
        try:
            return await start
        except DomainError as exc:
            usage.status = exc.code
            self._record(usage)
            raise


async def _local_chat(events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[ChatEvent]:
    """A local worker's events (start, token…, done | error) as model events."""
    reader = ToolCallReader([])
    prompt_tokens = 0
    try:
        async for event in events:
            kind = event["type"]
            if kind == "token":
                for e in reader.feed(event["text"]):
                    yield e
            elif kind == "start":
                prompt_tokens = event["prompt_tokens"]
                reader = ToolCallReader(event.get("tool_names") or [])
                yield Started(prompt_tokens)
            elif kind == "done":
                finish = event["finish_reason"]
                for e in reader.finish():
                    if isinstance(e, ToolCall):
                        finish = "tool_calls"
                    yield e
                yield Finished(finish, TokenUsage(prompt_tokens, event["usage"]["completion_tokens"]))
                return
            elif kind == "error":
                raise GenerationFailed(event["code"], event["message"])
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
