"""The node types, registered by Dify's type name (graph.NODE_TYPES), and Dify's structural markers inside
containers (iteration-start, loop-start, loop-end), which a DSL file may carry as they are.

`REGISTRY[type]` is the class; `build(node)` parses a graph node's settings into its node type (raising
UnknownNodeType for a type or version hezi does not know, pydantic's ValidationError for bad settings). Each type's
settings model is `REGISTRY[type].Data`, with Dify's field names.
"""

from __future__ import annotations

from typing import Any

from hezi.workflows.graph import Node
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, PauseRequested, Read
from hezi.workflows.nodes.classify import ParameterExtractor, QuestionClassifier
from hezi.workflows.nodes.code import Code
from hezi.workflows.nodes.containers import Iteration, IterationStart, Loop, LoopEnd, LoopStart
from hezi.workflows.nodes.delegate import Agent, Tool
from hezi.workflows.nodes.http import HttpRequest
from hezi.workflows.nodes.human import HumanInput
from hezi.workflows.nodes.io import Answer, End, Start
from hezi.workflows.nodes.knowledge import KnowledgeRetrieval
from hezi.workflows.nodes.llm import LLM
from hezi.workflows.nodes.logic import IfElse, TemplateTransform, VariableAggregator, VariableAssigner

BUILTIN: tuple[type[NodeType[Any]], ...] = (
    Start, End, Answer, LLM, KnowledgeRetrieval, QuestionClassifier, IfElse, Code, TemplateTransform, HttpRequest,
    VariableAssigner, VariableAggregator, ParameterExtractor, Iteration, Loop, Tool, Agent, HumanInput,
    IterationStart, LoopStart, LoopEnd,
)  # fmt: skip
REGISTRY: dict[str, type[NodeType[Any]]] = {cls.type: cls for cls in BUILTIN}
# Settings versions each type reads. Dify's variable assigner has two (v1's single assignment and v2's items).
VERSIONS: dict[str, tuple[str, ...]] = {"variable-assigner": ("1", "2")}
MARKERS = ("iteration-start", "loop-start", "loop-end")


class UnknownNodeType(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def build(node: Node) -> NodeType[Any]:
    """The node type of a graph node, its settings checked."""
    cls = REGISTRY.get(node.type)
    if cls is None:
        raise UnknownNodeType(f"hezi has no node type {node.type!r}.", "unknown_node_type")
    if node.version not in VERSIONS.get(node.type, ("1",)):
        raise UnknownNodeType(f"{node.type} nodes of version {node.version} are not supported.", "unknown_version")
    return cls.build(node)


__all__ = [
    "MARKERS",
    "REGISTRY",
    "NodeContext",
    "NodeData",
    "NodeFailed",
    "NodeResult",
    "NodeType",
    "PauseRequested",
    "Read",
    "UnknownNodeType",
    "build",
]
