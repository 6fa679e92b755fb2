"""A published chatflow's first turn, its LLM's prompt computed ahead on publish, against the same chatflow's first
turn with nothing computed ahead, measured in the same run, alternating.

    .venv/bin/python bench/workflow_warming.py [--rounds 3]

On the bundled SmolLM2 (2 threads) through a running hezi, as deployed by default (2 pinned prefixes). Each round
makes two chatflows, start → LLM → answer, whose system prompt is the library agent's rules (~390 tokens) with a
word no earlier prompt had in front, then the question as a variable. One is published (hezi warms its prompt up to
the variable) and asked once the worker has computed it; the other is asked as a draft (the builder's preview,
which is never warmed). Measured: time to the first text event of the console's chat stream, and the whole turn
(8 tokens). Printed: the medians and warmed ÷ cold.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from typing import Any

import httpx
from _hezi import RULES, SMOLLM2_NAME, start_hezi

QUESTION = "Are you open on Sunday afternoons?"


def chatflow(opener: str) -> dict[str, Any]:
    llm = {"model": {"provider": "", "name": SMOLLM2_NAME, "mode": "chat",
                     "completion_params": {"max_tokens": 8, "temperature": 0}},
           "prompt_template": [{"role": "system", "text": f"{opener}. {RULES * 3}The member asks: {{{{#sys.query#}}}}"},
                               {"role": "user", "text": "{{#sys.query#}}"}]}  # fmt: skip
    nodes = [{"id": "start", "type": "start", "data": {"variables": []}}, {"id": "llm", "type": "llm", "data": llm},
             {"id": "answer", "type": "answer", "data": {"answer": "{{#llm.text#}}"}}]  # fmt: skip
    edges = [{"id": "e1", "source": "start", "target": "llm"}, {"id": "e2", "source": "llm", "target": "answer"}]
    return {"mode": "chatflow", "workflow": {"mode": "chatflow", "nodes": nodes, "edges": edges}}


def warmed_count(http: httpx.Client) -> int:
    models = http.get("/api/models").json()["data"]
    stats = next(m for m in models if m["name"] == SMOLLM2_NAME)["deployment"].get("prefix_cache") or {}
    return int(stats.get("warmed", 0))


def turn(http: httpx.Client, ws: str, agent_id: str, preview: bool) -> tuple[float, float]:
    """(seconds to the first text event, seconds to the end) of one turn through the console's chat stream."""
    start = time.perf_counter()
    first = None
    body = {"query": QUESTION, "preview": preview}
    with http.stream("POST", f"/api/workspaces/{ws}/agents/{agent_id}/chat", json=body) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            if event["event"] == "text" and first is None:
                first = time.perf_counter() - start
            if event["event"] == "error":
                raise SystemExit(f"the chatflow failed: {event}")
    total = time.perf_counter() - start
    return first or total, total


def made(http: httpx.Client, ws: str, name: str) -> str:
    r = http.post(f"/api/workspaces/{ws}/agents", json={"name": name, "config": chatflow(uuid.uuid4().hex[:10])})
    r.raise_for_status()
    return str(r.json()["id"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    hezi = start_hezi(2, parallel=2)
    try:
        with httpx.Client(base_url=hezi.url, headers={"Authorization": f"Bearer {hezi.key}"}, timeout=300) as http:
            ws = http.get("/api/auth/me").json()["workspaces"][0]["id"]
            turn(http, ws, made(http, ws, "bench-first"), preview=True)  # the first request's costs, out of the way
            results: dict[str, list[tuple[float, float]]] = {"warmed": [], "cold": []}
            for r in range(args.rounds):
                published, draft = made(http, ws, f"bench-published-{r}"), made(http, ws, f"bench-draft-{r}")
                before = warmed_count(http)
                http.post(f"/api/workspaces/{ws}/agents/{published}/publish", json={}).raise_for_status()
                deadline = time.monotonic() + 120
                while warmed_count(http) <= before:
                    if time.monotonic() > deadline:
                        raise SystemExit("the published chatflow's prompt was never computed")
                    time.sleep(0.1)
                order = [("warmed", published, False), ("cold", draft, True)]
                for label, agent_id, preview in order if r % 2 == 0 else order[::-1]:
                    results[label].append(turn(http, ws, agent_id, preview))
    finally:
        hezi.stop()

    def med(label: str, i: int) -> float:
        return statistics.median(x[i] for x in results[label]) * 1000

    print(f"# a chatflow's first turn — SmolLM2-135M, 2 threads, ~390-token system prompt, {args.rounds} rounds")
    for label in ("warmed", "cold"):
        print(f"{label:7} first text {med(label, 0):7.0f} ms   whole turn {med(label, 1):7.0f} ms")
    print(f"warmed ÷ cold: first text {med('warmed', 0) / med('cold', 0):.2f}×, "
          f"whole turn {med('warmed', 1) / med('cold', 1):.2f}×")  # fmt: skip


if __name__ == "__main__":
    main()
