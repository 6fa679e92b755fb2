"""Nodes that only move data: If/Else (cases of conditions → a handle), Template (Jinja2 in a sandboxed
environment), Variable aggregator (the first branch's value that ran) and Variable assigner (writes a variable)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read, VariableSelector
from hezi.workflows.nodes.conditions import Condition, check
from hezi.workflows.pool import MISSING, VariablePool

MAX_TEMPLATE_OUTPUT = 400_000


class Case(BaseModel):
    model_config = ConfigDict(extra="ignore")

    case_id: str = Field(min_length=1, max_length=64)
    logical_operator: Literal["and", "or"] = "and"
    conditions: list[Condition] = Field(default_factory=list)


class IfElseData(NodeData):
    cases: list[Case] | None = None
    # Dify's first versions had one case, in these two fields; it is the case "true".
    logical_operator: Literal["and", "or"] | None = "and"
    conditions: list[Condition] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> IfElseData:
        if self.cases is None:
            self.cases = [Case(case_id="true", logical_operator=self.logical_operator or "and",
                               conditions=self.conditions or [])]  # fmt: skip
        if not self.cases:
            raise ValueError("an if/else node needs at least one case")
        ids = [c.case_id for c in self.cases]
        if len(set(ids)) != len(ids) or "false" in ids:
            raise ValueError("case ids must be unique and not 'false'")
        return self


class IfElse(NodeType[IfElseData]):
    type = "if-else"
    Data = IfElseData

    @property
    def cases(self) -> list[Case]:
        return self.data.cases or []

    def outputs(self) -> dict[str, VarType]:
        return {"result": "boolean", "selected_case_id": "string"}

    def reads(self) -> list[Read]:
        return [
            Read(f"cases.{i}.conditions.{j}.variable_selector", c.variable_selector)
            for i, case in enumerate(self.cases)
            for j, c in enumerate(case.conditions)
        ]

    def handles(self) -> list[str]:
        return [c.case_id for c in self.cases] + ["false"]

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        for case in self.cases:
            if check(case.conditions, case.logical_operator, pool):
                return NodeResult({"result": True, "selected_case_id": case.case_id}, handle=case.case_id)
        return NodeResult({"result": False, "selected_case_id": "false"}, handle="false")


_ENV = SandboxedEnvironment(autoescape=False, undefined=jinja2.ChainableUndefined)


class TemplateData(NodeData):
    variables: list[VariableSelector] = Field(default_factory=list)
    template: str = ""


class TemplateTransform(NodeType[TemplateData]):
    type = "template-transform"
    Data = TemplateData

    @cached_property
    def compiled(self) -> jinja2.Template:
        return _ENV.from_string(self.data.template)

    @classmethod
    def build(cls, node: Any) -> TemplateTransform:
        built = cls(node, TemplateData.model_validate(node.data))
        try:
            built.compiled  # noqa: B018 - a syntax error is a bad setting, found before the run
        except jinja2.TemplateSyntaxError as exc:
            raise ValueError(f"template: {exc.message} (line {exc.lineno})") from None
        return built

    def outputs(self) -> dict[str, VarType]:
        return {"output": "string"}

    def reads(self) -> list[Read]:
        return [Read(f"variables.{n}.value_selector", v.value_selector) for n, v in enumerate(self.data.variables)]

    def values(self, pool: VariablePool) -> dict[str, Any]:
        return {v.variable: pool.get(v.value_selector, None) for v in self.data.variables}

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        values = self.values(pool)
        return NodeResult({"output": self.render(values)}, inputs=values)

    def render(self, values: dict[str, Any]) -> str:
        try:
            text = self.compiled.render(values)
        except Exception as exc:
            raise NodeFailed(f"The template failed: {type(exc).__name__}: {exc}", code="template_error") from None
        if len(text) > MAX_TEMPLATE_OUTPUT:
            raise NodeFailed(f"The template's output is over {MAX_TEMPLATE_OUTPUT} characters.", code="too_long")
        return text


class AggregatorGroup(BaseModel):
    model_config = ConfigDict(extra="ignore")

    output_type: str = "any"
    variables: list[list[str]] = Field(default_factory=list)
    group_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class AggregatorSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    group_enabled: bool = False
    groups: list[AggregatorGroup] = Field(default_factory=list)


class VariableAggregatorData(NodeData):
    output_type: str = "any"
    variables: list[list[str]] = Field(default_factory=list)
    advanced_settings: AggregatorSettings | None = None


def _var_type(name: str) -> VarType:
    return name if name in _VAR_TYPES else "any"  # type: ignore[return-value]


_VAR_TYPES = ("string", "number", "boolean", "object", "file", "array[string]", "array[number]",
              "array[boolean]", "array[object]", "array[file]", "any")  # fmt: skip


class VariableAggregator(NodeType[VariableAggregatorData]):
    """The value of the first of its variables that has one (the branch that ran), per group when grouped."""

    type = "variable-aggregator"
    Data = VariableAggregatorData

    def _grouped(self) -> bool:
        a = self.data.advanced_settings
        return bool(a and a.group_enabled)

    def outputs(self) -> dict[str, VarType]:
        a = self.data.advanced_settings
        if a is not None and self._grouped():
            return {g.group_name: "object" for g in a.groups}
        return {"output": _var_type(self.data.output_type)}

    def reads(self) -> list[Read]:
        a = self.data.advanced_settings
        if a is not None and self._grouped():
            return [
                Read(f"advanced_settings.groups.{i}.variables.{j}", s)
                for i, g in enumerate(a.groups)
                for j, s in enumerate(g.variables)
            ]
        return [Read(f"variables.{j}", s) for j, s in enumerate(self.data.variables)]

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        a = self.data.advanced_settings
        if a is not None and self._grouped():
            return NodeResult({g.group_name: {"output": _first(pool, g.variables)} for g in a.groups})
        return NodeResult({"output": _first(pool, self.data.variables)})


def _first(pool: VariablePool, selectors: list[list[str]]) -> Any:
    for s in selectors:
        if len(s) >= 2:
            value = pool.get(s, MISSING)
            if value is not MISSING:
                return value
    return None


Operation = Literal[
    "over-write", "clear", "append", "extend", "set", "+=", "-=", "*=", "/=", "remove-first", "remove-last",
]  # fmt: skip


class AssignItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    variable_selector: list[str] = Field(min_length=2)
    input_type: Literal["variable", "constant"] = "variable"
    operation: Operation = "over-write"
    value: Any = None


class VariableAssignerData(NodeData):
    """Dify's version 2 (`items`), or version 1's single assignment (assigned_variable_selector, write_mode,
    input_variable_selector), read as one item."""

    items: list[AssignItem] = Field(default_factory=list)
    assigned_variable_selector: list[str] | None = None
    write_mode: Literal["over-write", "append", "clear"] | None = None
    input_variable_selector: list[str] | None = None

    @model_validator(mode="after")
    def _v1(self) -> VariableAssignerData:
        if not self.items and self.assigned_variable_selector:
            self.items = [
                AssignItem(
                    variable_selector=self.assigned_variable_selector,
                    operation=self.write_mode or "over-write",
                    value=self.input_variable_selector,
                )
            ]
        return self


class VariableAssigner(NodeType[VariableAssignerData]):
    """Writes conversation variables (["conversation", name]) and a loop's variables ([loop_id, name])."""

    type = "variable-assigner"
    Data = VariableAssignerData

    def reads(self) -> list[Read]:
        reads = []
        for n, item in enumerate(self.data.items):
            reads.append(Read(f"items.{n}.variable_selector", item.variable_selector))
            if _reads_value(item):
                reads.append(Read(f"items.{n}.value", item.value))
        return reads

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        written: dict[str, Any] = {}
        for item in self.data.items:
            current = pool.get(item.variable_selector, None)
            value = item.value
            if item.input_type == "variable" and item.operation not in NO_VALUE:
                value = pool.get(item.value, None) if _reads_value(item) else None
            new = apply(item.operation, current, value)
            pool.assign(item.variable_selector, new)
            written[".".join(item.variable_selector)] = new
        return NodeResult({}, inputs=written, process_data={"written": written})


NO_VALUE = ("clear", "remove-first", "remove-last")


def _reads_value(item: AssignItem) -> bool:
    return (
        item.input_type == "variable"
        and item.operation not in NO_VALUE
        and isinstance(item.value, list)
        and len(item.value) >= 2
    )


_EMPTY = (list, dict, str, int, float)  # what "clear" empties (to [], {}, "", 0); anything else becomes None


def apply(op: str, current: Any, value: Any) -> Any:
    if op in ("over-write", "set"):
        return value
    if op == "clear":
        return type(current)() if type(current) in _EMPTY else None
    if op in ("append", "extend"):
        base = list(current) if isinstance(current, list) else []
        if op == "extend":
            if not isinstance(value, list):
                raise NodeFailed("extend needs an array value.", code="invalid_value")
            return base + value
        return [*base, value]
    if op in ("remove-first", "remove-last"):
        base = list(current) if isinstance(current, list) else []
        return base[1:] if op == "remove-first" else base[:-1]
    a, b = current, value
    if isinstance(b, str):
        try:
            b = float(b) if "." in b else int(b)
        except ValueError:
            raise NodeFailed(f"{op} needs a number.", code="invalid_value") from None
    if not isinstance(a, int | float) or not isinstance(b, int | float) or isinstance(a, bool):
        raise NodeFailed(f"{op} needs numbers.", code="invalid_value")
    if op == "/=" and b == 0:
        raise NodeFailed("Division by zero.", code="invalid_value")
    return {"+=": a + b, "-=": a - b, "*=": a * b, "/=": a / b if b else 0}[op]
