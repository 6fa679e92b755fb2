"""validate(graph): each problem on its node or edge, with a stable code."""

from __future__ import annotations

from typing import Any

from hezi.workflows.graph import Problem
from hezi.workflows.nodes import REGISTRY
from hezi.workflows.validate import validate
from tests.workflows.helpers import chain, edge, end, graph, node, start, template


def codes(problems: list[Problem]) -> set[tuple[str | None, str]]:
    return {(p.edge_id or p.node_id, p.code) for p in problems}


def ok_nodes() -> list[dict[str, Any]]:
    return [start("q"), template("t", "{{ x }}", x=["start", "q"]), end(out=["t", "output"])]


def test_a_good_graph_has_no_problems() -> None:
    assert validate(graph(ok_nodes(), chain("start", "t", "end"))) == []


def test_every_dify_node_type_is_registered() -> None:
    from hezi.workflows.graph import NODE_TYPES

    assert set(NODE_TYPES) <= set(REGISTRY)


def test_no_start_and_unreachable_nodes() -> None:
    g = graph([template("t", "x"), end(out=["t", "output"])], chain("t", "end"))
    found = codes(validate(g))
    assert (None, "no_start") in found
    assert ("t", "unreachable") in found and ("end", "unreachable") in found


def test_cycles_are_refused_outside_loops() -> None:
    g = graph(
        [start(), template("a", "a"), template("b", "b"), end()],
        [edge("start", "a"), edge("a", "b"), edge("b", "a"), edge("b", "end")],
    )
    found = codes(validate(g))
    assert ("a", "cycle") in found and ("b", "cycle") in found


def test_edges_need_existing_nodes_and_handles() -> None:
    g = graph(ok_nodes(), [*chain("start", "t", "end"), edge("t", "ghost"), edge("start", "end", "nope")])
    found = codes(validate(g))
    assert ("t-source-ghost", "dangling_edge") in found
    assert ("start-nope-end", "unknown_handle") in found


def test_variables_must_come_from_upstream_with_a_compatible_type() -> None:
    g = graph(
        [start("q"), template("t", "{{ x }}", x=["later", "output"]), template("later", "z"),
         node("it", "iteration", {"iterator_selector": ["start", "q"], "output_selector": ["in", "output"]}),
         template("in", "{{ i }}", i=["it", "item"]) | {"parent_id": "it"},
         template("u", "{{ y }}", y=["start", "nothing"]), end(out=["t", "output"])],
        chain("start", "t", "later", "it", "u", "end"),
    )  # fmt: skip
    problems = validate(g)
    found = codes(problems)
    assert ("t", "unbound_variable") in found  # "later" runs after it
    assert ("u", "unbound_variable") in found  # start has no "nothing"
    assert ("it", "type_mismatch") in found  # a string is not an array
    assert ("in", "unbound_variable") not in found  # the body sees its iteration's item
    mismatch = next(p for p in problems if p.code == "type_mismatch")
    assert mismatch.field == "iterator_selector"


def test_human_input_cannot_wait_inside_a_container() -> None:
    form = {"form_content": "ok?", "user_actions": [{"id": "yes", "title": "Yes"}]}
    g = graph(
        [start(q="array[string]"),
         node("it", "iteration", {"iterator_selector": ["start", "q"], "output_selector": ["ask", "__action_id"],
                                  "start_node_id": "ask"}),
         node("ask", "human-input", form, parent_id="it"), end(out=["it", "output"])],
        chain("start", "it", "end"),
    )  # fmt: skip
    problems = [p for p in validate(g) if p.code == "pause_in_container"]
    assert [(p.node_id, p.field) for p in problems] == [("ask", "parent_id")]
    assert "before or after" in problems[0].message


def test_bad_settings_are_reported_on_their_field() -> None:
    g = graph(
        [start(), node("h", "http-request", {"method": "fetch", "url": ""}), node("x", "teleport"),
         node("code", "code", {"code": "def main(:", "outputs": {}}), end()],
        chain("start", "h", "x", "code", "end"),
    )  # fmt: skip
    problems = validate(g)
    fields = {(p.node_id, p.field) for p in problems if p.code == "invalid_settings"}
    assert ("h", "method") in fields and ("h", "url") in fields
    assert ("x", "unknown_node_type") in codes(problems)


def test_mode_and_sys_variables() -> None:
    g = graph(
        [start(), node("answer", "answer", {"answer": "{{#sys.query#}} {{#sys.nope#}}"})],
        chain("start", "answer"),
        mode="workflow",
    )
    found = codes(validate(g))
    assert ("answer", "wrong_mode") in found and ("answer", "unbound_variable") in found


def test_validation_is_fast_on_a_large_graph() -> None:
    n = 500
    nodes = [start("q")] + [template(f"t{i}", "{{ x }}", x=["start", "q"]) for i in range(n)] + [end()]
    ids = ["start"] + [f"t{i}" for i in range(n)] + ["end"]
    g = graph(nodes, chain(*ids))
    assert validate(g) == []  # linear: ancestors as bitmasks (a timing here would be flaky; bench/ measures)
