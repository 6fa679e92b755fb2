"""A published app under load through Dify's service API, and the route's overhead against calling the agent.

    .venv/bin/python bench/apps.py [--users 100] [--rounds 7] [--threads N]

On the bundled SmolLM2 through a running hezi (loopback), with an agent published as an app and one app key:
1. Overhead: one streamed turn through Dify's `POST /v1/chat-messages` (app key, end user, stored) against the
   same turn through the console's agent chat (`POST /api/workspaces/{ws}/agents/{id}/chat`, the same published
   version, stored), alternating, `--rounds` each; medians and the ratio (target ≤ 1.05×).
2. Load: `--users` end users each open a streaming conversation at once. Every request must end in a complete
   answer (`message_end`) or a 429 with Retry-After; a 5xx, an `error` event, a broken stream or no end within
   the deadline is counted as a failure. Then every answered message is read back through `GET /v1/messages`.
   Printed: the counts, latency p50/p95 to the first text and to the end, and how many answers were stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field

import httpx
from _hezi import SMOLLM2_NAME, percentile, raise_open_files, start_hezi

CONFIG = {
    "model": SMOLLM2_NAME,
    "system_prompt": "You are the front desk of a company. Answer in one short sentence.",
    "model_params": {"temperature": 0, "max_tokens": 24},
}
QUESTION = "When does the office open?"
DEADLINE = 600.0  # seconds: a request with no end by then is a hang


@dataclass
class Outcome:
    status: int = 0
    ended: bool = False
    error: str | None = None
    retry_after: str | None = None
    first_text: float | None = None
    total: float = 0.0
    message_id: str = ""
    conversation_id: str = ""
    tokens: int = 0
    answer: list[str] = field(default_factory=list)


async def dify_turn(http: httpx.AsyncClient, key: str, user: str) -> Outcome:
    out, started = Outcome(), time.perf_counter()
    body = {"query": QUESTION, "user": user, "response_mode": "streaming", "inputs": {}}
    try:
        async with asyncio.timeout(DEADLINE):
            async with http.stream("POST", "/v1/chat-messages", json=body,
                                   headers={"Authorization": f"Bearer {key}"}) as r:  # fmt: skip
                out.status = r.status_code
                if r.status_code != 200:
                    out.retry_after = r.headers.get("retry-after")
                    await r.aread()
                    return out
                async for line in r.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    event = json.loads(line[6:])
                    kind = event.get("event")
                    if kind in ("message", "agent_message"):
                        if out.first_text is None:
                            out.first_text = time.perf_counter() - started
                        out.answer.append(event["answer"])
                    elif kind == "message_end":
                        out.ended, out.message_id = True, event["message_id"]
                        out.conversation_id = event["conversation_id"]
                        out.tokens = event["metadata"]["usage"]["completion_tokens"]
                    elif kind == "error":
                        out.error = f"{event.get('code')}: {event.get('message')}"
    except TimeoutError:
        out.error = "hang: no end within the deadline"
    except httpx.HTTPError as exc:
        out.error = f"broken stream: {type(exc).__name__}"
    out.total = time.perf_counter() - started
    return out


async def console_turn(http: httpx.AsyncClient, ws: str, agent_id: str) -> tuple[float, int]:
    """One turn of the console's agent chat: its wall time and the answer's completion tokens."""
    started, tokens = time.perf_counter(), -1
    async with http.stream("POST", f"/api/workspaces/{ws}/agents/{agent_id}/chat", json={"query": QUESTION}) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if line.startswith("data: ") and (event := json.loads(line[6:]))["event"] == "end":
                tokens = event["message"]["usage"]["completion_tokens"]
    return time.perf_counter() - started, tokens


async def setup(http: httpx.AsyncClient) -> tuple[str, str, str]:
    ws = (await http.get("/api/auth/me")).json()["workspaces"][0]["id"]
    agent = await http.post(f"/api/workspaces/{ws}/agents", json={"name": "bench-front-desk", "config": CONFIG})
    agent.raise_for_status()
    agent_id = agent.json()["id"]
    (await http.post(f"/api/workspaces/{ws}/agents/{agent_id}/publish", json={})).raise_for_status()
    app = await http.post(f"/api/workspaces/{ws}/apps", json={"agent_id": agent_id, "name": "bench front desk"})
    app.raise_for_status()
    key = await http.post(f"/api/workspaces/{ws}/apps/{app.json()['id']}/keys", json={"name": "bench"})
    key.raise_for_status()
    return ws, agent_id, key.json()["key"]


async def overhead(http: httpx.AsyncClient, ws: str, agent_id: str, key: str, rounds: int) -> None:
    warm = await dify_turn(http, key, "warm-up")
    _, tokens = await console_turn(http, ws, agent_id)
    if tokens != warm.tokens:  # temperature 0, the same version: the same answer, or the comparison means nothing
        raise SystemExit(f"the two routes answered differently: {tokens} and {warm.tokens} tokens")
    dify_s, console_s = [], []
    for i in range(rounds):  # alternate, so drift in the machine's load falls on both alike
        console_s.append((await console_turn(http, ws, agent_id))[0])
        turn = await dify_turn(http, key, f"overhead-{i}")
        if not turn.ended:
            raise SystemExit(f"a Dify turn did not end: {turn}")
        dify_s.append(turn.total)
    c, d = statistics.median(console_s), statistics.median(dify_s)
    print(f"one streamed turn, {rounds} rounds alternating, medians")
    print(f"  console agent chat (direct)     {c * 1000:8.1f} ms")
    print(f"  Dify /v1/chat-messages          {d * 1000:8.1f} ms   {d / c:5.3f}× direct (target ≤ 1.05×)")


async def load(http: httpx.AsyncClient, key: str, users: int) -> None:
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(dify_turn(http, key, f"user-{i}") for i in range(users)))
    wall = time.perf_counter() - started
    answered = [o for o in outcomes if o.status == 200 and o.ended and o.error is None]
    limited = [o for o in outcomes if o.status == 429]
    failed = [o for o in outcomes if o not in answered and o not in limited]
    print(f"\n{users} streaming conversations at once: {wall:.1f} s wall")
    print(f"  complete answers {len(answered)}, 429 {len(limited)} "
          f"(all with Retry-After: {all(o.retry_after for o in limited)}), failures {len(failed)}")  # fmt: skip
    for o in failed[:5]:
        print(f"    failure: status {o.status}, ended {o.ended}, {o.error}")
    if answered:
        firsts = [o.first_text for o in answered if o.first_text is not None]
        totals = [o.total for o in answered]
        print(f"  first text p50 {percentile(firsts, 0.5):6.2f} s  p95 {percentile(firsts, 0.95):6.2f} s")
        print(f"  whole answer p50 {percentile(totals, 0.5):6.2f} s  p95 {percentile(totals, 0.95):6.2f} s")
    stored = 0
    for i, o in enumerate(outcomes):
        if o in answered:
            query = {"user": f"user-{i}", "conversation_id": o.conversation_id, "limit": 5}
            r = await http.get("/v1/messages", params=query, headers={"Authorization": f"Bearer {key}"})
            found = [m for m in r.json().get("data", []) if m["id"] == o.message_id]
            stored += bool(found) and found[0]["answer"] == "".join(o.answer)
    print(f"  answers stored and read back as streamed: {stored} of {len(answered)}")


async def measure(url: str, key: str, users: int, rounds: int) -> None:
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=DEADLINE,
                                 limits=limits) as http:  # fmt: skip
        ws, agent_id, app_key = await setup(http)
        await overhead(http, ws, agent_id, app_key, rounds)
        await load(http, app_key, users)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    raise_open_files(4 * args.users + 256)
    hezi = start_hezi(args.threads)
    try:
        asyncio.run(measure(hezi.url, hezi.key, args.users, args.rounds))
    finally:
        hezi.stop()


if __name__ == "__main__":
    main()
