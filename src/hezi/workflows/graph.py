"""A workflow as data: typed nodes, edges between their handles, and the variables they read and write.

The shape follows Dify's workflow graph (what its DSL files hold under `workflow.graph`), so that its files map onto
it node by node: node types carry Dify's names, a node reads another's output through a *selector*
`[node_id, variable]` (`["sys", "query"]` for the system's), and text fields refer to them as `{{#node_id.variable#}}`.
Each node type's own settings (`data`) are checked by its class in the registry (`nodes/`), not here: this module
knows the graph, not what a node does.

Handles: a node's outgoing edges leave from a handle. Most nodes have one, `source`. If/else leaves from each
case's id and `false`; the question classifier from each class's id; a node whose `error_strategy` is
`fail_branch` also from `fail-branch`. Iteration and loop nodes are containers: the nodes inside them carry the
container's id as `parent_id`, start at the container's `start_node_id`, and may form the cycle a loop needs (a
loop repeats its body; no edge inside leads back).
"""

from __future__ import annotations

import copy
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

VarType = Literal[
    "string", "number", "boolean", "object", "file",
    "array[string]", "array[number]", "array[boolean]", "array[object]", "array[file]", "any",
]  # fmt: skip

NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
# [node_id, variable] or [node_id, variable, key…] (a key of an object output); "sys" names the system's variables
# (query, user_id, conversation_id, files, workflow_run_id), "env" the workflow's constants.
Selector = Annotated[list[str], Field(min_length=2, max_length=8)]

# Text fields refer to variables as Dify's editor writes them: {{#node_id.variable#}} (or .variable.key).
REFERENCE = re.compile(r"\{\{#([A-Za-z0-9_\-]{1,64})\.([A-Za-z0-9_]{1,64}(?:\.[A-Za-z0-9_]{1,64})*)#\}\}")

NODE_TYPES = (
    "start", "end", "answer", "llm", "knowledge-retrieval", "question-classifier", "if-else", "code",
    "template-transform", "http-request", "variable-assigner", "variable-aggregator", "parameter-extractor",
    "iteration", "loop", "tool", "agent", "human-input",
)  # fmt: skip
CONTAINERS = ("iteration", "loop")


class Position(BaseModel):
    x: float = 0
    y: float = 0


class Retry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_attempts: Annotated[int, Field(ge=1, le=10)] = 1  # 1: no retry
    interval_s: Annotated[float, Field(ge=0, le=60)] = 1.0


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: NodeId
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]  # one of NODE_TYPES (checked by the registry)
    version: str = "1"  # of the node type's settings, so a node type can change and still read old graphs
    title: Annotated[str, StringConstraints(max_length=128)] = ""
    data: dict[str, Any] = Field(default_factory=dict)  # the type's settings, checked by its class
    position: Position = Field(default_factory=Position)
    parent_id: NodeId | None = None  # the iteration or loop this node is inside
    timeout_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    retry: Retry = Field(default_factory=Retry)
    # What a failure does: fail the run, carry on with `default_outputs`, or take the `fail-branch` handle.
    error_strategy: Literal["fail", "default_value", "fail_branch"] = "fail"
    default_outputs: dict[str, Any] = Field(default_factory=dict)


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    source: NodeId
    source_handle: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "source"
    target: NodeId
    target_handle: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "target"


class EnvVar(BaseModel):
    """A constant of the workflow (Dify's environment variables), read as ["env", name]."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    type: VarType = "string"
    value: Any = None


class ConversationVar(BaseModel):
    """A variable of a chatflow's conversation (Dify's conversation variables), read and written (by a variable
    assigner) as ["conversation", name]: it starts at `value` in each new conversation and keeps what its turns
    wrote to it for the next ones."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    type: VarType = "string"
    value: Any = None
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class Graph(BaseModel):
    """A workflow: `mode` "workflow" runs once on its start inputs and ends at End nodes (Dify's workflow apps);
    "chatflow" answers a chat turn, streaming its Answer nodes (Dify's advanced-chat)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["workflow", "chatflow"] = "workflow"
    nodes: Annotated[list[Node], Field(max_length=1000)] = Field(default_factory=list)
    edges: Annotated[list[Edge], Field(max_length=5000)] = Field(default_factory=list)
    environment: Annotated[list[EnvVar], Field(max_length=100)] = Field(default_factory=list)
    conversation_variables: Annotated[list[ConversationVar], Field(max_length=100)] = Field(default_factory=list)

    @field_validator("conversation_variables")
    @classmethod
    def _unique_conversation_variables(cls, variables: list[ConversationVar]) -> list[ConversationVar]:
        names = [v.name for v in variables]
        if len(set(names)) != len(names):
            raise ValueError("each conversation variable needs its own name")
        return variables

    def conversation_defaults(self) -> dict[str, Any]:
        """The conversation variables as a new conversation starts with them."""
        return {v.name: copy.deepcopy(v.value) for v in self.conversation_variables}

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)


class Problem(BaseModel):
    """One thing wrong with a graph, on the node (or edge) it is about, for the API and the canvas."""

    node_id: str | None = None
    edge_id: str | None = None
    field: str | None = None  # where in the node's data, dotted ("variables.0.value_selector")
    code: str  # a stable name: no_start, unreachable, cycle, unbound_variable, type_mismatch, invalid_settings…
    message: str
