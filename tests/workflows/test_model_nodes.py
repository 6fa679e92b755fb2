"""Nodes that ask the bundled model (LLM, question classifier, parameter extractor) and knowledge retrieval,
through a live server's ModelClient and Retriever. The tiny model's wording is not asserted, only shapes and flow."""

from __future__ import annotations

import uuid
from typing import Any

from hezi.workflows.context import WorkflowContext
from hezi.workflows.executor import WorkflowRun
from tests.agents.test_builtin_tools import context as run_context
from tests.conftest import LiveServer
from tests.workflows.helpers import chain, collect, edge, end, graph, names, node, start, template

MODEL = {
    "provider": "",
    "name": "smollm2-135m-instruct",
    "mode": "chat",
    "completion_params": {"max_tokens": 24, "temperature": 0},
}


def run_on(server: LiveServer, g: Any, **kwargs: Any) -> tuple[WorkflowRun, list[Any]]:
    run = WorkflowRun(g, WorkflowContext(run=run_context(server)), **kwargs)
    events = server.run(collect(run))
    return run, events


def test_llm_streams_its_text_through_the_answer(model_server: LiveServer) -> None:
    llm = node("llm", "llm", {"model": MODEL, "prompt_template": [
        {"role": "system", "text": "You are brief."}, {"role": "user", "text": "{{#sys.query#}}"}],
        "context": {"enabled": False}})  # fmt: skip
    answer = node("answer", "answer", {"answer": "Bot: {{#llm.text#}}"})
    g = graph([start(), llm, answer], chain("start", "llm", "answer"), mode="chatflow")
    run, events = run_on(model_server, g, sys={"query": "Say hello."})
    assert run.status == "succeeded", run.error
    seq = names(events)
    llm_done = next(i for i, e in enumerate(events) if e.event == "node_finished" and e.data["node_id"] == "llm")
    chunks = [i for i, e in enumerate(events) if e.event == "text_chunk"]
    assert chunks and chunks[0] < llm_done  # streamed while the model wrote, not after
    assert events[chunks[0]].data["text"] == "Bot: "
    text = "".join(e.data["text"] for e in events if e.event == "text_chunk")
    assert text == "Bot: " + run.traces[1].outputs["text"] and run.outputs["answer"] == text  # type: ignore[index]
    assert events[llm_done].data["execution_metadata"]["total_tokens"] > 0 and seq[-1] == "workflow_finished"


def test_llm_structured_output_follows_the_schema(model_server: LiveServer) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
              "required": ["city", "n"]}  # fmt: skip
    llm = node("llm", "llm", {"model": MODEL | {"completion_params": {"max_tokens": 48, "temperature": 0}},
        "prompt_template": [{"role": "user", "text": "Paris has 2 airports. Give the city and the number."}],
        "structured_output_enabled": True, "structured_output": {"schema": schema}})  # fmt: skip
    g = graph([start(), llm, end(out=["llm", "structured_output"])], chain("start", "llm", "end"))
    run, _ = run_on(model_server, g)
    assert run.status == "succeeded", run.error
    out = run.outputs["out"]
    assert isinstance(out["city"], str) and isinstance(out["n"], int)


def test_classifier_leaves_by_one_class_and_extractor_fills_parameters(model_server: LiveServer) -> None:
    classes = [{"id": "billing", "name": "billing"}, {"id": "tech", "name": "technical problem"}]
    qc = node("qc", "question-classifier", {"query_variable_selector": ["start", "q"], "model": MODEL,
                                            "classes": classes})  # fmt: skip
    longer = MODEL | {"completion_params": {"max_tokens": 64, "temperature": 0}}
    pe = node("pe", "parameter-extractor", {"query": ["start", "q"], "model": longer,
        "reasoning_mode": "prompt", "parameters": [
            {"name": "amount", "type": "number", "description": "the amount in euros", "required": True},
            {"name": "product", "type": "string", "description": "the product", "required": False}]})  # fmt: skip
    g = graph(
        [start("q"), qc, pe, node("t", "template-transform", {"template": "tech"}),
         node("agg", "variable-aggregator", {"variables": [["pe", "product"], ["t", "output"]]}),
         end(cls=["qc", "class_id"], agg=["agg", "output"])],
        [edge("start", "qc"), edge("qc", "pe", "billing"), edge("qc", "t", "tech"), edge("pe", "agg"),
         edge("t", "agg"), edge("agg", "end")],
    )  # fmt: skip
    run, events = run_on(model_server, g, inputs={"q": "I was charged 30 euros twice for my router subscription."})
    assert run.status == "succeeded", run.error
    assert run.outputs["cls"] in ("billing", "tech")
    ran = {e.data["node_id"] for e in events if e.event == "node_started"}
    assert ("pe" in ran) == (run.outputs["cls"] == "billing") and ("t" in ran) == (run.outputs["cls"] == "tech")
    if "pe" in ran:
        pe_out = next(e.data["outputs"] for e in events if e.event == "node_finished" and e.data["node_id"] == "pe")
        assert {"amount", "product", "__is_success", "__reason"} <= set(pe_out)


def test_extractor_cut_off_by_max_tokens_says_so_and_the_run_goes_on(model_server: LiveServer) -> None:
    """Held to the schema, the model's first tokens are `{"`; four tokens cannot close the object. The run does
    not fail: the parameters are empty, `__is_success` is 0 and `__reason` names max_tokens, so a branch can
    take it (Dify's extractor does the same)."""
    short = MODEL | {"completion_params": {"max_tokens": 4, "temperature": 0}}
    pe = node("pe", "parameter-extractor", {"query": ["start", "q"], "model": short, "parameters": [
        {"name": "amount", "type": "number", "description": "the amount in euros", "required": True}]})  # fmt: skip
    ok = node("ok", "if-else", {"cases": [{"case_id": "true", "logical_operator": "and", "conditions": [
        {"variable_selector": ["pe", "__is_success"], "comparison_operator": "=", "value": "1"}]}]})  # fmt: skip
    g = graph(
        [start("q"), pe, ok, template("yes", "got it"), template("no", "ask again: {{ why }}", why=["pe", "__reason"]),
         node("agg", "variable-aggregator", {"variables": [["yes", "output"], ["no", "output"]]}),
         end(out=["agg", "output"], amount=["pe", "amount"])],
        [edge("start", "pe"), edge("pe", "ok"), edge("ok", "yes", "true"), edge("ok", "no", "false"),
         edge("yes", "agg"), edge("no", "agg"), edge("agg", "end")],
    )  # fmt: skip
    run, _ = run_on(model_server, g, inputs={"q": "I was charged 30 euros twice."})
    assert run.status == "succeeded", run.error
    assert run.outputs["amount"] is None
    assert run.outputs["out"] == "ask again: The model's answer reached max_tokens before its JSON was complete."


def test_knowledge_retrieval_feeds_the_llm_context(model_server: LiveServer) -> None:
    from tests.helpers import unique
    from tests.knowledge.test_knowledge_api import add_text

    admin = model_server.admin()
    kb = admin.create_knowledge_base(name=unique("wf"))
    assert add_text(admin, kb, "backups.txt", "The server backups run every night at two o'clock.")["status"] == "ready"
    kr = node("kr", "knowledge-retrieval", {"query_variable_selector": ["sys", "query"], "dataset_ids": [kb["id"]],
        "retrieval_mode": "multiple", "multiple_retrieval_config": {"top_k": 2}})  # fmt: skip
    llm = node("llm", "llm", {"model": MODEL, "context": {"enabled": True, "variable_selector": ["kr", "result"]},
        "prompt_template": [{"role": "system", "text": "Answer from: {{#context#}}"},
                            {"role": "user", "text": "{{#sys.query#}}"}]})  # fmt: skip
    g = graph([start(), kr, llm, node("answer", "answer", {"answer": "{{#llm.text#}}"})],
              chain("start", "kr", "llm", "answer"), mode="chatflow")  # fmt: skip
    ctx = WorkflowContext(run=run_context(model_server, workspace_id=uuid.UUID(kb["ws"])))
    run = WorkflowRun(g, ctx, sys={"query": "When do the backups run?"})
    events = model_server.run(collect(run))
    assert run.status == "succeeded", run.error
    result = next(
        e.data["outputs"]["result"] for e in events if e.event == "node_finished" and e.data["node_id"] == "kr"
    )
    assert result and "two o'clock" in result[0]["content"] and result[0]["title"] == "backups.txt"
    prompts = next(t.process_data for t in run.traces if t.node_id == "llm")
    assert prompts is not None and "two o'clock" in prompts["prompts"][0]["content"]
