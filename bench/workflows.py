"""Workflow executor overhead per node: a run of a graph against calling the same node functions directly, measured
in the same process and run, alternating.

Two graphs of template-transform nodes (Jinja2 in the sandboxed environment, each reading the previous output):
- chain: start → 200 templates in a row → end;
- fan-out: start → 50 templates side by side → end (the executor runs them as parallel branches).
"direct" builds nothing per run and calls each node's `run(pool, ctx)` in a plain loop, in the same order, on the
same pool; "executor" is WorkflowRun on a Plan built once (as a service caches it per published version), events
consumed. Printed: the medians, the ratio executor ÷ direct, and the executor's overhead per node (target < 1 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import itertools

from hezi.workflows.context import WorkflowContext
from hezi.workflows.executor import WorkflowRun
from hezi.workflows.graph import Graph
from hezi.workflows.nodes import NodeContext
from hezi.workflows.plan import Plan, plan
from hezi.workflows.pool import VariablePool


def _template(node_id: str, source: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "template-transform",
        "data": {"variables": [{"variable": "x", "value_selector": [source, "output"]}], "template": "{{ x }}."},
    }


def chain_graph(n: int) -> Graph:
    nodes = [{"id": "start", "type": "start", "data": {"variables": []}}]
    nodes.append({"id": "t0", "type": "template-transform", "data": {"template": "a"}})
    nodes += [_template(f"t{i}", f"t{i - 1}") for i in range(1, n)]
    nodes.append(
        {
            "id": "end",
            "type": "end",
            "data": {"outputs": [{"variable": "o", "value_selector": [f"t{n - 1}", "output"]}]},
        }
    )
    ids = ["start"] + [f"t{i}" for i in range(n)] + ["end"]
    edges = [{"id": f"e{i}", "source": a, "target": b} for i, (a, b) in enumerate(itertools.pairwise(ids))]
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def fan_graph(n: int) -> Graph:
    nodes = [
        {"id": "start", "type": "start", "data": {"variables": []}},
        {"id": "seed", "type": "template-transform", "data": {"template": "a"}},
    ]
    nodes += [_template(f"t{i}", "seed") for i in range(n)]
    nodes.append(
        {
            "id": "end",
            "type": "end",
            "data": {"outputs": [{"variable": f"o{i}", "value_selector": [f"t{i}", "output"]} for i in range(n)]},
        }
    )
    edges = [{"id": "s", "source": "start", "target": "seed"}]
    edges += [{"id": f"a{i}", "source": "seed", "target": f"t{i}"} for i in range(n)]
    edges += [{"id": f"b{i}", "source": f"t{i}", "target": "end"} for i in range(n)]
    return Graph.model_validate({"nodes": nodes, "edges": edges})


def order(p: Plan) -> list[str]:
    """The nodes in an order the executor could run them (predecessors first)."""
    top = p.levels[None]
    indegree = {k: s.incoming for k, s in top.steps.items()}
    ready, out = [top.entry], []
    while ready:
        n = ready.pop(0)
        assert n is not None
        out.append(n)
        for t in top.steps[n].targets:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return out


async def direct(p: Plan, ctx: WorkflowContext, ids: list[str]) -> float:
    t0 = time.perf_counter()
    pool = VariablePool()
    for node_id in ids:
        step = p.steps[node_id]
        result = await step.built.run(pool, NodeContext(ctx, step.node, lambda text, sel: None))
        pool.put(node_id, result.outputs)
    return time.perf_counter() - t0


async def executor(p: Plan, ctx: WorkflowContext) -> float:
    t0 = time.perf_counter()
    run = WorkflowRun(p, ctx)
    async for _ in run.events():
        pass
    assert run.status == "succeeded", run.error
    return time.perf_counter() - t0


async def measure(name: str, g: Graph, rounds: int) -> None:
    p = plan(g)
    ctx = WorkflowContext(run=cast(Any, None))
    ids = order(p)
    await executor(p, ctx), await direct(p, ctx, ids)  # warm up
    ex, di = [], []
    for _ in range(rounds):
        ex.append(await executor(p, ctx))
        di.append(await direct(p, ctx, ids))
    e, d = statistics.median(ex), statistics.median(di)
    nodes = len(ids)
    print(f"{name}: {nodes} nodes, {rounds} rounds, medians")
    print(f"  direct (node.run in a plain loop)   {d * 1000:8.2f} ms   {d / nodes * 1e6:7.1f} µs/node")
    print(f"  executor (WorkflowRun, events read) {e * 1000:8.2f} ms   {e / d:5.2f}× direct")
    print(f"  executor overhead per node          {(e - d) / nodes * 1e6:8.1f} µs   (target: < 1000 µs)")


async def amain(rounds: int) -> None:
    await measure("chain of 200 templates", chain_graph(200), rounds)
    await measure("fan-out of 50 templates", fan_graph(50), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(amain(args.rounds))


if __name__ == "__main__":
    main()
