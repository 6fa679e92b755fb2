"""A graph made ready to run: each node's type built once, and per level (the top, and each container's body) the
edges into and out of every node by handle, the level's entry, and how Answer nodes stream.

Build a Plan once per graph version and run it many times (WorkflowRun accepts either); building checks the
settings, so a graph that fails here fails before anything runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hezi.workflows.graph import REFERENCE, Graph, Node
from hezi.workflows.nodes import NodeType, build


class InvalidGraph(ValueError):
    """The graph cannot run: a node's settings are bad, or it has no start."""

    def __init__(self, message: str, node_id: str | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id


@dataclass(slots=True)
class Step:
    """One node, as the executor walks it."""

    node: Node
    built: NodeType[Any]
    incoming: int = 0  # edges into it within its level
    out: dict[str, list[str]] = field(default_factory=dict)  # handle → target node ids
    targets: list[str] = field(default_factory=list)  # every target, for skipping


@dataclass(slots=True)
class Level:
    entry: str | None
    steps: dict[str, Step]


@dataclass(frozen=True, slots=True)
class Segment:
    text: str  # literal text, or "" for a reference
    selector: list[str] | None = None


@dataclass(slots=True)
class Plan:
    graph: Graph
    levels: dict[str | None, Level]
    steps: dict[str, Step]
    answers: dict[str, list[Segment]]  # Answer node id → its template in pieces
    # An LLM or agent node whose text an Answer shows right after literal text: (answer id, piece index). Its text
    # streams to the chat as it is generated.
    live: dict[str, tuple[str, int]]


def plan(graph: Graph) -> Plan:
    steps: dict[str, Step] = {}
    for node in graph.nodes:
        try:
            steps[node.id] = Step(node, build(node))
        except ValueError as exc:  # ValidationError and UnknownNodeType are ValueErrors
            raise InvalidGraph(f"{node.title or node.id}: {exc}", node.id) from None
    for edge in graph.edges:
        src, dst = steps.get(edge.source), steps.get(edge.target)
        if src is None or dst is None or src.node.parent_id != dst.node.parent_id:
            continue
        src.out.setdefault(edge.source_handle, []).append(edge.target)
        src.targets.append(edge.target)
        dst.incoming += 1
    by_level: dict[str | None, dict[str, Step]] = defaultdict(dict)
    for node_id, step in steps.items():
        by_level[step.node.parent_id][node_id] = step
    starts = [s for s in by_level[None].values() if s.node.type == "start"]
    if len(starts) != 1:
        raise InvalidGraph("The workflow needs exactly one Start node.")
    levels: dict[str | None, Level] = {None: Level(starts[0].node.id, by_level[None])}
    for node_id, step in steps.items():
        if step.built.container:
            body = by_level.get(node_id, {})
            entry = step.node.data.get("start_node_id")
            if entry not in body:
                heads = [i for i, s in body.items() if s.incoming == 0]
                entry = heads[0] if len(heads) == 1 else None
            levels[node_id] = Level(entry, body)
    answers = {n.id: segments(str(n.data.get("answer", ""))) for n in graph.nodes if n.type == "answer"}
    return Plan(graph, levels, steps, answers, _live(steps, answers) if graph.mode == "chatflow" else {})


def segments(template: str) -> list[Segment]:
    out: list[Segment] = []
    at = 0
    for m in REFERENCE.finditer(template):
        if m.start() > at:
            out.append(Segment(template[at : m.start()]))
        out.append(Segment("", [m[1], *m[2].split(".")]))
        at = m.end()
    if at < len(template):
        out.append(Segment(template[at:]))
    return out


def _live(steps: dict[str, Step], answers: dict[str, list[Segment]]) -> dict[str, tuple[str, int]]:
    live: dict[str, tuple[str, int]] = {}
    for answer_id, pieces in answers.items():
        if steps[answer_id].node.parent_id is not None:
            continue
        for k, piece in enumerate(pieces):
            if piece.selector is None:
                continue
            source = piece.selector[0]
            step = steps.get(source)
            if (
                step is not None
                and piece.selector[1:] == ["text"]
                and step.node.type in ("llm", "agent")
                and step.node.parent_id is None
                and source not in live
                and _surely_leads(steps, source, answer_id)
            ):
                live[source] = (answer_id, k)
            break  # only the first reference can stream live: literal text before it goes out first
    return live


def _surely_leads(steps: dict[str, Step], source: str, target: str) -> bool:
    """Whether, once `source` succeeds, the run is sure to reach `target` (no branch on the way can turn away)."""
    seen = set()
    stack = [source]
    while stack:
        n = stack.pop()
        if n == target:
            return True
        if n in seen:
            continue
        seen.add(n)
        step = steps[n]
        if step.node.error_strategy == "fail_branch" or len(step.built.handles()) > 1:
            continue  # a branch: it may turn away (a join after it still runs when any branch reaches it)
        stack += step.targets
    return False
