"""Prefix sharing in the llama.cpp engine, on and off, under agent-shaped load (issue 15's first part).

Eight users of one agent arrive together: each first turn is the same ~600-token system prompt with two tool
schemas plus a distinct ~20-token question; then each sends a second turn. Measured in-process on the bundled
SmolLM2 (2 threads, 8 slots), sharing on and off in alternate rounds: time to first token p50/p95 per turn,
aggregate tokens/s, and one user alone. Prints each figure and the ratio on ÷ off.

    .venv/bin/python bench/prefix_sharing.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

from _hezi import RULES, percentile

from hezi.serving.bundled import smollm2_path
from hezi.serving.llamacpp.engine import Job, LlamaEngine, SamplingParams

TOOLS = [
    {"type": "function", "function": {"name": "search_catalogue", "description": "Find books in the catalogue.",
     "parameters": {"type": "object", "properties": {"title": {"type": "string"}, "author": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "reserve", "description": "Hold an item for five days.",
     "parameters": {"type": "object", "properties": {"item_id": {"type": "string"}}, "required": ["item_id"]}}},
]  # fmt: skip
QUESTIONS = [
    "When do you open on Saturday mornings?", "How many books may I borrow at once?",
    "Can I renew a book online twice?", "Are you open on Sunday afternoons?", "What does a late return cost?",
    "How do I replace a lost library card?", "How long can I book a study room?", "Can I reserve a book online?",
]  # fmt: skip


class Timed:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None
        self.tokens = 0
        self.ended = threading.Event()

    def token(self, text: str) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.start
        self.tokens += 1

    def done(self, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> None:
        self.tokens = completion_tokens
        self.ended.set()

    def error(self, code: str, message: str) -> None:
        raise SystemExit(f"{code}: {message}")


def turn(e: LlamaEngine, prompts: list[list[int]], max_tokens: int) -> tuple[list[float], float]:
    sinks = [Timed() for _ in prompts]
    began = time.perf_counter()
    for tokens, sink in zip(prompts, sinks, strict=True):
        e.submit(Job(tokens, SamplingParams(max_tokens=max_tokens, temperature=0), sink))
    for sink in sinks:
        sink.ended.wait()
    wall = time.perf_counter() - began
    return [s.first or wall for s in sinks], sum(s.tokens for s in sinks) / wall


def run(share: bool, max_tokens: int) -> dict[str, float]:
    path = smollm2_path()
    assert path is not None
    e = LlamaEngine(str(path), n_ctx_per_seq=2048, n_parallel=8, n_threads=2, share_prefixes=share)
    e.start()
    try:
        system = RULES * 3 + "Tools:\n" + json.dumps(TOOLS)
        head = f"<|im_start|>system\n{system}<|im_end|>\n"
        firsts = [e.tokenize(f"{head}<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n") for q in QUESTIONS]
        t1, tps1 = turn(e, firsts, max_tokens)
        seconds = [p + e.tokenize(f"Thanks.<|im_end|>\n<|im_start|>user\nAnd {q.lower()}<|im_end|>\n"
                                  "<|im_start|>assistant\n", add_special=False)
                   for p, q in zip(firsts, reversed(QUESTIONS), strict=True)]  # fmt: skip
        t2, tps2 = turn(e, seconds, max_tokens)
        alone, _ = turn(e, [e.tokenize(f"{head}<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n")],
                        max_tokens)  # fmt: skip
        return {"prompt_tokens": len(firsts[0]), "t1_p50": percentile(t1, 0.5), "t1_p95": percentile(t1, 0.95),
                "t2_p50": percentile(t2, 0.5), "t2_p95": percentile(t2, 0.95), "tps1": tps1, "tps2": tps2,
                "alone": alone[0], "copies": e.prefix_copies, "copied": e.tokens_copied}  # fmt: skip
    finally:
        e.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for r in range(args.rounds):
        for share in (True, False) if r % 2 == 0 else (False, True):
            results[share].append(run(share, args.max_tokens))
    on = {k: statistics.median(x[k] for x in results[True]) for k in results[True][0]}
    off = {k: statistics.median(x[k] for x in results[False]) for k in results[False][0]}
    print(
        f"8 users × {int(on['prompt_tokens'])}-token first turns, {args.rounds} rounds, medians; "
        f"sharing on: {int(on['copies'])} copies, {int(on['copied'])} tokens copied"
    )
    rows = [("first turn TTFT p50 s", "t1_p50"), ("first turn TTFT p95 s", "t1_p95"),
            ("second turn TTFT p50 s", "t2_p50"), ("second turn TTFT p95 s", "t2_p95"),
            ("first turn tokens/s", "tps1"), ("second turn tokens/s", "tps2"),
            ("one user alone TTFT s", "alone")]  # fmt: skip
    print(f"{'':26} {'on':>8} {'off':>8} {'on÷off':>7}")
    for label, key in rows:
        print(f"{label:26} {on[key]:8.3f} {off[key]:8.3f} {on[key] / off[key]:7.2f}")


if __name__ == "__main__":
    main()
