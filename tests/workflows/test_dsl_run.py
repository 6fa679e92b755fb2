"""Imported Dify files run on hezi's executor: the paths that need no model (template, code in the sandbox,
if/else, aggregator, iteration, fail branch), then the LLM ones on the bundled model."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from hezi.agents.context import RunContext
from hezi.serving.usage import Attribution
from hezi.workflows.context import WorkflowContext
from hezi.workflows.dsl import import_dify
from hezi.workflows.executor import WorkflowRun
from hezi.workflows.graph import Graph
from tests.conftest import LiveServer

FIXTURES = Path(__file__).parent / "fixtures" / "dify"


def imported(name: str, **kwargs: Any) -> Graph:
    return import_dify((FIXTURES / name).read_text(encoding="utf-8"), **kwargs).graph


def run(
    server: LiveServer, graph: Graph, inputs: dict[str, Any] | None = None, query: str | None = None
) -> WorkflowRun:
    s = server.app.state.services
    ctx = RunContext(
        workspace_id=uuid.uuid4(), who=Attribution(None), models=s.models, retriever=s.retriever, egress=s.egress,
        secrets=s.secrets, settings=s.settings,
    )  # fmt: skip
    sys = {"query": query, "conversation_id": str(uuid.uuid4())} if query is not None else {}
    wf = WorkflowRun(graph, WorkflowContext(run=ctx), inputs=inputs or {}, sys=sys)

    async def go() -> list[Any]:
        return [event async for event in wf.events()]

    server.run(go(), timeout=300)
    return wf


@pytest.mark.parametrize(("lang", "greeting"), [("zh", "你好，小明！"), ("en", "Hello, 小明!")])
def test_dsl_0_1_0_greeting_takes_the_legacy_if_else_branch(live_server: LiveServer, lang: str, greeting: str) -> None:
    wf = run(live_server, imported("workflow_v0.1.0_greeting.yml"), {"name": "小明", "lang": lang})
    assert wf.status == "succeeded", wf.error
    assert wf.outputs == {"greeting": greeting}


def test_dsl_0_1_2_code_then_iteration_without_a_start_marker(live_server: LiveServer) -> None:
    wf = run(live_server, imported("workflow_v0.1.2_numbered_lines.yml"), {"text": "苹果\n\n banana \ncherry"})
    assert wf.status == "succeeded", wf.error
    assert wf.outputs == {"lines": ["1. 苹果", "2. banana", "3. cherry"]}


def test_dsl_0_3_1_parallel_iteration_and_default_value_on_failure(live_server: LiveServer) -> None:
    graph = imported("workflow_v0.3.1_shopping_list.yml")
    items = '[{"name": "米", "price": 12.5}, {"name": "tea", "price": 30}, {"name": "盐", "price": 2}]'
    wf = run(live_server, graph, {"items": items})
    assert wf.status == "succeeded", wf.error
    assert wf.outputs == {"lines": ["米: ¥12.50", "tea: ¥30.00", "盐: ¥2.00"]}  # in order, though run in parallel
    broken = run(live_server, graph, {"items": "not json"})
    assert broken.status == "succeeded", broken.error
    assert broken.outputs == {"lines": []}  # the code node failed (twice: one retry) and gave its default


@pytest.mark.parametrize(("score", "grade"), [(95, "A"), (72, "B"), (59, "B"), (10, "C")])
def test_dsl_0_7_0_cases_with_or_and_the_aggregator(live_server: LiveServer, score: int, grade: str) -> None:
    wf = run(live_server, imported("workflow_v0.7.0_grade.yml"), {"score": score})
    assert wf.status == "succeeded", wf.error
    assert wf.outputs == {"grade": grade, "name": "student"}


@pytest.mark.parametrize(("query", "answer"), [("3", "3² = 9.0"), ("three", "请发一个数字 / please send a number")])
def test_dsl_0_6_0_chatflow_fail_branch(live_server: LiveServer, query: str, answer: str) -> None:
    wf = run(live_server, imported("chatflow_v0.6.0_square.yml"), query=query)
    assert wf.status == "succeeded", wf.error
    assert wf.outputs["answer"] == answer


def test_dsl_0_1_5_document_qa_runs_on_the_bundled_model(model_server: LiveServer) -> None:
    wf = run(model_server, imported("chatflow_v0.1.5_doc_qa.yml"), query="How do I apply for annual leave?")
    assert wf.status == "succeeded", wf.error
    assert wf.outputs["answer"].strip()
    kinds = [t.type for t in wf.traces]
    assert kinds.count("llm") == 2 and "knowledge-retrieval" in kinds
