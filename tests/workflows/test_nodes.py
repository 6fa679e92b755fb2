"""Node types on their own: the input form, conditions, code in the sandbox, HTTP through the egress guard, the
variable assigner's operations, tools and agents through the injected callables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hezi.agents.context import RunContext
from hezi.agents.events import AgentEvent, RunFinished
from hezi.serving.events import TextDelta, TokenUsage
from hezi.workflows.context import AgentRequest, WorkflowContext
from hezi.workflows.nodes.logic import apply
from tests.agents.loopback import pets_app, serve
from tests.workflows.helpers import chain, context, edge, end, execute, finished, graph, node, run_context, start


def test_start_checks_and_converts_the_form() -> None:
    s = node("start", "start", {"variables": [
        {"variable": "n", "type": "number"}, {"variable": "c", "type": "select", "options": ["a", "b"]},
        {"variable": "opt", "type": "text-input", "required": False}]})  # fmt: skip
    g = graph([s, end(n=["start", "n"], c=["start", "c"], opt=["start", "opt"])], chain("start", "end"))
    run, _ = execute(g, inputs={"n": "42", "c": "b"})
    assert run.outputs == {"n": 42, "c": "b", "opt": ""}
    run, _ = execute(g, inputs={"n": "forty", "c": "b"})
    assert run.status == "failed" and run.error_code == "invalid_input"
    run, _ = execute(g, inputs={"c": "b"})
    assert run.status == "failed" and run.error_code == "input_required"
    run, _ = execute(g, inputs={"n": 1, "c": "z"})
    assert run.status == "failed" and "one of" in (run.error or "")


@pytest.mark.parametrize(
    ("op", "value", "actual", "holds"),
    [
        ("contains", "ell", "hello", True), ("not contains", "x", "hello", True), ("start with", "he", "hello", True),
        ("end with", "lo", "hello", True), ("is", "hello", "hello", True), ("is not", "hello", "hello", False),
        ("empty", None, "", True), ("not empty", None, "a", True), ("=", "3", 3, True), ("≠", "3", 4, True),
        (">", "3", 4, True), ("<", "3", 4, False), ("≥", "4", 4, True), ("≤", "3.5", 4, False),
        ("null", None, None, True), ("not null", None, 0, True), ("in", ["a", "b"], "a", True),
        ("not in", ["a", "b"], "c", True), ("all of", ["a", "b"], ["a", "b", "c"], True),
        ("contains", "b", ["a", "b"], True),
    ],
)  # fmt: skip
def test_if_else_operators(op: str, value: Any, actual: Any, holds: bool) -> None:
    cond = {"variable_selector": ["start", "v"], "comparison_operator": op, "value": value}
    g = graph(
        [start(v="json_object"), node("if", "if-else", {"cases": [{"case_id": "yes", "conditions": [cond]}]}),
         end(r=["if", "result"])],
        [*chain("start", "if"), edge("if", "end", "yes"), edge("if", "end", "false")],
    )  # fmt: skip
    # json_object inputs must be objects: the value under test sits inside one
    cond["variable_selector"] = ["start", "v", "x"]
    g.nodes[1].data["cases"][0]["conditions"][0] = cond
    run, _ = execute(g, inputs={"v": {"x": actual}})
    assert run.outputs == {"r": holds}, run.error


def code_graph(code: str, outputs: dict[str, Any], **variables: list[str]) -> Any:
    data = {
        "variables": [{"variable": k, "value_selector": v} for k, v in variables.items()],
        "code_language": "python3",
        "code": code,
        "outputs": outputs,
    }
    return graph(
        [start("a", b="number"), node("code", "code", data), end(r=["code", "result"])], chain("start", "code", "end")
    )


def test_code_runs_main_in_the_sandbox_with_typed_outputs() -> None:
    g = code_graph(
        "def main(a: str, b: int) -> dict:\n    print('working')\n    return {'result': a * b}\n",
        {"result": {"type": "string"}},
        a=["start", "a"],
        b=["start", "b"],
    )
    run, events = execute(g, inputs={"a": "ab", "b": 3})
    assert run.status == "succeeded", run.error
    assert run.outputs == {"r": "ababab"}
    assert finished(events, "code")["process_data"] == {"stdout": "working"}


def test_code_failures_are_the_nodes() -> None:
    wrong_type = code_graph("def main() -> dict:\n    return {'result': 5}\n", {"result": {"type": "string"}})
    run, _ = execute(wrong_type, inputs={"a": "x", "b": 1})
    assert run.status == "failed" and run.error_code == "output_type"
    raises = code_graph("def main() -> dict:\n    raise ValueError('boom')\n", {"result": {"type": "string"}})
    run, _ = execute(raises, inputs={"a": "x", "b": 1})
    assert run.status == "failed" and "ValueError: boom" in (run.error or "")
    net = code_graph(
        "import socket\ndef main() -> dict:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
        "    return {'result': 'out'}\n",
        {"result": {"type": "string"}},
    )
    run, _ = execute(net, inputs={"a": "x", "b": 1})
    assert run.status == "failed"  # no network in the sandbox


def http_graph(url: str, **data: Any) -> Any:
    settings = {"method": "get", "url": url, "authorization": {"type": "no-auth"}, "headers": "", "params": "", **data}
    return graph(
        [start("pet"), node("http", "http-request", settings),
         end(status=["http", "status_code"], body=["http", "body"])],
        chain("start", "http", "end"),
    )  # fmt: skip


def test_http_request_goes_through_the_egress_guard() -> None:
    with serve(pets_app()) as base:
        g = http_graph(
            base + "/pets/{{#start.pet#}}",
            params="verbose:true",
            authorization={
                "type": "api-key",
                "config": {"type": "custom", "header": "X-API-Key", "api_key": "key-123"},
            },
        )
        refused, _ = execute(g, inputs={"pet": "7"})  # loopback is refused unless the admin allows it
        assert refused.status == "failed" and refused.error_code == "egress_refused", refused.error
        allowed = WorkflowContext(run=run_context(egress="127.0.0.0/8"))
        run, _ = execute(g, allowed, inputs={"pet": "7"})
        assert run.status == "succeeded", run.error
        assert run.outputs["status"] == 200
        assert '"id":"7"' in run.outputs["body"] and '"verbose":true' in run.outputs["body"]
        assert '"auth":"api_key"' in run.outputs["body"]


def test_http_request_settings_are_checked() -> None:
    g = http_graph("http://example.invalid/", body={"type": "json", "data": "{not json"}, method="post")
    run, _ = execute(g, inputs={"pet": "1"})
    assert run.status == "failed" and run.error_code == "invalid_body"


@pytest.mark.parametrize(
    ("op", "current", "value", "result"),
    [("over-write", 1, 2, 2), ("clear", [1], None, []), ("append", [1], 2, [1, 2]), ("extend", [1], [2, 3], [1, 2, 3]),
     ("+=", 1, 2, 3), ("-=", 5, 2, 3), ("*=", 2, 3, 6), ("/=", 6, 3, 2), ("remove-first", [1, 2], None, [2]),
     ("remove-last", [1, 2], None, [1])],
)  # fmt: skip
def test_variable_assigner_operations(op: str, current: Any, value: Any, result: Any) -> None:
    assert apply(op, current, value) == result


def test_variable_assigner_writes_conversation_variables() -> None:
    assign = node("set", "variable-assigner", {
        "assigned_variable_selector": ["conversation", "topic"], "write_mode": "over-write",
        "input_variable_selector": ["start", "t"]})  # fmt: skip
    g = graph([start("t"), assign, end(t=["conversation", "topic"])], chain("start", "set", "end"))
    run, _ = execute(g, inputs={"t": "taxes"}, conversation={"topic": ""})
    assert run.outputs == {"t": "taxes"} and run.conversation == {"topic": "taxes"}


def test_tool_and_agent_nodes_call_what_the_caller_injects() -> None:
    from hezi.agents.tools.base import ToolResult
    from hezi.workflows.context import ToolRequest

    seen: list[Any] = []

    async def tool(request: ToolRequest, ctx: RunContext) -> ToolResult:
        seen.append(request)
        return ToolResult({"sum": request.arguments["a"] + 1})

    async def agent(request: AgentRequest, ctx: RunContext) -> AsyncIterator[AgentEvent]:
        seen.append(request)
        yield TextDelta("An answer")
        yield RunFinished(text="An answer", model="m", finish_reason="stop", usage=TokenUsage(3, 2))

    t = node("t", "tool", {
        "provider_id": "builtin", "provider_type": "builtin", "tool_name": "calculator",
        "tool_configurations": {"mode": "fast"},
        "tool_parameters": {"a": {"type": "variable", "value": ["start", "n"]}}})  # fmt: skip
    a = node("a", "agent", {"agent_id": "agent-1", "query": "Explain {{#t.text#}}"})
    g = graph([start(n="number"), t, a, end(tool=["t", "json"], answer=["a", "text"])], chain("start", "t", "a", "end"))
    run, events = execute(g, context(tool=tool, agent=agent), inputs={"n": 41})
    assert run.status == "succeeded", run.error
    assert run.outputs == {"tool": [{"sum": 42}], "answer": "An answer"}
    assert seen[0].arguments == {"mode": "fast", "a": 41} and seen[0].tool_name == "calculator"
    assert seen[1].agent_id == "agent-1" and seen[1].query == 'Explain {"sum": 42}'
    assert finished(events, "a")["execution_metadata"]["total_tokens"] == 5
    missing, _ = execute(g, context(), inputs={"n": 1})
    assert missing.status == "failed" and missing.error_code == "tools_unavailable"
