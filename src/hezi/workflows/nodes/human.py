"""Human input: the run pauses and shows a person a form (Dify's form_content, inputs and user_actions); it resumes
at this node with the submitted values, the chosen action's id being the handle it leaves by."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import (
    NodeContext,
    NodeData,
    NodeFailed,
    NodeResult,
    NodeType,
    PauseRequested,
    Read,
    template_reads,
)
from hezi.workflows.pool import VariablePool

ACTION = "__action_id"


class Placeholder(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["variable", "constant"] = "constant"
    selector: list[str] = Field(default_factory=list)
    value: str = ""


class FormInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["text_input", "paragraph"] = "text_input"
    output_variable_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    placeholder: Placeholder | None = None


class UserAction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    title: str = ""
    button_style: str = "default"


class HumanInputData(NodeData):
    form_content: str = ""
    inputs: list[FormInput] = Field(default_factory=list)
    user_actions: list[UserAction] = Field(default_factory=list)
    timeout: int = 36
    timeout_unit: Literal["hour", "day"] = "hour"

    @field_validator("inputs")
    @classmethod
    def _unique_inputs(cls, inputs: list[FormInput]) -> list[FormInput]:
        names = [i.output_variable_name for i in inputs]
        if len(set(names)) != len(names):
            raise ValueError("each input needs its own output_variable_name")
        return inputs

    @field_validator("user_actions")
    @classmethod
    def _unique_actions(cls, actions: list[UserAction]) -> list[UserAction]:
        if len({a.id for a in actions}) != len(actions):
            raise ValueError("each user action needs its own id")
        return actions


class HumanInput(NodeType[HumanInputData]):
    type = "human-input"
    Data = HumanInputData

    def outputs(self) -> dict[str, VarType]:
        out: dict[str, VarType] = {i.output_variable_name: "string" for i in self.data.inputs}
        return out | {ACTION: "string"}

    def reads(self) -> list[Read]:
        reads = template_reads("form_content", self.data.form_content)
        for n, i in enumerate(self.data.inputs):
            if i.placeholder and i.placeholder.type == "variable" and len(i.placeholder.selector) >= 2:
                reads.append(Read(f"inputs.{n}.placeholder.selector", i.placeholder.selector))
        return reads

    def handles(self) -> list[str]:
        return [a.id for a in self.data.user_actions] or ["source"]

    def form(self, pool: VariablePool) -> dict[str, Any]:
        """What the person is shown: the rendered text, the fields with their prefilled values, the buttons."""
        fields = []
        for i in self.data.inputs:
            p = i.placeholder
            default = ""
            if p is not None:
                default = str(pool.get(p.selector, "") or "") if p.type == "variable" and p.selector else p.value
            fields.append({"type": i.type, "output_variable_name": i.output_variable_name, "default": default})
        return {
            "form_content": pool.render(self.data.form_content),
            "inputs": fields,
            "user_actions": [a.model_dump() for a in self.data.user_actions],
            "timeout": self.data.timeout,
            "timeout_unit": self.data.timeout_unit,
        }

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        values = ctx.resume_values
        if values is None:
            raise PauseRequested(self.form(pool))
        out: dict[str, Any] = {}
        for i in self.data.inputs:
            value = values.get(i.output_variable_name, "")
            out[i.output_variable_name] = value if isinstance(value, str) else str(value)
        handles = self.handles()
        action = values.get(ACTION) or values.get("action") or handles[0]
        if action not in handles:
            raise NodeFailed(f"Unknown action {action!r}: choose one of {', '.join(handles)}.", code="invalid_input")
        out[ACTION] = action
        return NodeResult(out, handle=action, inputs=dict(values))
