"""Start (the input form), End (the workflow's outputs by selector) and Answer (text streamed to the chat)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import (
    NodeContext,
    NodeData,
    NodeFailed,
    NodeResult,
    NodeType,
    Read,
    VariableSelector,
    template_reads,
)
from hezi.workflows.pool import MISSING, VariablePool

FormType = Literal[
    "text-input", "paragraph", "select", "number", "checkbox", "file", "file-list", "json_object",
    "external_data_tool",
]  # fmt: skip
FORM_TYPES: dict[str, VarType] = {
    "text-input": "string",
    "paragraph": "string",
    "select": "string",
    "number": "number",
    "checkbox": "boolean",
    "file": "file",
    "file-list": "array[file]",
    "json_object": "object",
    "external_data_tool": "string",
}


class StartVariable(BaseModel):
    """One field of the input form (Dify's VariableEntity)."""

    model_config = ConfigDict(extra="ignore")

    variable: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    label: str = ""
    description: str = ""
    type: FormType = "text-input"
    required: bool = True
    hide: bool = False
    max_length: int | None = None
    options: list[str] = Field(default_factory=list)
    default: Any = None


class StartData(NodeData):
    variables: list[StartVariable] = Field(default_factory=list)


class Start(NodeType[StartData]):
    type = "start"
    Data = StartData

    def outputs(self) -> dict[str, VarType]:
        return {v.variable: FORM_TYPES[v.type] for v in self.data.variables}

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        given = ctx.run_inputs
        out: dict[str, Any] = {}
        for v in self.data.variables:
            value = given.get(v.variable, v.default)
            out[v.variable] = form_value(v, value)
        return NodeResult(out, inputs=dict(given))


def form_value(v: StartVariable, value: Any) -> Any:
    """An input form's value, checked and converted to its variable's type."""
    name = v.label or v.variable
    if value is None or value == "":
        if v.required:
            raise NodeFailed(f"{name} is required.", code="input_required")
        return None if v.type not in ("text-input", "paragraph", "select") else ""
    if v.type == "number":
        if isinstance(value, bool):
            raise NodeFailed(f"{name} must be a number.", code="invalid_input")
        if isinstance(value, str):
            try:
                value = float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                raise NodeFailed(f"{name} must be a number.", code="invalid_input") from None
        if not isinstance(value, int | float):
            raise NodeFailed(f"{name} must be a number.", code="invalid_input")
        return value
    if v.type == "checkbox":
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes", "on")
        return bool(value)
    if v.type == "json_object":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise NodeFailed(f"{name} must be a JSON object.", code="invalid_input") from None
        if not isinstance(value, dict):
            raise NodeFailed(f"{name} must be a JSON object.", code="invalid_input")
        return value
    if v.type in ("file", "file-list"):
        return value
    if not isinstance(value, str):
        value = str(value)
    if v.max_length and len(value) > v.max_length:
        raise NodeFailed(f"{name} is longer than {v.max_length} characters.", code="invalid_input")
    if v.type == "select" and v.options and value not in v.options:
        raise NodeFailed(f"{name} must be one of: {', '.join(v.options)}.", code="invalid_input")
    return value


class EndData(NodeData):
    outputs: list[VariableSelector] = Field(default_factory=list)


class End(NodeType[EndData]):
    type = "end"
    Data = EndData

    def outputs(self) -> dict[str, VarType]:
        return {o.variable: "any" for o in self.data.outputs}

    def reads(self) -> list[Read]:
        return [Read(f"outputs.{n}.value_selector", o.value_selector) for n, o in enumerate(self.data.outputs)]

    def handles(self) -> list[str]:
        return []

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        out = {o.variable: _value(pool, o.value_selector) for o in self.data.outputs}
        return NodeResult(out, inputs=out)


class AnswerData(NodeData):
    answer: str = ""


class Answer(NodeType[AnswerData]):
    """Its text goes to the chat as it is written: references whose values are known stream at once, and an LLM's
    text it shows streams as the model writes it (the executor arranges that)."""

    type = "answer"
    Data = AnswerData

    def outputs(self) -> dict[str, VarType]:
        return {"answer": "string"}

    def reads(self) -> list[Read]:
        return template_reads("answer", self.data.answer)

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        text = pool.render(self.data.answer)
        return NodeResult({"answer": text})


def _value(pool: VariablePool, selector: list[str]) -> Any:
    value = pool.get(selector, MISSING)
    return None if value is MISSING else value
