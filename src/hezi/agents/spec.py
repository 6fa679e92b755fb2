"""What an agent is: its configuration, as the builder edits it, a version snapshots it and a YAML file carries it.

Plain pydantic models with no database or HTTP inside. The input form has the shape of Dify's `user_input_form`
(a list of one-key objects: {"text-input": {...}}, {"paragraph": {...}}, {"select": {...}}, {"number": {...}}), so a
published app can serve it unchanged.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hezi.knowledge.schemas import RetrievalSettings

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
FIELD_KINDS = ("text-input", "paragraph", "select", "number")
DEFAULT_MODEL = "smollm2-135m-instruct"
# "agent": one prompt with tools; "workflow" and "chatflow": a graph of nodes in `workflow` (decision 0023).
Mode = Literal["agent", "workflow", "chatflow"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelParams(_Strict):
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.7
    top_p: Annotated[float, Field(gt=0, le=1)] = 1.0
    max_tokens: Annotated[int, Field(ge=1, le=32768)] = 512


class FormField(_Strict):
    """One input of the form; which kind it is is the key it sits under in `user_input_form`."""

    variable: VariableName
    label: Annotated[str, StringConstraints(max_length=128)] = ""
    required: bool = False
    default: str | float | None = None
    max_length: Annotated[int, Field(ge=1, le=100_000)] | None = None  # text-input and paragraph
    options: list[Annotated[str, StringConstraints(max_length=256)]] | None = None  # select


class KnowledgeSettings(_Strict):
    knowledge_base_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    retrieval: RetrievalSettings = Field(default_factory=lambda: RetrievalSettings(top_k=4))


class ToolRef(_Strict):
    """A tool the agent may call: a built-in by name, or an operation/tool of a workspace tool provider."""

    provider: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "builtin"  # "builtin" or a provider id
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class AgentConfig(_Strict):
    mode: Mode = "agent"
    # The graph of a workflow or chatflow (hezi.workflows.graph.Graph as JSON). A plain dict here, where the agents
    # layer cannot read it: the layers above check it with hezi.workflows.validate on save, publish and run.
    workflow: dict[str, Any] | None = None
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)] = DEFAULT_MODEL
    model_params: ModelParams = Field(default_factory=ModelParams)
    system_prompt: Annotated[str, StringConstraints(max_length=20_000)] = ""
    user_input_form: list[dict[str, FormField]] = Field(default_factory=list, max_length=40)
    opening_statement: Annotated[str, StringConstraints(max_length=4_000)] = ""
    suggested_questions: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=10
    )
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    tools: list[ToolRef] = Field(default_factory=list, max_length=40)
    # Tool-calling rounds before the agent must answer in words.
    max_steps: Annotated[int, Field(ge=1, le=20)] = 5
    # How many earlier messages of the conversation the model sees.
    memory_window: Annotated[int, Field(ge=0, le=100)] = 10
    citations: bool = True
    suggested_follow_ups: bool = False

    @model_validator(mode="after")
    def _form_is_well_formed(self) -> AgentConfig:
        seen: set[str] = set()
        for i, entry in enumerate(self.user_input_form):
            if len(entry) != 1 or next(iter(entry)) not in FIELD_KINDS:
                raise ValueError(
                    f"user_input_form[{i}] must be one of {{{', '.join(FIELD_KINDS)}: {{…}}}}, got {list(entry)}"
                )
            kind, spec = next(iter(entry.items()))
            if spec.variable in seen:
                raise ValueError(f"user_input_form[{i}]: the variable {spec.variable!r} is defined twice")
            seen.add(spec.variable)
            if kind == "select" and not spec.options:
                raise ValueError(f"user_input_form[{i}]: a select needs 'options'")
        return self

    def form_fields(self) -> list[tuple[str, FormField]]:
        return [next(iter(entry.items())) for entry in self.user_input_form]

    def form_json(self) -> list[dict[str, Any]]:
        """The form as Dify's `user_input_form` (what `/parameters` answers)."""
        return [{kind: spec.model_dump(exclude_none=True)} for kind, spec in self.form_fields()]


def render_prompt(template: str, inputs: dict[str, Any]) -> str:
    """`{{name}}` replaced by the input's value; an unknown name is left as written (so a typo is visible)."""

    def value(m: re.Match[str]) -> str:
        v = inputs.get(m.group(1))
        return m.group(0) if v is None else str(v)

    return VARIABLE.sub(value, template)


class InputsInvalid(ValueError):
    """The inputs don't fit the agent's form; `field` names the variable."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_inputs(config: AgentConfig, inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs a run uses: defaults filled in, each value checked against its field."""
    out: dict[str, Any] = {}
    for kind, spec in config.form_fields():
        v = inputs.get(spec.variable)
        if v is None or v == "":
            v = spec.default
        if v is None or v == "":
            if spec.required:
                raise InputsInvalid(spec.variable, f"{spec.label or spec.variable} is required.")
            continue
        if kind == "number":
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise InputsInvalid(spec.variable, f"{spec.label or spec.variable} must be a number.") from None
            v = int(v) if v.is_integer() else v
        else:
            v = str(v)
            if spec.max_length and len(v) > spec.max_length:
                raise InputsInvalid(
                    spec.variable, f"{spec.label or spec.variable} is longer than {spec.max_length} characters."
                )
            if kind == "select" and spec.options and v not in spec.options:
                raise InputsInvalid(spec.variable, f"{spec.label or spec.variable} must be one of {spec.options}.")
        out[spec.variable] = v
    return out
