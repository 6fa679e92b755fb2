"""What is wrong with a graph, before it is saved or run: each problem on its node or edge, with a stable code.

Checked: node settings (each type's Data) and types; one start; edges between existing nodes and handles, not
across a container's wall; every node reachable from the start (a body from its container's start); no cycles
(a loop repeats its body without one); and every variable a node reads produced upstream (or by sys, env,
conversation, or the container it is in) with a compatible type. It runs on every autosave: linear in the graph,
with ancestor sets as integer bitmasks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from hezi.workflows.graph import Graph, Node, Problem, VarType
from hezi.workflows.nodes import MARKERS, NodeType, UnknownNodeType, build
from hezi.workflows.pool import compatible

SYS_VARIABLES: dict[str, VarType] = {
    "query": "string",
    "files": "array[file]",
    "user_id": "string",
    "conversation_id": "string",
    "dialogue_count": "number",
    "workflow_run_id": "string",
    "workflow_id": "string",
    "app_id": "string",
}
FAIL_BRANCH = "fail-branch"


def built_nodes(graph: Graph, problems: list[Problem] | None = None) -> dict[str, NodeType[Any]]:
    """Each node's type with its settings parsed; nodes that fail are left out (and reported into `problems`)."""
    out: dict[str, NodeType[Any]] = {}
    for node in graph.nodes:
        try:
            out[node.id] = build(node)
        except UnknownNodeType as exc:
            if problems is not None:
                problems.append(Problem(node_id=node.id, code=exc.code, message=str(exc)))
        except (ValidationError, ValueError) as exc:
            if problems is not None:
                problems += _settings_problems(node, exc)
    return out


def _settings_problems(node: Node, exc: ValueError) -> list[Problem]:
    if not isinstance(exc, ValidationError):
        return [Problem(node_id=node.id, code="invalid_settings", message=str(exc))]
    return [
        Problem(
            node_id=node.id,
            field=".".join(str(p) for p in err["loc"]) or None,
            code="invalid_settings",
            message=err["msg"],
        )
        for err in exc.errors()[:20]
    ]


def handles_of(node: Node, built: NodeType[Any]) -> list[str]:
    handles = built.handles()
    return [*handles, FAIL_BRANCH] if node.error_strategy == "fail_branch" else handles


def validate(graph: Graph) -> list[Problem]:
    """Every problem of the graph, in a stable order (settings, structure, variables)."""
    problems: list[Problem] = []
    by_id: dict[str, Node] = {}
    for node in graph.nodes:
        if node.id in by_id:
            problems.append(Problem(node_id=node.id, code="duplicate_id", message=f"Two nodes are called {node.id}."))
        by_id[node.id] = node
    built = built_nodes(graph, problems)
    for node in graph.nodes:
        if node.parent_id is not None:
            parent = by_id.get(node.parent_id)
            if parent is None or parent.type not in ("iteration", "loop"):
                problems.append(
                    Problem(
                        node_id=node.id,
                        field="parent_id",
                        code="bad_parent",
                        message="The node is inside something that is not an iteration or loop.",
                    )
                )
            elif node.type == "human-input":  # a pause keeps one node's form, not one per item or round
                problems.append(Problem(
                    node_id=node.id, field="parent_id", code="pause_in_container",
                    message="Human input cannot wait inside an iteration or loop: put it before or after.",
                ))  # fmt: skip
        elif node.type in MARKERS:
            problems.append(
                Problem(node_id=node.id, code="bad_parent", message=f"A {node.type} belongs in a container.")
            )
    problems += _mode_problems(graph)

    succ: dict[str, list[str]] = defaultdict(list)
    pred: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        src, dst = by_id.get(edge.source), by_id.get(edge.target)
        if src is None or dst is None:
            missing = edge.source if src is None else edge.target
            problems.append(
                Problem(edge_id=edge.id, code="dangling_edge", message=f"The edge joins a missing node {missing}.")
            )
            continue
        if src.parent_id != dst.parent_id:
            problems.append(
                Problem(
                    edge_id=edge.id,
                    node_id=dst.id,
                    code="crosses_container",
                    message="An edge cannot cross an iteration's or loop's wall.",
                )
            )
            continue
        b = built.get(src.id)
        if b is not None and edge.source_handle not in handles_of(src, b):
            problems.append(
                Problem(
                    edge_id=edge.id,
                    node_id=src.id,
                    code="unknown_handle",
                    message=f"{src.title or src.id} has no output {edge.source_handle!r}.",
                )
            )
        if edge.target_handle != "target":
            problems.append(
                Problem(
                    edge_id=edge.id,
                    node_id=dst.id,
                    code="unknown_handle",
                    message=f"{dst.title or dst.id} has no input {edge.target_handle!r}.",
                )
            )
        succ[src.id].append(dst.id)
        pred[dst.id].append(src.id)

    # Entry of each level: the top level's start, each container's start_node_id (or its one node without inputs).
    children: dict[str | None, list[Node]] = defaultdict(list)
    for node in graph.nodes:
        children[node.parent_id].append(node)
    starts = [n for n in children[None] if n.type == "start"]
    if not starts:
        problems.append(Problem(code="no_start", message="The workflow needs a Start node."))
    for extra in starts[1:]:
        problems.append(Problem(node_id=extra.id, code="several_starts", message="A workflow has one Start node."))
    entries: dict[str | None, str | None] = {None: starts[0].id if starts else None}
    for container_id, body in children.items():
        if container_id is None or container_id not in by_id:
            continue
        entries[container_id] = _body_entry(by_id[container_id], body, pred, problems)

    reached: set[str] = set()
    for entry in entries.values():
        if entry is None:
            continue
        stack = [entry]
        while stack:
            n = stack.pop()
            if n in reached:
                continue
            reached.add(n)
            stack += succ[n]
    for node in graph.nodes:
        if node.id not in reached:
            problems.append(Problem(node_id=node.id, code="unreachable", message="No path from the start leads here."))

    order, cyclic = _topological(graph, succ, pred)
    for node_id in cyclic:
        problems.append(
            Problem(node_id=node_id, code="cycle", message="The node is on a cycle; repeat steps with a Loop.")
        )
    problems += _variable_problems(graph, by_id, built, pred, order)
    return problems


def _mode_problems(graph: Graph) -> list[Problem]:
    wrong = "answer" if graph.mode == "workflow" else "end"
    where = "a workflow (use End)" if graph.mode == "workflow" else "a chatflow (use Answer)"
    return [
        Problem(node_id=n.id, code="wrong_mode", message=f"{n.type.title()} nodes do not belong in {where}.")
        for n in graph.nodes
        if n.type == wrong
    ]


def _body_entry(container: Node, body: list[Node], pred: dict[str, list[str]], problems: list[Problem]) -> str | None:
    start = container.data.get("start_node_id")
    ids = {n.id for n in body}
    if start:
        if start in ids:
            return str(start)
        problems.append(
            Problem(
                node_id=container.id,
                field="start_node_id",
                code="no_body_start",
                message="The body's first node is not inside it.",
            )
        )
        return None
    heads = [n.id for n in body if not pred.get(n.id)]
    if len(heads) == 1:
        return heads[0]
    if body:
        problems.append(
            Problem(
                node_id=container.id,
                field="start_node_id",
                code="no_body_start",
                message="Say which node the body starts at.",
            )
        )
    return None


def _topological(graph: Graph, succ: dict[str, list[str]], pred: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Nodes in an order where each comes after its predecessors, and the nodes left on cycles."""
    indegree = {n.id: len(pred.get(n.id, ())) for n in graph.nodes}
    ready = [n for n, d in indegree.items() if d == 0]
    order: list[str] = []
    while ready:
        n = ready.pop()
        order.append(n)
        for m in succ.get(n, ()):
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    placed = set(order)
    return order, [n.id for n in graph.nodes if n.id not in placed]


def _variable_problems(
    graph: Graph,
    by_id: dict[str, Node],
    built: dict[str, NodeType[Any]],
    pred: dict[str, list[str]],
    order: list[str],
) -> list[Problem]:
    bit = {node.id: 1 << i for i, node in enumerate(graph.nodes)}
    ancestors: dict[str, int] = {}
    for n in order:  # predecessors first; nodes on cycles have no entry and are checked against nothing
        mask = 0
        for p in pred.get(n, ()):
            mask |= ancestors.get(p, 0) | bit[p]
        ancestors[n] = mask
    env = {e.name: e.type for e in graph.environment}
    conversation = {v.name: v.type for v in graph.conversation_variables}
    problems: list[Problem] = []
    for node in graph.nodes:
        b = built.get(node.id)
        if b is None or node.id not in ancestors:
            continue
        # What this node can see: its ancestors, and at each enclosing container, the container's ancestors and the
        # container itself (its body variables).
        visible = ancestors[node.id]
        containers: list[str] = []
        parent = node.parent_id
        while parent is not None and parent in by_id and parent not in containers:
            containers.append(parent)
            visible |= ancestors.get(parent, 0)
            parent = by_id[parent].parent_id
        for read in b.reads():
            problem = _check_read(read.selector, read.type, visible, containers, bit, by_id, built, env, conversation)
            if problem is not None:
                code, message = problem
                problems.append(Problem(node_id=node.id, field=read.field, code=code, message=message))
    return problems


def _check_read(
    selector: Any,
    wanted: str,
    visible: int,
    containers: list[str],
    bit: dict[str, int],
    by_id: dict[str, Node],
    built: dict[str, NodeType[Any]],
    env: dict[str, VarType],
    conversation: dict[str, VarType],
) -> tuple[str, str] | None:
    if len(selector) < 2:
        return "unbound_variable", "Choose a variable."
    source, name = selector[0], selector[1]
    shown = ".".join(selector)
    produced: VarType | None
    if source == "sys":
        produced = SYS_VARIABLES.get(name)
    elif source == "env":
        produced = env.get(name)
    elif source == "conversation":
        produced = conversation.get(name)
        if produced is None:
            return "unbound_variable", f"{shown}: declare the conversation variable {name} first."
    elif source not in by_id:
        return "unbound_variable", f"{shown}: there is no node {source}."
    elif source in containers:
        b = built.get(source)
        body_vars: dict[str, VarType] = getattr(b, "body_variables", dict)() if b is not None else {}
        produced = body_vars.get(name)
    elif not visible & bit[source]:
        return "unbound_variable", f"{shown}: {by_id[source].title or source} does not run before this node."
    else:
        b = built.get(source)
        if b is None:
            return None  # its own settings are reported already
        produced = _output_type(b, name)
    if produced is None:
        return "unbound_variable", f"{shown}: no such variable."
    if len(selector) == 2 and not compatible(produced, wanted):
        return "type_mismatch", f"{shown} is {produced}; this input needs {wanted}."
    return None


def _output_type(b: NodeType[Any], name: str) -> VarType | None:
    outputs = b.outputs()
    if name in outputs:
        return outputs[name]
    if b.node.error_strategy != "fail" and name in ("error_message", "error_type"):
        return "string"
    return None
