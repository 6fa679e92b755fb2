"""Building small graphs and running them, for the workflow tests."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any, cast

from hezi.agents.context import RunContext
from hezi.egress import EgressPolicy
from hezi.serving.usage import Attribution
from hezi.settings import Settings
from hezi.workflows.context import WorkflowContext
from hezi.workflows.events import WorkflowEvent
from hezi.workflows.executor import WorkflowRun
from hezi.workflows.graph import Graph


def node(node_id: str, type_: str, data: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "title": node_id, "data": data or {}, **fields}


def edge(source: str, target: str, handle: str = "source") -> dict[str, Any]:
    return {"id": f"{source}-{handle}-{target}", "source": source, "source_handle": handle, "target": target}


def chain(*ids: str) -> list[dict[str, Any]]:
    return [edge(a, b) for a, b in itertools.pairwise(ids)]


def graph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], mode: str = "workflow", **more: Any) -> Graph:
    return Graph.model_validate({"mode": mode, "nodes": nodes, "edges": edges, **more})


def start(*variables: str, **types: str) -> dict[str, Any]:
    fields = [{"variable": v, "type": "text-input"} for v in variables]
    fields += [{"variable": v, "type": t} for v, t in types.items()]
    return node("start", "start", {"variables": fields})


def template(node_id: str, text: str, **variables: list[str]) -> dict[str, Any]:
    selectors = [{"variable": k, "value_selector": v} for k, v in variables.items()]
    return node(node_id, "template-transform", {"variables": selectors, "template": text})


def end(**outputs: list[str]) -> dict[str, Any]:
    return node("end", "end", {"outputs": [{"variable": k, "value_selector": v} for k, v in outputs.items()]})


def run_context(egress: str = "", **fields: Any) -> RunContext:
    """A run's context with what the fast tests touch: settings (sandbox limits) and the egress guard."""
    unused = cast(Any, None)
    values: dict[str, Any] = {
        "workspace_id": uuid.uuid4(),
        "who": Attribution(None),
        "models": unused,
        "retriever": unused,
        "egress": EgressPolicy.from_setting(egress),
        "secrets": unused,
        "settings": Settings(),
        **fields,
    }
    return RunContext(**values)


def context(**fields: Any) -> WorkflowContext:
    return WorkflowContext(run=run_context(), **fields)


async def collect(run: WorkflowRun) -> list[WorkflowEvent]:
    return [e async for e in run.events()]


def execute(g: Graph, ctx: WorkflowContext | None = None, **kwargs: Any) -> tuple[WorkflowRun, list[WorkflowEvent]]:
    run = WorkflowRun(g, ctx or context(), **kwargs)
    events = asyncio.run(collect(run))
    return run, events


def names(events: list[WorkflowEvent]) -> list[str]:
    return [e.event for e in events]


def finished(events: list[WorkflowEvent], node_id: str) -> dict[str, Any]:
    return next(e.data for e in events if e.event == "node_finished" and e.data["node_id"] == node_id)
