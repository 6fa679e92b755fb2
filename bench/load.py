"""Load test: many concurrent streaming chat completions on the bundled model; overload must answer 429, never 5xx.

    .venv/bin/python bench/load.py [--concurrency 300 1000] [--max-tokens 32] [--time-limit 300]

It starts `hezi serve` on a private data directory with the bundled SmolLM2 deployed (8 parallel sequences, the
default queue), then for each level fires that many streaming /v1/chat/completions at once over loopback, each
on its own connection, and prints the count of each status, the p50/p95 time to first token of those answered,
and whether every 429 said when to retry. Exits 1 if any request got a 5xx or no answer at all.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _hezi import SMOLLM2_NAME, percentile, raise_open_files, start_hezi


@dataclass
class Result:
    status: str  # the HTTP status, or the name of the error for a request that got none
    ttft: float | None = None  # seconds to the first content of an answered stream
    retry_after: bool = False
    complete: bool = False  # the stream ended with [DONE]


async def one(http: httpx.AsyncClient, i: int, max_tokens: int) -> Result:
    body = {
        "model": SMOLLM2_NAME,
        "messages": [{"role": "user", "content": f"Request {i}: tell me a short story about a lighthouse."}],
        "max_tokens": max_tokens,
        "stream": True,
    }
    start = time.perf_counter()
    try:
        async with http.stream("POST", "/v1/chat/completions", json=body) as r:
            if r.status_code != 200:
                await r.aread()
                return Result(str(r.status_code), retry_after="retry-after" in r.headers)
            result = Result("200")
            async for line in r.aiter_lines():
                if line == "data: [DONE]":
                    result.complete = True
                elif line.startswith("data: {") and result.ttft is None:
                    chunk = json.loads(line[6:])
                    if chunk.get("choices") and chunk["choices"][0].get("delta", {}).get("content"):
                        result.ttft = time.perf_counter() - start
            return result
    except httpx.HTTPError as exc:
        return Result(type(exc).__name__)


async def level(url: str, key: str, n: int, max_tokens: int, time_limit: float) -> tuple[list[Result], float]:
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    timeout = httpx.Timeout(time_limit, connect=60)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout, headers=headers) as http:
        start = time.perf_counter()
        tasks = [asyncio.create_task(one(http, i, max_tokens)) for i in range(n)]
        done, pending = await asyncio.wait(tasks, timeout=time_limit)
        for t in pending:
            t.cancel()
        wall = time.perf_counter() - start
        results = [t.result() for t in done] + [Result("no answer in time") for _ in pending]
    return results, wall


def report(n: int, results: list[Result], wall: float) -> bool:
    """Prints one level's figures; True if it passed (no 5xx, every request answered)."""
    counts = collections.Counter(r.status for r in results)
    ttfts = [r.ttft for r in results if r.ttft is not None]
    refused = [r for r in results if r.status == "429"]
    incomplete = sum(1 for r in results if r.status == "200" and not r.complete)
    by_status = ", ".join(f"{s}: {c}" for s, c in sorted(counts.items()))
    print(f"{n:5d} concurrent  {by_status}  ({wall:.1f} s)")
    if ttfts:
        print(f"      first token p50 {percentile(ttfts, 0.5):.2f} s, p95 {percentile(ttfts, 0.95):.2f} s "
              f"(of {len(ttfts)} answered)")  # fmt: skip
    if refused:
        print(f"      429s with Retry-After: {sum(r.retry_after for r in refused)} of {len(refused)}")
    if incomplete:
        print(f"      streams answered 200 but cut short: {incomplete}")
    failed = sum(c for s, c in counts.items() if not s.isdigit() or s.startswith("5"))
    return failed == 0 and incomplete == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds each level may take")
    parser.add_argument("--threads", type=int, help="the chat model's threads (default: as hezi deploys it)")
    args = parser.parse_args()
    # Each request is a socket here and one in hezi (which inherits this limit), plus hezi's own files.
    limit = raise_open_files(2 * max(args.concurrency) + 1024)
    if limit < 2 * max(args.concurrency) + 256:
        raise SystemExit(f"the open-file limit is {limit}: too low for {max(args.concurrency)} connections")

    hezi = start_hezi(args.threads)
    ok = True
    try:
        print(f"# load test — SmolLM2-135M, 8 sequences, streaming chat, max_tokens {args.max_tokens}, loopback")
        for n in args.concurrency:
            results, wall = asyncio.run(level(hezi.url, hezi.key, n, args.max_tokens, args.time_limit))
            ok = report(n, results, wall) and ok
    finally:
        hezi.stop()
    print("PASS: no 5xx, every request answered" if ok else "FAIL: some requests got a 5xx or no answer")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
