"""Which prompts a published workflow has computed ahead: its model nodes' system prompts up to the first variable,
nearest the start first, at most two, each once; and exactly what the node sends, so the worker's copy matches."""

from __future__ import annotations

from typing import Any

from hezi.workflows.nodes import build
from hezi.workflows.openings import opening_prompts
from tests.workflows.helpers import chain, edge, end, graph, node, start, template

RULES = "You answer for the city library: opening hours, loans, renewals, fees, lost cards and study rooms. " * 2
MODEL = {"provider": "", "name": "smollm2-135m-instruct", "mode": "chat", "completion_params": {}}


def llm(node_id: str, system: str, **data: Any) -> dict[str, Any]:
    prompt = [{"role": "system", "text": system}, {"role": "user", "text": "{{#sys.query#}}"}]
    return node(node_id, "llm", {"model": MODEL, "prompt_template": prompt, **data})


def classifier(node_id: str, instruction: str) -> dict[str, Any]:
    classes = [{"id": "loans", "name": "loans"}, {"id": "rooms", "name": "study rooms"}]
    return node(node_id, "question-classifier", {"query_variable_selector": ["sys", "query"], "model": MODEL,
                                                 "classes": classes, "instruction": instruction})  # fmt: skip


def systems(g: Any) -> list[str]:
    return [messages[0]["content"] for _, messages in opening_prompts(g)]


def test_the_fixed_start_of_each_system_prompt_nearest_the_start_first() -> None:
    g = graph(
        [start(), classifier("qc", RULES), llm("far", RULES + "Far. {{#sys.query#}}"),
         llm("near", RULES + "Near, with what was found: {{#context#}} and more"), end()],
        [edge("start", "qc"), edge("qc", "near", "loans"), edge("qc", "end", "rooms"), *chain("near", "far", "end")],
        mode="chatflow",
    )  # fmt: skip
    first, second = opening_prompts(g)
    assert first[0] == "smollm2-135m-instruct" and first[1][0]["role"] == "system"
    # The classifier's whole prompt (its instruction has no variable), as it sends it.
    classify = build(g.node("qc"))  # type: ignore[arg-type]
    assert first[1][0]["content"] == classify.system_prompt(RULES)  # type: ignore[attr-defined]
    # The LLM's, up to the first reference; the one further away would be a third: not warmed.
    assert second[1][0]["content"] == RULES + "Near, with what was found: "


def test_a_prompt_without_variables_is_warmed_whole_and_matches_the_run() -> None:
    g = graph([start(), llm("a", RULES), end()], chain("start", "a", "end"), mode="chatflow")
    [(_, messages)] = opening_prompts(g)
    assert messages == [{"role": "system", "content": RULES}]


def test_short_repeated_jinja_and_variable_first_prompts_are_not_warmed() -> None:
    jinja = llm("j", RULES)
    jinja["data"]["prompt_template"][0] |= {"edition_type": "jinja2", "jinja2_text": RULES}
    g = graph(
        [start(), llm("short", "Be brief."), llm("var", "{{#sys.query#}} " + RULES), jinja, llm("a", RULES),
         llm("again", RULES), template("t", "x"), end()],
        chain("start", "short", "var", "j", "t", "a", "again", "end"),
        mode="chatflow",
    )  # fmt: skip
    assert systems(g) == [RULES]


def test_nodes_inside_an_iteration_come_after_it() -> None:
    g = graph(
        [start(items="json_object"),
         node("it", "iteration", {"iterator_selector": ["start", "items", "list"], "output_selector": ["in", "text"],
                                  "start_node_id": "in"}),
         llm("in", "Inside. " + RULES) | {"parent_id": "it"},
         end(out=["it", "output"])],
        chain("start", "it", "end"),
    )  # fmt: skip
    assert systems(g) == ["Inside. " + RULES]
