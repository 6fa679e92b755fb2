"""Question classifier (the model picks one class; the run leaves by that class's handle) and parameter extractor
(the model fills parameters as JSON held to their schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read
from hezi.workflows.nodes.models import ModelConfig, call_model, parse_json, structured_format
from hezi.workflows.pool import VariablePool, conforms, text_of


class ClassConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    name: str = ""


class QuestionClassifierData(NodeData):
    query_variable_selector: list[str] = Field(min_length=2)
    model: ModelConfig
    classes: list[ClassConfig] = Field(min_length=1)
    instruction: str | None = None

    @field_validator("classes")
    @classmethod
    def _unique(cls, classes: list[ClassConfig]) -> list[ClassConfig]:
        if len({c.id for c in classes}) != len(classes):
            raise ValueError("class ids must be unique")
        return classes


class QuestionClassifier(NodeType[QuestionClassifierData]):
    type = "question-classifier"
    Data = QuestionClassifierData

    def outputs(self) -> dict[str, VarType]:
        return {"class_name": "string", "class_id": "string", "usage": "object"}

    def reads(self) -> list[Read]:
        return [Read("query_variable_selector", self.data.query_variable_selector, "string")]

    def handles(self) -> list[str]:
        return [c.id for c in self.data.classes]

    def system_prompt(self, instruction: str) -> str:
        listed = "\n".join(f"- {c.name or c.id}" for c in self.data.classes)
        return (
            "Classify the user's text into exactly one of these categories:\n"
            f'{listed}\n{instruction}\nAnswer with JSON: {{"category": <one of the categories>}}.'
        )

    def opening(self) -> tuple[str, str] | None:
        return self.data.model.model, self.system_prompt(self.data.instruction or "")

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        query = text_of(pool.get(self.data.query_variable_selector, None))
        classes = self.data.classes
        names = [c.name or c.id for c in classes]
        system = self.system_prompt(pool.render(self.data.instruction or ""))
        schema = {
            "type": "object",
            "properties": {"category": {"type": "string", "enum": names}},
            "required": ["category"],
        }
        text, tokens, usage = await call_model(
            self.data.model,
            [{"role": "system", "content": system}, {"role": "user", "content": query}],
            ctx,
            response_format=structured_format(schema, "classification"),
        )
        picked = parse_json(text)
        name = picked.get("category") if isinstance(picked, dict) else None
        chosen = next((c for c in classes if (c.name or c.id) == name), classes[0])
        return NodeResult(
            {"class_name": chosen.name or chosen.id, "class_id": chosen.id, "usage": usage},
            handle=chosen.id,
            inputs={"query": query},
            tokens=tokens,
        )


ParamType = Literal[
    "string", "number", "boolean", "bool", "select", "array[string]", "array[number]", "array[object]",
    "array[boolean]",
]  # fmt: skip


class ParameterConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    type: ParamType = "string"
    options: list[str] | None = None
    description: str = ""
    required: bool = False

    @property
    def var_type(self) -> VarType:
        return {"bool": "boolean", "select": "string"}.get(self.type, self.type)  # type: ignore[return-value]

    def json_schema(self) -> dict[str, Any]:
        t = self.var_type
        out: dict[str, Any] = {"description": self.description} if self.description else {}
        if t.startswith("array["):
            out |= {"type": "array", "items": {"type": t[6:-1]}}
        else:
            out["type"] = t
        if self.options:
            out["enum"] = self.options
        return out


class ParameterExtractorData(NodeData):
    model: ModelConfig
    query: list[str] = Field(min_length=2)
    parameters: list[ParameterConfig] = Field(min_length=1)
    instruction: str | None = None
    reasoning_mode: Literal["function_call", "prompt"] = "prompt"

    @field_validator("reasoning_mode", mode="before")
    @classmethod
    def _mode(cls, v: Any) -> Any:
        return v or "prompt"

    @field_validator("parameters")
    @classmethod
    def _unique(cls, params: list[ParameterConfig]) -> list[ParameterConfig]:
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError("parameter names must be unique")
        if {"__is_success", "__reason"} & set(names):
            raise ValueError("__is_success and __reason are reserved")
        return params


class ParameterExtractor(NodeType[ParameterExtractorData]):
    type = "parameter-extractor"
    Data = ParameterExtractorData

    def outputs(self) -> dict[str, VarType]:
        out: dict[str, VarType] = {p.name: p.var_type for p in self.data.parameters}
        return out | {"__is_success": "number", "__reason": "string", "usage": "object"}

    def reads(self) -> list[Read]:
        return [Read("query", self.data.query, "string")]

    def schema(self) -> dict[str, Any]:
        params = self.data.parameters
        return {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in params},
            "required": [p.name for p in params if p.required],
        }

    def system_prompt(self, instruction: str) -> str:
        described = "\n".join(f"- {p.name} ({p.var_type}): {p.description}" for p in self.data.parameters)
        return (
            "Extract these parameters from the user's text and answer with one JSON object:\n"
            f"{described}\n{instruction}"
        )

    def opening(self) -> tuple[str, str] | None:
        return self.data.model.model, self.system_prompt(self.data.instruction or "")

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        query = text_of(pool.get(self.data.query, None))
        system = self.system_prompt(pool.render(self.data.instruction or ""))
        text, tokens, usage = await call_model(
            self.data.model,
            [{"role": "system", "content": system}, {"role": "user", "content": query}],
            ctx,
            response_format=structured_format(self.schema(), "parameters"),
        )
        # As in Dify, an answer that is not a JSON object is not a failed run: the parameters are empty and
        # `__is_success` says so, for the branch after the node to handle. Its usual cause is max_tokens.
        reason = ""
        try:
            found = parse_json(text)
        except NodeFailed:
            found = None
        if not isinstance(found, dict):
            found = {}
            if usage.get("finish_reason") == "length":
                reason = "The model's answer reached max_tokens before its JSON was complete."
            else:
                reason = "The model did not answer with a JSON object."
        out: dict[str, Any] = {}
        for p in self.data.parameters:
            value = found.get(p.name)
            if value is not None and not conforms(value, p.var_type):
                value, reason = None, f"{p.name} is not of type {p.var_type}"
            if value is None and p.required:
                reason = reason or f"{p.name} was not found"
            out[p.name] = value
        out |= {"__is_success": 0 if reason else 1, "__reason": reason or None, "usage": usage}
        return NodeResult(out, inputs={"query": query}, process_data={"text": text}, tokens=tokens)
