"""The agent loop on the real bundled model: a tool the question needs is called with arguments forced into
shape, its result reaches the answer, and every step is streamed and stored."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.conversations.chat import answer_of, ask, make_agent


def test_the_calculator_is_called_and_its_result_is_in_the_answer(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(
        api,
        ws,
        system_prompt="You are a maths helper. Give the result of the calculation.",
        tools=[{"provider": "builtin", "name": "calculator"}],
        model_params={"temperature": 0, "max_tokens": 48},
    )
    events = ask(api, ws, agent["id"], "What is 1234 * 5678?", preview=True)
    kinds = [e["event"] for e in events]
    assert kinds.index("step_start") < kinds.index("step_end") < kinds.index("text")
    step = next(e["step"] for e in events if e["event"] == "step_end")
    assert step["tool"] == "calculator" and step["error"] is None, step
    assert step["result"] == "7006652", step
    assert step["elapsed_ms"] >= 0 and step["tokens"] > 0
    message = answer_of(events)
    assert "7006652" in message["content"].replace(",", "").replace(" ", "")
    assert message["steps"] == [step]

    # a question that needs no tool is answered without one
    events = ask(api, ws, agent["id"], "Hello! Who are you?", preview=True)
    assert not [e for e in events if e["event"].startswith("step")]
    assert answer_of(events)["content"].strip()
