"""What a published workflow's model calls start with, to compute ahead in the model's workers (issue 15).

A node that asks a model (LLM, question classifier, parameter extractor) starts each call with its system prompt.
The part before the prompt's first reference ({{#node.var#}}, {{#context#}}) is the same in every run, so it can be
computed once and shared: a prompt that differs at token k shares its first k tokens with the warmed one. The nodes
nearest the start come first, since every run passes them; a workflow takes at most `MOST` of its model's pinned
prefixes, like an agent (its tool question and its answer).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from hezi.workflows.graph import Graph
from hezi.workflows.validate import built_nodes

MOST = 2
# Shorter than this, the prompt is not worth a pin: the engine computes fewer than 32 shared tokens again anyway.
MIN_CHARS = 120


def opening_prompts(graph: Graph, most: int = MOST) -> list[tuple[str, list[dict[str, Any]]]]:
    """(model, messages) to warm, nearest the start first, each distinct once."""
    built = built_nodes(graph)  # a node whose settings do not parse is skipped (publishing refuses those anyway)
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for node_id in _nearest_first(graph):
        opening = built[node_id].opening() if node_id in built else None
        if opening is None:
            continue
        model, system = opening
        fixed = system.split("{{#", 1)[0]
        prompt = (model, [{"role": "system", "content": fixed}])
        if len(fixed.strip()) >= MIN_CHARS and prompt not in out:
            out.append(prompt)
            if len(out) == most:
                break
    return out


def _nearest_first(graph: Graph) -> list[str]:
    """The graph's node ids by their distance from a start (breadth first); those inside a container, reached from
    the container itself, one step after it."""
    after: dict[str, list[str]] = {}
    for e in graph.edges:
        after.setdefault(e.source, []).append(e.target)
    for n in graph.nodes:
        if n.parent_id is not None:
            after.setdefault(n.parent_id, []).append(n.id)
    known = {n.id for n in graph.nodes}
    roots = [n.id for n in graph.nodes if n.type == "start"]
    seen = set(roots)
    queue = deque(roots)
    order = []
    while queue:
        node_id = queue.popleft()
        order.append(node_id)
        for nxt in after.get(node_id, []):
            if nxt in known and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order
