"""The agent loop: from a question to an answer, calling tools on the way, every step streamed as an event.

Two ways to decide on a tool, by the model:
- native: a remote provider's model gets the tools and `tool_choice: auto` and calls them itself;
- decided: a local model (the gateway forces its tool calls into JSON by a grammar, but a small model is poor at
  choosing *whether* to call one) is first asked which tool, if any, the last message needs — an answer held to
  the tools' names by a JSON schema — and then made to call that tool, its arguments forced by the tool's schema.
Either way a tool that fails gives the model its error and the loop goes on; after `max_steps` rounds of tools the
model must answer in words. Passages from the agent's knowledge bases are retrieved before the first call and
numbered for citations.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hezi.agents.context import RunContext
from hezi.agents.events import AgentEvent, Citation, CitationsFound, RunFinished, StepFinished, StepStarted
from hezi.agents.prompts import call_messages, decision_messages, decision_schema, knowledge_block, results_block
from hezi.agents.spec import AgentConfig, render_prompt
from hezi.agents.tools.base import Tool, ToolFailed, openai_tool
from hezi.knowledge.schemas import RetrievalHit
from hezi.serving.events import TextDelta, TokenUsage, ToolCall
from hezi.serving.openai_schemas import ChatCompletionRequest

log = logging.getLogger(__name__)

TOOL_TIMEOUT_SECONDS = 60.0
RESULT_CHARS = 4000  # what of a tool's result the model is shown


@dataclass
class Turn:
    """What one run answers: the question, the conversation before it (oldest first, OpenAI roles user and
    assistant), the form's inputs, and the text of files attached to the question."""

    question: str
    history: Sequence[dict[str, Any]] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    attachments: Sequence[tuple[str, str]] = ()  # (file name, its text)


def citations_of(hits: Sequence[Any], start: int = 1) -> list[Citation]:
    out = []
    for n, h in enumerate(hits, start=start):
        hit: RetrievalHit = h
        out.append(
            Citation(
                n=n,
                knowledge_base_id=str(hit.knowledge_base_id),
                knowledge_base_name=hit.knowledge_base_name,
                document_id=str(hit.document_id),
                document_name=hit.document_name,
                chunk_id=hit.chunk_id,
                text=hit.passage,
                score=float(hit.score),
            )
        )
    return out


def opening_prompts(config: AgentConfig, tools: Sequence[Tool]) -> list[list[dict[str, Any]]]:
    """What a local model's calls in every conversation of this agent start with, to compute ahead (issue 15): the
    question which tool (when it has tools), then the answer's system prompt — knowledge passages and tool results
    come after it. The form's defaults fill the prompt's variables; where a user's own values start, reuse stops."""
    out: list[list[dict[str, Any]]] = []
    if tools:
        out.append(decision_messages(tools, "", ())[:1])
    defaults = {spec.variable: spec.default for _, spec in config.form_fields() if spec.default not in (None, "")}
    system = render_prompt(config.system_prompt, defaults).strip()
    if system:
        out.append([{"role": "system", "content": system}])
    return out


class AgentRun:
    """One answer of one agent. Iterate `events()` once; the last event is RunFinished."""

    def __init__(self, config: AgentConfig, tools: Sequence[Tool], ctx: RunContext, turn: Turn) -> None:
        self.config = config
        self.tools = {t.name: t for t in tools}
        self.ctx = ctx
        self.turn = turn
        self.usage = TokenUsage()
        self.model_calls = 0
        self.steps: list[StepFinished] = []
        self.citations: list[Citation] = []
        # Of the last model call: why it stopped, the tool calls it made, the tokens it spent on them (charged to
        # the next step).
        self._finish = "stop"
        self._last_calls: list[ToolCall] = []
        self._pending_tokens = 0

    async def events(self) -> AsyncIterator[AgentEvent]:
        cfg = self.config
        if cfg.knowledge.knowledge_base_ids:
            found = await self.ctx.retriever.retrieve(
                self.ctx.workspace_id, cfg.knowledge.knowledge_base_ids, self.turn.question, cfg.knowledge.retrieval
            )
            self.citations = citations_of(found.hits)
            if self.citations:
                yield CitationsFound(tuple(self.citations))
        messages = self._messages()
        native = bool(self.tools) and await self.ctx.models.is_remote(self.ctx.workspace_id, cfg.model)
        text_parts: list[str] = []
        answered = False  # a native model may answer in words instead of calling a tool: that is the answer
        for _round in range(cfg.max_steps if self.tools else 0):
            if native:
                calls: list[ToolCall] = []
                async for event in self._native_round(messages, text_parts, calls):
                    yield event
                answered = not calls
            else:
                calls = await self._decided_round(messages)
            if not calls:
                break
            known = len(self.citations)
            async for event in self._run_calls(calls, messages):
                yield event
            if len(self.citations) > known:
                yield CitationsFound(tuple(self.citations))
        if not answered:
            text_parts.clear()
            if not native and self.steps:
                messages = self._messages(results_block(self.steps))
            async for event in self._answer(messages, text_parts):
                yield event
        yield RunFinished(
            text="".join(text_parts),
            model=cfg.model,
            finish_reason=self._finish,
            usage=self.usage,
            steps=tuple(self.steps),
            citations=tuple(self.citations),
            model_calls=self.model_calls,
        )

    # -- prompt ---------------------------------------------------------------------------------------------------

    def _messages(self, results: str = "") -> list[dict[str, Any]]:
        cfg = self.config
        system = render_prompt(cfg.system_prompt, self.turn.inputs).strip()
        block = knowledge_block(self.citations, cite=cfg.citations)
        system = "\n\n".join(p for p in (system, block, results) if p)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        window = cfg.memory_window
        history = list(self.turn.history)[-window:] if window else []
        messages += [{"role": m["role"], "content": m["content"]} for m in history if m.get("content")]
        question = self.turn.question
        if self.turn.attachments:
            files = "\n\n".join(f"[{name}]\n{text}" for name, text in self.turn.attachments)
            question = f"Attached files:\n{files}\n\n{question}"
        messages.append({"role": "user", "content": question})
        return messages

    # -- model calls ----------------------------------------------------------------------------------------------

    def _request(self, messages: list[dict[str, Any]], **extra: Any) -> ChatCompletionRequest:
        p = self.config.model_params
        body = {
            "model": self.config.model,
            "messages": messages,
            "temperature": p.temperature,
            "top_p": p.top_p,
            "max_tokens": p.max_tokens,
        }
        return ChatCompletionRequest.model_validate({**body, **extra})

    async def _call(self, request: ChatCompletionRequest) -> tuple[str, list[ToolCall], TokenUsage]:
        result = await self.ctx.models.chat(request, self.ctx.who, deadline=self.ctx.deadline)
        self._count(result.usage)
        return result.text, result.tool_calls, result.usage

    def _count(self, usage: TokenUsage) -> None:
        self.model_calls += 1
        self.usage = TokenUsage(
            self.usage.prompt_tokens + usage.prompt_tokens, self.usage.completion_tokens + usage.completion_tokens
        )

    async def _native_round(
        self, messages: list[dict[str, Any]], text_parts: list[str], calls: list[ToolCall]
    ) -> AsyncIterator[AgentEvent]:
        """The model sees the tools and may call them (filled into `calls`); words it writes are streamed."""
        tools = [openai_tool(t) for t in self.tools.values()]
        request = self._request(messages, tools=tools, tool_choice="auto")
        async for event in self._streamed(request, text_parts):
            yield event
        calls += self._last_calls

    async def _decided_round(self, messages: list[dict[str, Any]]) -> list[ToolCall]:
        """Ask which tool the last message needs (held to the names by a schema), then have the model call it.

        A tool that has answered once in this turn is not offered again: asked again, the bundled model picked the
        same tool with the same arguments nearly every time, two model calls spent on nothing."""
        answered = {s.tool for s in self.steps if s.error is None}
        tools = [t for t in self.tools.values() if t.name not in answered]
        if not tools:
            return []
        ask = decision_messages(tools, self.turn.question, self.steps)
        fmt = {"type": "json_schema", "json_schema": {"name": "tool_choice", "schema": decision_schema(tools)}}
        text, _, decided = await self._call(self._request(ask, response_format=fmt, temperature=0, max_tokens=32))
        try:
            name = json.loads(text).get("tool")
        except (json.JSONDecodeError, AttributeError):
            name = None
        tool = next((t for t in tools if t.name == name), None)
        if tool is None:
            return []
        # The arguments alone, held to the tool's own schema: a small model fills a flat object far better than the
        # {"tool_calls": [...]} wrapper a forced tool call asks for (1234 * 5678 came out as "}}, " there).
        ask = call_messages(tool, self.turn.question, self.steps)
        fmt = {"type": "json_schema", "json_schema": {"name": tool.name, "schema": tool.parameters}}
        # Room to finish the object: cut off by the agent's own (answer-sized) limit, it would not parse.
        text, _, used = await self._call(self._request(ask, response_format=fmt, temperature=0, max_tokens=256))
        calls = [ToolCall(0, f"call_{uuid.uuid4().hex[:24]}", tool.name, text.strip() or "{}")]
        self._pending_tokens = decided.completion_tokens + used.completion_tokens
        # A call made before (or twice in one answer) would give the same result again: answer from what is known.
        seen = {(st.tool, json.dumps(st.arguments, sort_keys=True)) for st in self.steps}
        fresh = []
        for call in calls:
            key = (call.name, _canonical(call.arguments))
            if key not in seen:
                seen.add(key)
                fresh.append(call)
        return fresh

    async def _answer(self, messages: list[dict[str, Any]], text_parts: list[str]) -> AsyncIterator[AgentEvent]:
        """The answer in words, streamed; no tools are offered."""
        async for event in self._streamed(self._request(messages), text_parts):
            yield event

    async def _streamed(self, request: ChatCompletionRequest, text_parts: list[str]) -> AsyncIterator[AgentEvent]:
        stream = await self.ctx.models.stream(request, self.ctx.who, deadline=self.ctx.deadline)
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    text_parts.append(event.text)
                    yield event
        finally:
            await stream.aclose()
            self._count(stream.result.usage)
        self._finish = stream.result.finish_reason or "stop"
        self._last_calls = list(stream.result.tool_calls)
        self._pending_tokens = stream.result.usage.completion_tokens

    # -- tools ----------------------------------------------------------------------------------------------------

    async def _run_calls(self, calls: list[ToolCall], messages: list[dict[str, Any]]) -> AsyncIterator[AgentEvent]:
        """Run the calls in turn; the native transcript gets the assistant's calls and each result."""
        tokens, self._pending_tokens = self._pending_tokens, 0
        messages.append({"role": "assistant", "content": None, "tool_calls": [c.openai() for c in calls]})
        for call in calls:
            index = len(self.steps)
            try:
                arguments: Any = call.parsed_arguments()
            except json.JSONDecodeError:
                arguments = call.arguments
            yield StepStarted(index, call.name, arguments)
            started = time.monotonic()
            result, error = await self._call_tool(call.name, arguments)
            step = StepFinished(
                index=index,
                tool=call.name,
                arguments=arguments,
                result=result,
                error=error,
                elapsed_ms=int((time.monotonic() - started) * 1000),
                tokens=tokens,
            )
            tokens = 0
            self.steps.append(step)
            shown = result if error is None else f"Error: {error}"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": _clip(shown or "")})
            yield step

    async def _call_tool(self, name: str, arguments: Any) -> tuple[str | None, str | None]:
        """(result, None) or (None, the error the model is shown)."""
        tool = self.tools.get(name)
        if tool is None:
            return None, f"There is no tool named {name!r}."
        if not isinstance(arguments, dict):
            return None, "The arguments must be a JSON object."
        self.ctx.cited = len(self.citations)
        try:
            out = await asyncio.wait_for(tool.call(arguments, self.ctx), self.ctx.time_left(TOOL_TIMEOUT_SECONDS))
        except ToolFailed as exc:
            return None, exc.message
        except TimeoutError:
            return None, f"The tool {name} took too long and was stopped."
        except Exception as exc:  # a tool's own bug must not end the answer: the model hears of it and goes on
            log.exception("tool %s failed", name)
            return None, f"The tool {name} failed: {type(exc).__name__}"
        if out.citations:
            extra = citations_of(out.citations, start=len(self.citations) + 1)
            self.citations += extra
        return out.text(), None


def _canonical(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments or "{}"), sort_keys=True)
    except json.JSONDecodeError:
        return arguments


def _clip(text: str) -> str:
    return text if len(text) <= RESULT_CHARS else text[:RESULT_CHARS] + "… (cut)"
