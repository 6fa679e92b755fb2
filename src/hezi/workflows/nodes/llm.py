"""LLM: a prompt of messages with {{#node.var#}} references (and {{#context#}} for the retrieved context), streamed
through the ModelClient; with structured output on, the answer is JSON held to a schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read, template_reads
from hezi.workflows.nodes.models import ModelConfig, call_model, parse_json, structured_format
from hezi.workflows.pool import MISSING, VariablePool, text_of

CONTEXT = "{{#context#}}"


class PromptMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"] = "user"
    text: str = ""
    edition_type: Literal["basic", "jinja2"] | None = None
    jinja2_text: str | None = None


class CompletionPrompt(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = ""
    edition_type: Literal["basic", "jinja2"] | None = None


class ContextConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool = False
    variable_selector: list[str] | None = None


class MemoryWindow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool = False
    size: int | None = None


class MemoryConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    window: MemoryWindow = Field(default_factory=MemoryWindow)
    query_prompt_template: str | None = None


class StructuredOutput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")


class LLMData(NodeData):
    model: ModelConfig
    prompt_template: list[PromptMessage] | CompletionPrompt = Field(default_factory=list)
    context: ContextConfig = Field(default_factory=ContextConfig)
    memory: MemoryConfig | None = None
    structured_output: StructuredOutput | None = None
    structured_output_enabled: bool = False


class LLM(NodeType[LLMData]):
    type = "llm"
    Data = LLMData

    def _messages_templates(self) -> list[PromptMessage]:
        p = self.data.prompt_template
        if isinstance(p, CompletionPrompt):
            return [PromptMessage(role="user", text=p.text)]
        return p

    def _structured(self) -> dict[str, Any] | None:
        s = self.data.structured_output
        return s.schema_ if self.data.structured_output_enabled and s is not None and s.schema_ else None

    def outputs(self) -> dict[str, VarType]:
        out: dict[str, VarType] = {"text": "string", "usage": "object"}
        if self._structured() is not None:
            out["structured_output"] = "object"
        return out

    def opening(self) -> tuple[str, str] | None:
        first = next(iter(self._messages_templates()), None)
        if first is None or first.role != "system" or first.edition_type == "jinja2" or not first.text:
            return None
        return self.data.model.model, first.text

    def reads(self) -> list[Read]:
        reads: list[Read] = []
        for n, m in enumerate(self._messages_templates()):
            reads += template_reads(f"prompt_template.{n}.text", m.text)
        c = self.data.context
        if c.enabled and c.variable_selector:
            reads.append(Read("context.variable_selector", c.variable_selector))
        return reads

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        context = ""
        c = self.data.context
        if c.enabled and c.variable_selector:
            context = context_text(pool.get(c.variable_selector, None))
        messages: list[dict[str, Any]] = []
        memory = self.data.memory
        history = list(ctx.wf.history) if memory is not None else []
        if memory is not None and memory.window.enabled and memory.window.size:
            history = history[-memory.window.size * 2 :]
        for m in self._messages_templates():
            text = pool.render(m.text.replace(CONTEXT, context))
            if m.role == "user" and history:
                messages += history
                history = []
            if text or m.role != "assistant":
                messages.append({"role": m.role, "content": text})
        messages += history
        if not messages or all(m["role"] == "system" for m in messages):
            query = pool.get(["sys", "query"], None)
            if not query:
                raise NodeFailed("The prompt has no user message.", code="empty_prompt")
            messages.append({"role": "user", "content": str(query)})
        schema = self._structured()
        selector = [self.node.id, "text"]
        text, tokens, usage = await call_model(
            self.data.model,
            messages,
            ctx,
            response_format=structured_format(schema) if schema else None,
            on_text=None if schema else (lambda piece: ctx.stream(piece, selector)),
        )
        outputs: dict[str, Any] = {"text": text, "usage": usage}
        if schema:
            outputs["structured_output"] = parse_json(text)
        return NodeResult(
            outputs,
            inputs={"model": self.data.model.model},
            process_data={"prompts": messages, "model_mode": self.data.model.mode},
            tokens=tokens,
        )


def context_text(value: Any) -> str:
    """Knowledge-retrieval results (a list of {content, …}) as the passages' text; anything else as text."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, list):
        parts = [str(v.get("content", "")) if isinstance(v, dict) else text_of(v) for v in value]
        return "\n\n".join(p for p in parts if p)
    return text_of(value)
