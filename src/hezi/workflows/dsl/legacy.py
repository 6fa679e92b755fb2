"""Older shapes of Dify's DSL, brought up to the current one before a graph is read.

Dify changed a few node settings between DSL 0.1.0 and now without changing the type names; files of every version
are still in circulation. Each upgrade here rewrites one old shape in place on the raw node data:

- if-else before cases (DSL 0.1.0–0.1.1): top-level `conditions` + `logical_operator`, leaving by `true`/`false`;
  now a list of `cases`, the first with case_id `true`, so the old edges keep their handle.
- the variable aggregator was typed `variable-assigner` until Dify 0.6.13 (its settings unchanged); Dify's
  conversation-variable writer is `assigner`.
- iterations and loops since DSL 0.1.2 start at a placeholder child (`iteration-start`, `loop-start`); before,
  `start_node_id` named the first real child. hezi's containers read both, so neither is rewritten.
- system variables were selected through the start node ([start_id, "sys.query"]); now as ["sys", "query"].
- children of a container name it by `parentId`; older files only by `data.iteration_id` / `data.loop_id`.
"""

from __future__ import annotations

from typing import Any

# Dify type name → hezi type name, where they differ.
RENAMED = {"variable-assigner": "variable-aggregator", "assigner": "variable-assigner"}


def upgrade_if_else(data: dict[str, Any]) -> None:
    if data.get("cases") is None and isinstance(data.get("conditions"), list):
        data["cases"] = [
            {"case_id": "true", "logical_operator": data.get("logical_operator") or "and",
             "conditions": data["conditions"]}
        ]  # fmt: skip
    data.pop("conditions", None)
    data.pop("logical_operator", None)


def parent_of(node: dict[str, Any]) -> str | None:
    """The container a raw Dify node sits in, from `parentId` or (older files) its data."""
    data = node.get("data") or {}
    parent = node.get("parentId")
    if parent is None and data.get("isInIteration"):
        parent = data.get("iteration_id")
    if parent is None and data.get("isInLoop"):
        parent = data.get("loop_id")
    return None if parent in (None, "") else str(parent)


def upgrade_selectors(value: Any) -> Any:
    """Selectors of system variables as older editors wrote them, through the start node ([start_id, "sys.query"]),
    as the system's own (["sys", "query"])."""
    if isinstance(value, dict):
        return {k: upgrade_selectors(v) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, str) for v in value) and value[1].startswith("sys."):
            return ["sys", value[1][4:]]
        return [upgrade_selectors(v) for v in value]
    return value
