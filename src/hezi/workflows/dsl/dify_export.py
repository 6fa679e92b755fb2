"""A hezi workflow written as a Dify DSL file, where nothing is lost on the way.

The reverse of dify.py: node data as it is (it already uses Dify's field names), the two renamed types back to
Dify's names, error strategy and retry into the node's data, and the placeholder start node Dify draws inside each
iteration or loop. What Dify's file cannot say (hezi's Agent, Tool and Human-input nodes, which name things of this
box; per-node time-outs; constants that are not text or numbers) refuses the export with problems by node.
"""

from __future__ import annotations

from typing import Any

from hezi.workflows.dsl.dify import NEWEST, dotted
from hezi.workflows.dsl.errors import DifyExportRefused
from hezi.workflows.dsl.legacy import RENAMED
from hezi.workflows.dsl.yamlio import dump
from hezi.workflows.graph import CONTAINERS, Graph, Node, Problem

_TO_DIFY = {hezi: dify for dify, hezi in RENAMED.items()}
_NOT_PORTABLE = {
    "agent": "runs an agent of this box",
    "tool": "calls a tool provider of this box",
    "human-input": "pauses for a form hezi draws",
}
_STRATEGIES = {"fail_branch": "fail-branch", "default_value": "default-value"}


def export_dify(
    graph: Graph, *, name: str, description: str = "", icon: str = "🤖", opening_statement: str = "",
    suggested_questions: list[str] | None = None,
) -> str:  # fmt: skip
    """The workflow as a Dify DSL file (`kind: app`, the newest DSL version hezi knows); DifyExportRefused lists what
    Dify's format cannot hold."""
    problems = _not_portable(graph)
    if problems:
        raise DifyExportRefused(problems, "The workflow cannot be written as a Dify file without losing: "
                                   + "; ".join(p.message for p in problems))  # fmt: skip
    nodes: list[dict[str, Any]] = []
    edges = [_edge(e.id, e.source, e.source_handle, e.target, e.target_handle) for e in graph.edges]
    types = {n.id: n.type for n in graph.nodes}
    for node in graph.nodes:
        nodes.append(_node(node, types.get(node.parent_id or "")))
        first_type = types.get(str(node.data.get("start_node_id") or ""))
        if node.type in CONTAINERS and first_type is not None and not first_type.endswith("-start"):
            placeholder = f"{node.id}start"[:64]
            first = node.data["start_node_id"]
            nodes[-1]["data"]["start_node_id"] = placeholder
            nodes.append({
                "id": placeholder, "parentId": node.id, "type": f"custom-{node.type}-start",
                "position": {"x": 24, "y": 68}, "draggable": False, "selectable": False,
                "data": {"type": f"{node.type}-start", "title": "", "desc": "",
                         "isInIteration" if node.type == "iteration" else "isInLoop": True},
            })  # fmt: skip
            edges.append(_edge(f"{placeholder}-source-{first}-target", placeholder, "source", first, "target"))
    app = {
        "name": name, "mode": "advanced-chat" if graph.mode == "chatflow" else "workflow", "icon": icon,
        "icon_type": "emoji", "icon_background": "#FFEAD5", "description": description,
        "use_icon_as_answer_icon": False,
    }  # fmt: skip
    features = {
        "opening_statement": opening_statement, "suggested_questions": list(suggested_questions or []),
        "file_upload": {"enabled": False}, "retriever_resource": {"enabled": True},
        "sensitive_word_avoidance": {"enabled": False}, "speech_to_text": {"enabled": False},
        "suggested_questions_after_answer": {"enabled": False}, "text_to_speech": {"enabled": False},
    }  # fmt: skip
    env = [
        {"name": v.name, "value": v.value, "value_type": v.type, "id": f"env-{v.name}", "description": "",
         "selector": ["env", v.name]}
        for v in graph.environment
    ]  # fmt: skip
    conversation = [
        {"name": v.name, "value": v.value, "value_type": v.type, "id": f"conversation-{v.name}",
         "description": v.description, "selector": ["conversation", v.name]}
        for v in graph.conversation_variables
    ]  # fmt: skip
    doc = {
        "version": dotted(NEWEST), "kind": "app", "app": app, "dependencies": [],
        "workflow": {"conversation_variables": conversation, "environment_variables": env, "features": features,
                     "graph": {"nodes": nodes, "edges": edges, "viewport": {"x": 0, "y": 0, "zoom": 1}}},
    }  # fmt: skip
    return dump(doc)


def _not_portable(graph: Graph) -> list[Problem]:
    out = [
        Problem(node_id=n.id, code="not_portable", message=f"'{n.title or n.id}' {_NOT_PORTABLE[n.type]}")
        for n in graph.nodes if n.type in _NOT_PORTABLE
    ]  # fmt: skip
    out += [
        Problem(node_id=n.id, field="timeout_s", code="not_portable",
                message=f"'{n.title or n.id}' has a time-out, which Dify's nodes do not")
        for n in graph.nodes if n.timeout_s is not None and n.type not in _NOT_PORTABLE
    ]  # fmt: skip
    out += [
        Problem(field=f"environment.{v.name}", code="not_portable",
                message=f"the constant {v.name} is {v.type}; Dify's are text or numbers")
        for v in graph.environment if v.type not in ("string", "number")
    ]  # fmt: skip
    return out


def _node(node: Node, parent_type: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {**node.data, "type": _TO_DIFY.get(node.type, node.type), "title": node.title,
                            "desc": node.data.get("desc", "")}  # fmt: skip
    if node.version != "1":
        data["version"] = node.version
    if node.error_strategy != "fail":
        data["error_strategy"] = _STRATEGIES[node.error_strategy]
    if node.default_outputs:
        data["default_value"] = [
            {"key": k, "value": v, "type": _value_type(v)} for k, v in node.default_outputs.items()
        ]
    if node.retry.max_attempts > 1:
        data["retry_config"] = {"retry_enabled": True, "max_retries": node.retry.max_attempts - 1,
                                "retry_interval": round(node.retry.interval_s * 1000)}  # fmt: skip
    out: dict[str, Any] = {"id": node.id, "type": "custom", "data": data,
                           "position": {"x": node.position.x, "y": node.position.y}}  # fmt: skip
    if node.parent_id:
        out["parentId"] = node.parent_id
        data["isInLoop" if parent_type == "loop" else "isInIteration"] = True
    return out


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array[object]"
    return "string"


def _edge(edge_id: str, source: str, handle: str, target: str, target_handle: str) -> dict[str, Any]:
    return {"id": edge_id, "type": "custom", "source": source, "sourceHandle": handle, "target": target,
            "targetHandle": target_handle, "data": {}}  # fmt: skip
