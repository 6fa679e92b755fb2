"""Agent-loop overhead per step: an agent turn's wall time against the same model calls and tool calls made
directly, measured in the same run, alternating.

Three ways of doing one turn of a calculator agent ("What is 1234 * 5678?": decide on a tool, write its
arguments, call it, answer — three model calls and one tool call) on the bundled SmolLM2 through a running hezi:
- chat API: the console's chat endpoint, streamed (the loop in the server, the question and answer stored);
- loop: hezi's AgentRun in this process, its model calls sent to hezi's /v1 (what the loop itself adds);
- direct: the very requests the loop made, replayed one after another to /v1, and the tool called directly.
Printed: each one's median wall time, and the ratios chat API ÷ direct and loop ÷ direct (target ≤ 1.05×), with
the overhead per step in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from _hezi import SMOLLM2_NAME, start_hezi

from hezi.agents.context import RunContext
from hezi.agents.loop import AgentRun, Turn
from hezi.agents.spec import AgentConfig
from hezi.agents.tools.builtin import BUILTIN_TOOLS
from hezi.serving.events import ChatResult, Finished, TextDelta, TokenUsage
from hezi.serving.openai_schemas import ChatCompletionRequest
from hezi.serving.usage import Attribution

QUESTION = "What is 1234 * 5678?"
CONFIG = {
    "model": SMOLLM2_NAME,
    "system_prompt": "You are a maths helper. Give the result of the calculation.",
    "tools": [{"provider": "builtin", "name": "calculator"}],
    "model_params": {"temperature": 0, "max_tokens": 48},
}


class HttpStream:
    """What the loop reads from ModelClient.stream, over hezi's /v1 (streamed)."""

    def __init__(self, http: httpx.AsyncClient, body: dict[str, Any]) -> None:
        self.http, self.body = http, {**body, "stream": True, "stream_options": {"include_usage": True}}
        self.result = ChatResult(model=body["model"])

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._events()

    async def _events(self) -> AsyncIterator[Any]:
        async with self.http.stream("POST", "/v1/chat/completions", json=self.body) as r:
            r.raise_for_status()
            async for line in r.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                if chunk.get("usage"):
                    u = chunk["usage"]
                    self.result.usage = TokenUsage(u["prompt_tokens"], u["completion_tokens"])
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        self.result.text += text
                        yield TextDelta(text)
                    if choice.get("finish_reason"):
                        self.result.finish_reason = choice["finish_reason"]
        yield Finished(self.result.finish_reason or "stop", self.result.usage)

    async def aclose(self) -> None:
        return None


class HttpModels:
    """The loop's model client, over hezi's /v1; records every request it is given (to replay them)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.requests: list[tuple[str, dict[str, Any]]] = []

    async def is_remote(self, workspace_id: Any, model: str) -> bool:
        return False

    async def chat(self, request: ChatCompletionRequest, who: Any, **_: Any) -> ChatResult:
        body = request.model_dump(exclude_none=True)
        self.requests.append(("chat", body))
        return await chat_once(self.http, body)

    async def stream(self, request: ChatCompletionRequest, who: Any, **_: Any) -> HttpStream:
        body = request.model_dump(exclude_none=True)
        self.requests.append(("stream", body))
        return HttpStream(self.http, body)


async def chat_once(http: httpx.AsyncClient, body: dict[str, Any]) -> ChatResult:
    r = await http.post("/v1/chat/completions", json=body)
    r.raise_for_status()
    data = r.json()
    u = data["usage"]
    return ChatResult(
        model=body["model"],
        text=data["choices"][0]["message"]["content"] or "",
        usage=TokenUsage(u["prompt_tokens"], u["completion_tokens"]),
    )


def context(models: HttpModels) -> RunContext:
    unused: Any = None
    return RunContext(workspace_id=uuid.uuid4(), who=Attribution(None), models=models, retriever=unused,  # type: ignore[arg-type]
                      egress=unused, secrets=unused, settings=unused)  # fmt: skip


async def loop_turn(http: httpx.AsyncClient) -> tuple[float, HttpModels, Any]:
    models = HttpModels(http)
    config = AgentConfig.model_validate(CONFIG)
    run = AgentRun(config, [BUILTIN_TOOLS["calculator"]], context(models), Turn(QUESTION))
    started = time.perf_counter()
    last = None
    async for event in run.events():
        last = event
    return time.perf_counter() - started, models, last


async def direct_turn(
    http: httpx.AsyncClient, requests: list[tuple[str, dict[str, Any]]], tool_args: list[Any]
) -> float:
    ctx = context(HttpModels(http))
    started = time.perf_counter()
    for i, (kind, body) in enumerate(requests):
        if kind == "stream":
            async for _ in HttpStream(http, body):
                pass
        else:
            await chat_once(http, body)
        if i == 1:  # the tool runs after the arguments are written, as in the loop
            for args in tool_args:
                await BUILTIN_TOOLS["calculator"].call(args, ctx)
    return time.perf_counter() - started


async def api_turn(http: httpx.AsyncClient, ws: str, agent_id: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    end: dict[str, Any] = {}
    body = {"query": QUESTION, "preview": True}
    async with http.stream("POST", f"/api/workspaces/{ws}/agents/{agent_id}/chat", json=body) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event["event"] == "end":
                    end = event["message"]
    return time.perf_counter() - started, end


async def measure(url: str, key: str, rounds: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
        me = (await http.get("/api/auth/me")).json()
        ws = me["workspaces"][0]["id"]
        created = await http.post(f"/api/workspaces/{ws}/agents", json={"name": "bench-calculator", "config": CONFIG})
        created.raise_for_status()
        agent_id = created.json()["id"]

        _, recorded, finished = await loop_turn(http)  # warm-up, and the requests to replay
        steps = list(finished.steps)
        if not steps or steps[0].result != "7006652":
            raise SystemExit(f"the agent did not use the calculator as expected: {steps}")
        tool_args = [s.arguments for s in steps]
        _, stored = await api_turn(http, ws, agent_id)
        if [s["result"] for s in stored["steps"]] != [s.result for s in steps]:
            raise SystemExit(f"the chat API's turn differs from the loop's: {stored['steps']}")

        api_s, loop_s, direct_s = [], [], []
        for _ in range(rounds):  # alternate, so drift in the machine's load falls on all three alike
            direct_s.append(await direct_turn(http, recorded.requests, tool_args))
            loop_s.append((await loop_turn(http))[0])
            api_s.append((await api_turn(http, ws, agent_id))[0])

    d, lo, ap = (statistics.median(x) for x in (direct_s, loop_s, api_s))
    calls = len(recorded.requests)
    print(f"agent turn: {calls} model calls, {len(steps)} tool call(s); {rounds} rounds, medians")
    print(f"  direct (same requests to /v1, tool called directly) {d * 1000:8.1f} ms")
    print(f"  loop (AgentRun, calls over /v1)                     {lo * 1000:8.1f} ms   {lo / d:5.3f}× direct")
    print(f"  chat API turn (SSE, stored)                         {ap * 1000:8.1f} ms   {ap / d:5.3f}× direct")
    per_step = (lo - d) / (calls + len(steps)) * 1000
    print(f"  loop overhead per step (model or tool call)         {per_step:8.2f} ms   (target: ratio ≤ 1.05×)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    hezi = start_hezi(args.threads)
    try:
        asyncio.run(measure(hezi.url, hezi.key, args.rounds))
    finally:
        hezi.stop()


if __name__ == "__main__":
    main()
