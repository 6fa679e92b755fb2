"""Agent-shaped load: hezi against llama.cpp's own server on the same GGUF, prompts and threads (issue 15).

    .venv/bin/python bench/agent_load.py [--rounds 3] [--anchor llama-server] [--unified] [--anchor-args '-fa off']
                                                           (make bench-anchor builds llama-server)

Eight users of one agent arrive at once. Each first turn is the same ~600-token system prompt (the agent's rules
and two tool schemas) and a distinct ~20-token question; when all have answered, each sends a second turn that
continues its own conversation. Both servers get the same raw ChatML prompts on /v1/completions (so the same
tokens), temperature 0, 64 tokens per answer. Measured per turn: time to first token p50/p95; and aggregate
tokens/s over both turns. hezi runs twice: *cold* (the prefix shared across sequences as the users arrive) and
*warmed* (the prefix computed ahead, as publishing an agent does). Each round starts its system prompt with a word
no earlier prompt had, so no cache carries over between rounds or servers; the three sides alternate within a
round, so the machine's drift falls on each alike. hezi's deployment is as it comes (a KV cache per sequence, flash
attention off on the CPU: decision 0025); `--unified` measures one KV cache for all (decision 0024). llama-server
runs as it comes too (flash attention on); `--anchor-args '-fa off'` matches its attention. Also: one user alone,
and the raw single stream of hezi's gateway ÷ llama.cpp decoding in this process (serving.py's baseline), so a
regression shows.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import statistics
import time
from dataclasses import dataclass

import httpx
from _hezi import RULES, percentile, start_hezi, stream_completion

from serving import DEFAULT_ANCHOR, PROMPTS, Direct, _openers, fresh, server_stream, start_anchor

TOOLS = [
    {"type": "function", "function": {"name": "search_catalogue", "description": "Find books in the catalogue by "
     "title or author; returns item ids, shelf marks and whether each copy is on loan.",
     "parameters": {"type": "object", "properties": {"title": {"type": "string"}, "author": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "reserve", "description": "Hold an item for the member for five days.",
     "parameters": {"type": "object", "properties": {"item_id": {"type": "string"}}, "required": ["item_id"]}}},
]  # fmt: skip
QUESTIONS = [
    "When do you open on Saturday mornings, and until when?", "How many books may I borrow at once as a member?",
    "Can I renew a book online twice if nobody reserved it?", "Are you open on Sunday afternoons in the summer?",
    "What does a late return cost per day for one book?", "How do I replace a lost library card, and at what cost?",
    "How long can I book a study room for my exam group?", "Can I reserve a book online that is on loan right now?",
]  # fmt: skip
FOLLOW_UP = "Thanks. And can I do that on a public holiday too?"
ANSWER_TOKENS = 64


def system_prompt(opener: str) -> str:
    return f"{opener}. {RULES * 3}Tools:\n{json.dumps(TOOLS)}"


def chatml(system: str, turns: list[tuple[str, str | None]]) -> str:
    out = f"<|im_start|>system\n{system}<|im_end|>\n"
    for question, answer in turns:
        out += f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
        if answer is not None:
            out += f"{answer}<|im_end|>\n"
    return out


@dataclass
class Answer:
    text: str
    tokens: int
    first: float  # seconds to the first token


def complete(url: str, key: str, prompt: str, http: httpx.Client | None = None) -> Answer:
    s = stream_completion(url, key, prompt, ANSWER_TOKENS, http, cache_prompt=True)
    return Answer(s.text, s.tokens, s.first)


# One client per user, made before the users send: each user is a browser of their own, not a thread that first
# spends ~20 ms of CPU building an HTTP client (eight of them at once spread the arrivals over ~0.2 s).
USERS = [httpx.Client(timeout=600, verify=False) for _ in QUESTIONS]


def together(url: str, key: str, prompts: list[str]) -> tuple[list[Answer], float]:
    with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
        start = time.perf_counter()
        answers = list(pool.map(lambda a: complete(url, key, a[0], a[1]), zip(prompts, USERS, strict=True)))
        return answers, time.perf_counter() - start


@dataclass
class Session:
    first: list[float]
    second: list[float]
    tokens: int
    wall: float


def session(url: str, key: str, system: str) -> Session:
    """Eight users: first turns at once, then second turns at once."""
    firsts, wall1 = together(url, key, [chatml(system, [(q, None)]) for q in QUESTIONS])
    seconds, wall2 = together(
        url, key, [chatml(system, [(q, a.text), (FOLLOW_UP, None)]) for q, a in zip(QUESTIONS, firsts, strict=True)]
    )
    tokens = sum(a.tokens for a in firsts + seconds)
    return Session([a.first for a in firsts], [a.first for a in seconds], tokens, wall1 + wall2)


def warm(hezi_socket: str, system: str) -> None:
    """What publishing an agent does: its prompt computed ahead into a pinned sequence; waits until it is."""
    transport = httpx.HTTPTransport(uds=hezi_socket)
    with httpx.Client(transport=transport, base_url="http://worker", timeout=60) as worker:
        before = worker.get("/health").json()["warmed"]
        r = worker.post("/warm", json={"key": "bench", "prompt": f"<|im_start|>system\n{system}<|im_end|>\n"})
        r.raise_for_status()
        deadline = time.monotonic() + 120
        while worker.get("/health").json()["warmed"] == before:
            if time.monotonic() > deadline:
                raise SystemExit("the prefix was not warmed in 120 s")
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--anchor", help=f"a llama-server binary (default {DEFAULT_ANCHOR})")
    parser.add_argument("--unified", action="store_true", help="hezi with one KV cache for all (kv_unified)")
    parser.add_argument("--anchor-args", default="", help="more llama-server flags, e.g. '-fa off'")
    args = parser.parse_args()
    anchor_bin = args.anchor or (str(DEFAULT_ANCHOR) if os.access(DEFAULT_ANCHOR, os.X_OK) else None)
    if anchor_bin is None:
        raise SystemExit("llama-server is not built: run `make bench-anchor` first")

    direct = Direct(args.threads)
    _openers.extend(direct.openers(10 + args.rounds * 10))
    hezi = start_hezi(args.threads, deployment={"kv_unified": args.unified})
    anchor = start_anchor(anchor_bin, args.threads, args.anchor_args.split())
    sides: dict[str, list[Session]] = {"hezi cold": [], "hezi warmed": [], "llama-server": []}
    alone: dict[str, list[Answer]] = {"hezi": [], "llama-server": []}
    raw: list[tuple[float, float]] = []
    raw_fresh: list[tuple[float, float]] = []
    try:
        for url, key in ((hezi.url, hezi.key), (anchor[1], "none")):  # every side reads a prompt once
            complete(url, key, fresh(PROMPTS[0]))
        for _ in range(args.rounds):  # before any load: the raw single stream as serving.py measures it
            g = server_stream(hezi.url, hezi.key, fresh(PROMPTS[0]), 128)
            d = direct.generate(fresh(PROMPTS[0]), 128)
            raw_fresh.append((g[0] / g[1], d[0] / d[1]))
        for _ in range(args.rounds):
            sides["hezi cold"].append(session(hezi.url, hezi.key, system_prompt(_openers.pop())))
            system = system_prompt(_openers.pop())
            warm(str(hezi.chat_socket), system)
            sides["hezi warmed"].append(session(hezi.url, hezi.key, system))
            sides["llama-server"].append(session(anchor[1], "none", system_prompt(_openers.pop())))
            for name, (url, key) in (("hezi", (hezi.url, hezi.key)), ("llama-server", (anchor[1], "none"))):
                alone[name].append(complete(url, key, chatml(system_prompt(_openers.pop()), [(QUESTIONS[0], None)])))
            g = server_stream(hezi.url, hezi.key, fresh(PROMPTS[0]), 128)
            d = direct.generate(fresh(PROMPTS[0]), 128)
            raw.append((g[0] / g[1], d[0] / d[1]))
    finally:
        hezi.stop()
        anchor[0].terminate()
        anchor[0].wait(timeout=30)

    def p(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000

    print(f"# agent-shaped load — SmolLM2-135M, {args.threads} threads, 8 users × 2 turns, ~600-token shared "
          f"system prompt, {ANSWER_TOKENS} tokens per answer, {args.rounds} rounds (medians of rounds); hezi's KV "
          f"cache {'unified' if args.unified else 'a stream per sequence'}; "
          f"llama-server {args.anchor_args or 'as it comes'}")  # fmt: skip
    figures: dict[str, dict[str, float]] = {}
    for name, runs in sides.items():
        f = {
            "t1_p50": statistics.median(p(s.first, 0.5) for s in runs),
            "t1_p95": statistics.median(p(s.first, 0.95) for s in runs),
            "t2_p50": statistics.median(p(s.second, 0.5) for s in runs),
            "t2_p95": statistics.median(p(s.second, 0.95) for s in runs),
            "tps": statistics.median(s.tokens / s.wall for s in runs),
        }
        figures[name] = f
        print(f"{name:13s} first turn TTFT p50 {f['t1_p50']:7.0f} ms p95 {f['t1_p95']:7.0f} ms | second turn p50 "
              f"{f['t2_p50']:6.0f} ms p95 {f['t2_p95']:6.0f} ms | {f['tps']:6.1f} tok/s")  # fmt: skip
    a = figures["llama-server"]
    for name in ("hezi cold", "hezi warmed"):
        h = figures[name]
        print(f"{name} ÷ llama-server: first-turn p95 TTFT {h['t1_p95'] / a['t1_p95']:.2f}× (target <= 0.5), "
              f"second-turn p95 TTFT {h['t2_p95'] / a['t2_p95']:.2f}× (target <= 0.5), "
              f"tokens/s {h['tps'] / a['tps']:.2f}× (target >= 1.0)")  # fmt: skip
    ttft_alone = {k: statistics.median(x.first for x in v) * 1000 for k, v in alone.items()}
    print(f"one user alone: first token hezi {ttft_alone['hezi']:.0f} ms, llama-server {ttft_alone['llama-server']:.0f}"
          f" ms (hezi ÷ llama-server {ttft_alone['hezi'] / ttft_alone['llama-server']:.2f}×)")  # fmt: skip
    fresh_ratio = statistics.median(g / d for g, d in raw_fresh)
    ratio = statistics.median(g / d for g, d in raw)
    why = " (eight conversations still cached: every token attends over their cells until dropped, 180 s idle)"
    print(f"raw single stream: hezi's gateway ÷ llama.cpp in-process {fresh_ratio:.2f} before the load (0.98 before "
          f"issue 15), {ratio:.2f} right after it{why if args.unified else ''}")  # fmt: skip


if __name__ == "__main__":
    main()
