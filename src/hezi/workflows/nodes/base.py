"""The seam every node type implements: settings (`Data`, with Dify's field names), what it reads and writes, the
handles it may leave by, and `run(pool, ctx)`.

A node type is built once per node of a graph (its settings parsed and checked then, so a bad graph fails before it
runs); `run` reads its inputs from the variable pool and returns a NodeResult. A failure it can explain raises
NodeFailed; the executor applies the node's retry and error strategy.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from hezi.workflows.graph import Node, VarType

if TYPE_CHECKING:
    from hezi.workflows.context import WorkflowContext
    from hezi.workflows.pool import VariablePool


class NodeData(BaseModel):
    """Fields every node's data may carry in a Dify file (title, desc, its own type…); the node's own come in its
    subclass. Other unknown fields are ignored, as Dify's entities ignore them."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    title: str = ""
    desc: str = ""


class VariableSelector(BaseModel):
    """Dify's {variable, value_selector}: a name a node's code or template uses for a selected variable."""

    model_config = ConfigDict(extra="ignore")

    variable: str
    value_selector: list[str] = Field(min_length=2)
    value_type: str | None = None


class NodeFailed(Exception):
    """The node ran and could not do its job; `message` is what the trace and the person see."""

    def __init__(self, message: str, *, code: str = "node_failed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PauseRequested(Exception):
    """A human-input node wants a person's answer: the run pauses with `form` and resumes with the values."""

    def __init__(self, form: dict[str, Any]) -> None:
        super().__init__("waiting for human input")
        self.form = form


@dataclass(frozen=True, slots=True)
class Read:
    """One variable a node reads: where in its settings (dotted), the selector, and the type it wants ("any", a
    VarType, or "array" for an array of anything)."""

    field: str
    selector: Sequence[str]
    type: str = "any"


@dataclass(slots=True)
class NodeResult:
    outputs: dict[str, Any]
    handle: str = "source"  # the source handle whose edges the run follows next
    inputs: dict[str, Any] | None = None  # what the trace shows as the node's inputs
    process_data: dict[str, Any] | None = None
    tokens: int = 0


@dataclass(slots=True)
class BodyResult:
    """One pass of a container's body: its pool (the body nodes' outputs), tokens, and how it ended."""

    pool: VariablePool
    tokens: int = 0
    broke: bool = False  # a loop body reached a loop-end node


@dataclass(slots=True)
class NodeContext:
    """What one node execution gets from the executor besides the pool."""

    wf: WorkflowContext
    node: Node
    # Stream a piece of the node's text output to the chat: the executor forwards it as text_chunk only when an
    # Answer node shows this variable at the point the chat has reached, else drops it.
    stream: Callable[[str, list[str]], None]
    # Containers only: run the body once on a pool (index: the iteration's or round's number).
    body: Callable[[VariablePool, int], Awaitable[BodyResult]] | None = None
    # Containers only: tell the stream an iteration or round begins (index, the previous one's output).
    next: Callable[[int, Any], None] | None = None
    # The run's inputs (the Start node's form values).
    run_inputs: dict[str, Any] = field(default_factory=dict)
    # Human input only: the submitted values when the run resumes at this node.
    resume_values: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


D = TypeVar("D", bound=NodeData)


class NodeType(Generic[D]):
    type: ClassVar[str]
    Data: ClassVar[builtins.type[NodeData]]
    container: ClassVar[bool] = False

    def __init__(self, node: Node, data: D) -> None:
        self.node = node
        self.data = data

    @classmethod
    def build(cls, node: Node) -> NodeType[Any]:
        """The node type for a graph's node, its settings parsed (raises pydantic.ValidationError)."""
        return cls(node, cls.Data.model_validate(node.data))  # type: ignore[arg-type]

    def outputs(self) -> dict[str, VarType]:
        """The variables the node produces, by name."""
        return {}

    def reads(self) -> list[Read]:
        """The variables the node reads (validation checks each is produced upstream with a compatible type)."""
        return []

    def handles(self) -> list[str]:
        """The source handles edges may leave from (the executor adds `fail-branch` for that error strategy)."""
        return ["source"]

    def opening(self) -> tuple[str, str] | None:
        """The model this node asks and the system prompt every call of it starts with, its references not yet
        filled; None when it asks no model or its prompt starts otherwise (hezi.workflows.openings)."""
        return None

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        raise NotImplementedError


def template_reads(field_name: str, text: str) -> list[Read]:
    """The variables a text with {{#node.var#}} references reads, as text."""
    from hezi.workflows.pool import references

    return [Read(field_name, sel, "string") for sel in references(text)]
