"""The executor: branches, joins, parallel branches, timeouts, retries, error strategies, stop, pause and resume."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hezi.agents.context import RunContext
from hezi.agents.tools.base import ToolFailed, ToolResult
from hezi.workflows.context import ToolRequest
from hezi.workflows.executor import RunState, WorkflowRun
from tests.workflows.helpers import (
    chain,
    collect,
    context,
    edge,
    end,
    execute,
    finished,
    graph,
    names,
    node,
    start,
    template,
)


def tool_node(node_id: str, name: str, **fields: Any) -> dict[str, Any]:
    data = {"provider_id": "test", "provider_type": "builtin", "tool_name": name, "tool_parameters": {}}
    return node(node_id, "tool", data, **fields)


def test_a_chain_runs_in_order_and_streams_difys_events() -> None:
    g = graph(
        [start("name"), template("t", "Hello {{ n }}", n=["start", "name"]), end(greeting=["t", "output"])],
        chain("start", "t", "end"),
    )
    run, events = execute(g, inputs={"name": "Ada"})
    assert run.status == "succeeded" and run.outputs == {"greeting": "Hello Ada"}
    assert names(events) == ["workflow_started"] + ["node_started", "node_finished"] * 3 + ["workflow_finished"]
    t = finished(events, "t")
    assert t["status"] == "succeeded" and t["outputs"] == {"output": "Hello Ada"} and t["inputs"] == {"n": "Ada"}
    assert {"elapsed_time", "execution_metadata", "error", "predecessor_node_id"} <= set(t)
    assert t["predecessor_node_id"] == "start" and t["execution_metadata"]["total_tokens"] == 0
    done = events[-1].data
    assert done["status"] == "succeeded" and done["total_steps"] == 3 and done["outputs"] == {"greeting": "Hello Ada"}
    assert [t.node_id for t in run.traces] == ["start", "t", "end"]
    assert all(t.status == "succeeded" and t.elapsed_ms >= 0 for t in run.traces)


def branches() -> list[dict[str, Any]]:
    cond = {"variable_selector": ["start", "n"], "comparison_operator": ">", "value": "10"}
    return [
        start(n="number"),
        node("if", "if-else", {"cases": [{"case_id": "big", "logical_operator": "and", "conditions": [cond]}]}),
        template("a", "big"),
        template("b", "small"),
        node("agg", "variable-aggregator", {"output_type": "string", "variables": [["a", "output"], ["b", "output"]]}),
        end(size=["agg", "output"]),
    ]


def branch_edges() -> list[dict[str, Any]]:
    return [
        edge("start", "if"), edge("if", "a", "big"), edge("if", "b", "false"),
        edge("a", "agg"), edge("b", "agg"), edge("agg", "end"),
    ]  # fmt: skip


def test_if_else_takes_one_branch_and_the_join_runs_after_the_other_is_skipped() -> None:
    g = graph(branches(), branch_edges())
    for n, size, ran, skipped in ((42, "big", "a", "b"), (3, "small", "b", "a")):
        run, events = execute(g, inputs={"n": n})
        assert run.status == "succeeded" and run.outputs == {"size": size}
        started = [e.data["node_id"] for e in events if e.event == "node_started"]
        assert ran in started and skipped not in started


def barrier_tool(parties: int) -> Any:
    barrier = asyncio.Barrier(parties)

    async def call(request: ToolRequest, ctx: RunContext) -> ToolResult:
        async with asyncio.timeout(5):  # only reached together when the branches really overlap
            await barrier.wait()
        return ToolResult({"who": request.tool_name})

    return call


def test_independent_branches_run_at_the_same_time() -> None:
    fan = [tool_node(f"b{i}", f"t{i}") for i in range(3)]
    g = graph(
        [start(), *fan, end(a=["b0", "text"], b=["b1", "text"], c=["b2", "text"])],
        [edge("start", f"b{i}") for i in range(3)] + [edge(f"b{i}", "end") for i in range(3)],
    )
    run, events = execute(g, context(tool=barrier_tool(3)))
    assert run.status == "succeeded", run.error
    assert json.loads(run.outputs["a"]) == {"who": "t0"}
    started = [i for i, e in enumerate(events) if e.event == "node_started" and e.data["node_id"].startswith("b")]
    first_done = min(i for i, e in enumerate(events) if e.event == "node_finished" and e.data["node_id"][0] == "b")
    assert max(started) < first_done  # all three started before any finished
    assert names(events).count("node_started") == 5  # the end ran once, after all three


def test_a_node_timeout_fails_the_run_and_says_which_node() -> None:
    async def slow(request: ToolRequest, ctx: RunContext) -> ToolResult:
        await asyncio.sleep(30)
        return ToolResult("late")

    g = graph(
        [start(), tool_node("slow", "slow", timeout_s=0.2), end(x=["slow", "text"])], chain("start", "slow", "end")
    )
    run, events = execute(g, context(tool=slow))
    assert run.status == "failed" and run.error_code == "timeout" and "0.2 s" in (run.error or "")
    assert finished(events, "slow")["status"] == "failed"
    assert names(events)[-2:] == ["error", "workflow_finished"]
    assert events[-1].data["status"] == "failed"


def flaky_tool(failures: int) -> tuple[Any, list[int]]:
    calls: list[int] = []

    async def call(request: ToolRequest, ctx: RunContext) -> ToolResult:
        calls.append(1)
        if len(calls) <= failures:
            raise ToolFailed("not yet", code="busy")
        return ToolResult("done")

    return call, calls


def test_retry_then_success() -> None:
    call, calls = flaky_tool(2)
    retry = {"max_attempts": 3, "interval_s": 0}
    g = graph([start(), tool_node("t", "flaky", retry=retry), end(x=["t", "text"])], chain("start", "t", "end"))
    run, _ = execute(g, context(tool=call))
    assert run.status == "succeeded" and run.outputs == {"x": "done"} and len(calls) == 3
    assert run.traces[1].attempts == 3


def test_retries_run_out_and_the_default_value_carries_on() -> None:
    call, calls = flaky_tool(10)
    t = tool_node(
        "t", "flaky", retry={"max_attempts": 2, "interval_s": 0}, error_strategy="default_value",
        default_outputs={"text": "fallback"},
    )  # fmt: skip
    g = graph([start(), t, end(x=["t", "text"], why=["t", "error_message"])], chain("start", "t", "end"))
    run, events = execute(g, context(tool=call))
    assert run.status == "succeeded" and run.outputs == {"x": "fallback", "why": "not yet"} and len(calls) == 2
    assert finished(events, "t")["status"] == "exception"


def test_fail_branch_takes_the_error_handle() -> None:
    call, _ = flaky_tool(10)
    g = graph(
        [start(), tool_node("t", "flaky", error_strategy="fail_branch"), template("ok", "ok"),
         template("oops", "failed: {{ e }}", e=["t", "error_message"]),
         node("agg", "variable-aggregator", {"variables": [["ok", "output"], ["oops", "output"]]}),
         end(x=["agg", "output"])],
        [edge("start", "t"), edge("t", "ok"), edge("t", "oops", "fail-branch"), edge("ok", "agg"),
         edge("oops", "agg"), edge("agg", "end")],
    )  # fmt: skip
    run, events = execute(g, context(tool=call))
    assert run.status == "succeeded" and run.outputs == {"x": "failed: not yet"}
    assert "ok" not in [e.data["node_id"] for e in events if e.event == "node_started"]


def test_templates_are_sandboxed_and_a_failing_node_fails_the_run_with_its_message() -> None:
    hidden = graph([start("n"), template("t", "[{{ n.__class__ }}]", n=["start", "n"]), end(x=["t", "output"])],
                   chain("start", "t", "end"))  # fmt: skip
    run, _ = execute(hidden, inputs={"n": "x"})
    assert run.outputs == {"x": "[]"}  # the sandbox hides Python's internals
    huge = graph([start(), template("t", "{{ range(10**8) | list | length }}"), end(x=["t", "output"])],
                 chain("start", "t", "end"))  # fmt: skip
    run, _ = execute(huge)
    assert run.status == "failed" and run.error_code == "template_error" and "range" in (run.error or "").lower()


def test_stop_ends_the_run_promptly() -> None:
    async def scenario() -> tuple[WorkflowRun, list[str]]:
        entered = asyncio.Event()

        async def forever(request: ToolRequest, ctx: RunContext) -> ToolResult:
            entered.set()
            await asyncio.sleep(3600)
            return ToolResult("never")

        stop = asyncio.Event()
        g = graph([start(), tool_node("t", "forever"), end(x=["t", "text"])], chain("start", "t", "end"))
        run = WorkflowRun(g, context(tool=forever), stop=stop)
        seen: list[str] = []
        async for e in run.events():
            seen.append(e.event)
            if e.event == "node_started" and e.data["node_id"] == "t":
                await entered.wait()
                stop.set()
        return run, seen

    run, seen = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert run.status == "stopped" and seen[-1] == "workflow_finished"
    assert run.traces[-1].node_id == "t" and run.traces[-1].status == "stopped"


def human_graph() -> Any:
    form = {
        "form_content": "Approve {{#start.item#}}?",
        "inputs": [{"type": "paragraph", "output_variable_name": "comment"}],
        "user_actions": [{"id": "approve", "title": "Approve"}, {"id": "reject", "title": "Reject"}],
    }
    return graph(
        [start("item"), node("ask", "human-input", form),
         template("yes", "approved {{ i }}: {{ c }}", i=["start", "item"], c=["ask", "comment"]),
         template("no", "rejected"),
         node("agg", "variable-aggregator", {"variables": [["yes", "output"], ["no", "output"]]}),
         end(result=["agg", "output"])],
        [edge("start", "ask"), edge("ask", "yes", "approve"), edge("ask", "no", "reject"), edge("yes", "agg"),
         edge("no", "agg"), edge("agg", "end")],
    )  # fmt: skip


def test_human_input_pauses_and_resumes_from_a_json_round_trip() -> None:
    g = human_graph()
    run, events = execute(g, inputs={"item": "the budget"})
    assert run.status == "paused" and run.state is not None
    asked = next(e.data for e in events if e.event == "human_input_required")
    assert asked["node_id"] == "ask" and asked["form_content"] == "Approve the budget?"
    assert [a["id"] for a in asked["user_actions"]] == ["approve", "reject"]
    assert names(events)[-1] == "workflow_paused" and "workflow_finished" not in names(events)

    stored = run.state.model_dump_json()  # what the caller keeps, e.g. across a restart
    state = RunState.model_validate_json(stored)
    again, events = execute(g, resume=state, resume_values={"comment": "fine", "__action_id": "approve"})
    assert again.status == "succeeded", again.error
    assert again.outputs == {"result": "approved the budget: fine"} and again.run_id == run.run_id
    assert [e.data["node_id"] for e in events if e.event == "node_started"] == ["ask", "yes", "agg", "end"]

    rejected, _ = execute(g, resume=RunState.model_validate_json(stored), resume_values={"__action_id": "reject"})
    assert rejected.outputs == {"result": "rejected"}


def test_resuming_without_values_pauses_again() -> None:
    g = human_graph()
    run, _ = execute(g, inputs={"item": "x"})
    assert run.state is not None
    again, events = execute(g, resume=run.state)
    assert again.status == "paused" and names(events)[-1] == "workflow_paused"


def test_chatflow_answers_stream_as_text_chunks() -> None:
    g = graph(
        [
            start(),
            template("t", "world"),
            node("answer", "answer", {"answer": "Hello {{#t.output#}} ({{#sys.query#}})"}),
        ],
        chain("start", "t", "answer"),
        mode="chatflow",
    )
    run, events = execute(g, sys={"query": "hi"})
    chunks = [e.data for e in events if e.event == "text_chunk"]
    assert "".join(c["text"] for c in chunks) == "Hello world (hi)"
    assert chunks[1]["from_variable_selector"] == ["t", "output"]
    assert run.outputs == {"answer": "Hello world (hi)"}


def test_iteration_runs_its_body_per_item_and_collects_outputs() -> None:
    g = graph(
        [start(items="json_object"),
         node("it", "iteration", {"iterator_selector": ["start", "items", "list"], "output_selector": ["up", "output"],
                                  "start_node_id": "up"}),
         template("up", "{{ i }}:{{ x | upper }}", x=["it", "item"], i=["it", "index"]) | {"parent_id": "it"},
         end(out=["it", "output"])],
        chain("start", "it", "end"),
    )  # fmt: skip
    run, events = execute(g, inputs={"items": {"list": ["a", "b", "c"]}})
    assert run.status == "succeeded", run.error
    assert run.outputs == {"out": ["0:A", "1:B", "2:C"]}
    assert names(events).count("iteration_next") == 3 and "iteration_completed" in names(events)
    inner = [t for t in run.traces if t.node_id == "up"]
    assert [t.index for t in inner] == [0, 1, 2] and all(t.container_id == "it" for t in inner)
    ups = [e.data for e in events if e.event == "node_finished" and e.data["node_id"] == "up"]
    assert all(u["iteration_id"] == "it" for u in ups)


def test_parallel_iteration_overlaps_its_items() -> None:
    body = tool_node("call", "t", parent_id="it")
    g = graph(
        [start(items="json_object"),
         node("it", "iteration", {"iterator_selector": ["start", "items", "list"], "output_selector": ["call", "text"],
                                  "is_parallel": True, "parallel_nums": 3}),
         body, end(out=["it", "output"])],
        chain("start", "it", "end"),
    )  # fmt: skip
    run, _ = execute(g, context(tool=barrier_tool(3)), inputs={"items": {"list": [1, 2, 3]}})
    assert run.status == "succeeded", run.error
    assert len(run.outputs["out"]) == 3


def test_loop_repeats_until_its_break_condition() -> None:
    g = graph(
        [start(),
         node("loop", "loop", {"loop_count": 10, "logical_operator": "and",
                               "break_conditions": [{"variable_selector": ["loop", "n"], "comparison_operator": "≥",
                                                     "value": "3"}],
                               "loop_variables": [{"label": "n", "var_type": "number", "value_type": "constant",
                                                   "value": 0}]}),
         node("inc", "variable-assigner", {"version": "2", "items": [
             {"variable_selector": ["loop", "n"], "input_type": "constant", "operation": "+=", "value": 1}]},
              parent_id="loop", version="2"),
         end(n=["loop", "n"], rounds=["loop", "loop_round"])],
        chain("start", "loop", "end"),
    )  # fmt: skip
    run, events = execute(g)
    assert run.status == "succeeded", run.error
    assert run.outputs == {"n": 3, "rounds": 3}
    assert names(events).count("loop_next") == 3 and names(events).count("loop_completed") == 1


def test_loop_stops_at_loop_count() -> None:
    g = graph(
        [start(),
         node("loop", "loop", {"loop_count": 4, "logical_operator": "and", "break_conditions": [],
                               "loop_variables": [{"label": "s", "var_type": "string", "value": ""}]}),
         node("add", "variable-assigner", {"items": [
             {"variable_selector": ["loop", "s"], "input_type": "constant", "operation": "over-write",
              "value": "x"}]}, parent_id="loop", version="2"),
         end(rounds=["loop", "loop_round"])],
        chain("start", "loop", "end"),
    )  # fmt: skip
    run, _ = execute(g)
    assert run.outputs == {"rounds": 4}


def test_a_failing_body_fails_the_iteration() -> None:
    call, _ = flaky_tool(100)
    g = graph(
        [start(items="json_object"),
         node("it", "iteration", {"iterator_selector": ["start", "items", "l"], "output_selector": ["c", "text"]}),
         tool_node("c", "t", parent_id="it"), end(out=["it", "output"])],
        chain("start", "it", "end"),
    )  # fmt: skip
    run, events = execute(g, context(tool=call), inputs={"items": {"l": [1, 2]}})
    assert run.status == "failed" and "not yet" in (run.error or "")
    assert next(e.data for e in events if e.event == "iteration_completed")["status"] == "failed"


def test_events_run_once_per_run() -> None:
    g = graph([start(), end()], chain("start", "end"))
    run = WorkflowRun(g, context())
    assert asyncio.run(collect(run))[-1].data["status"] == "succeeded"
