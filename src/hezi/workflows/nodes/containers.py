"""Containers: Iteration (its body once per item of an array, optionally several at a time) and Loop (its body
again and again until its break conditions hold, a loop-end node is reached, or loop_count rounds have run).

The body is the nodes whose `parent_id` is the container, entered at `start_node_id` (Dify's iteration-start or
loop-start node, or the first node of the body); the executor runs it (`NodeContext.body`). Inside, the body reads
the item as [iteration_id, "item"] and its number as [iteration_id, "index"]; a loop's variables are
[loop_id, label], which variable assigners in the body update between rounds.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read
from hezi.workflows.nodes.conditions import Condition, check
from hezi.workflows.pool import VariablePool

MAX_ITEMS = 10_000


class IterationData(NodeData):
    start_node_id: str | None = None
    iterator_selector: list[str] = Field(min_length=2)
    output_selector: list[str] = Field(min_length=2)
    is_parallel: bool = False
    parallel_nums: int = Field(default=10, ge=1, le=100)
    error_handle_mode: Literal["terminated", "continue-on-error", "remove-abnormal-output"] = "terminated"
    flatten_output: bool = True


class Iteration(NodeType[IterationData]):
    type = "iteration"
    Data = IterationData
    container = True

    def outputs(self) -> dict[str, VarType]:
        return {"output": "any"}

    def reads(self) -> list[Read]:
        return [Read("iterator_selector", self.data.iterator_selector, "array")]

    def body_variables(self) -> dict[str, VarType]:
        """What the body may read of the container itself."""
        return {"item": "any", "index": "number"}

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        assert ctx.body is not None and ctx.next is not None
        items = pool.get(self.data.iterator_selector, None)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise NodeFailed("The iteration's input must be an array.", code="not_an_array")
        if len(items) > MAX_ITEMS:
            raise NodeFailed(f"The iteration's input has more than {MAX_ITEMS} items.", code="too_many_items")
        d = self.data
        body, announce = ctx.body, ctx.next
        outputs: list[Any] = [None] * len(items)
        failed: set[int] = set()
        tokens = 0

        async def one(i: int, item: Any) -> None:
            nonlocal tokens
            child = pool.child()
            child.put(self.node.id, {"item": item, "index": i})
            try:
                result = await body(child, i)
            except NodeFailed:
                if d.error_handle_mode == "terminated":
                    raise
                failed.add(i)
                return
            tokens += result.tokens
            outputs[i] = result.pool.get(d.output_selector, None)

        if d.is_parallel and len(items) > 1:
            gate = asyncio.Semaphore(d.parallel_nums)

            async def gated(i: int, item: Any) -> None:
                async with gate:
                    announce(i, None)
                    await one(i, item)

            async with asyncio.TaskGroup() as group:
                for i, item in enumerate(items):
                    group.create_task(gated(i, item))
        else:
            for i, item in enumerate(items):
                announce(i, outputs[i - 1] if i else None)
                await one(i, item)
        if d.error_handle_mode == "remove-abnormal-output":
            outputs = [o for i, o in enumerate(outputs) if i not in failed]
        if d.flatten_output and outputs and all(isinstance(o, list) for o in outputs):
            outputs = [x for o in outputs for x in o]
        return NodeResult({"output": outputs}, inputs={"iterator_selector": items}, tokens=tokens)


class LoopVariable(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    var_type: Literal[
        "string", "number", "boolean", "object", "array[string]", "array[number]", "array[object]", "array[boolean]"
    ] = "string"
    value_type: Literal["variable", "constant"] = "constant"
    value: Any = None


class LoopData(NodeData):
    start_node_id: str | None = None
    loop_count: int = Field(default=10, ge=1, le=1000)
    break_conditions: list[Condition] = Field(default_factory=list)
    logical_operator: Literal["and", "or"] = "and"
    loop_variables: list[LoopVariable] = Field(default_factory=list)


class Loop(NodeType[LoopData]):
    type = "loop"
    Data = LoopData
    container = True

    def outputs(self) -> dict[str, VarType]:
        out: dict[str, VarType] = {v.label: v.var_type for v in self.data.loop_variables}
        return out | {"loop_round": "number"}

    def body_variables(self) -> dict[str, VarType]:
        return self.outputs() | {"index": "number"}

    def reads(self) -> list[Read]:
        return [
            Read(f"loop_variables.{n}.value", v.value)
            for n, v in enumerate(self.data.loop_variables)
            if v.value_type == "variable" and isinstance(v.value, list) and len(v.value) >= 2
        ]

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        assert ctx.body is not None and ctx.next is not None
        d = self.data
        state = pool.child()
        own: dict[str, Any] = {}
        for v in d.loop_variables:
            own[v.label] = (
                pool.get(v.value, None) if v.value_type == "variable" and isinstance(v.value, list) else v.value
            )
        state.put(self.node.id, own)
        inputs = dict(own)
        tokens = rounds = 0
        previous: Any = None
        while rounds < d.loop_count:
            if d.break_conditions and check(d.break_conditions, d.logical_operator, state):
                break
            own["index"] = rounds
            ctx.next(rounds, previous)
            result = await ctx.body(state.child(), rounds)
            tokens += result.tokens
            rounds += 1
            previous = {v.label: own.get(v.label) for v in d.loop_variables}
            if result.broke:
                break
            if d.break_conditions and check(d.break_conditions, d.logical_operator, result.pool):
                break
        out = {v.label: own.get(v.label) for v in d.loop_variables}
        return NodeResult(out | {"loop_round": rounds}, inputs=inputs, tokens=tokens)


class _Marker(NodeType[NodeData]):
    """Dify's iteration-start, loop-start and loop-end: structure, no work (a loop-end ends the loop's round)."""

    Data = NodeData

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        return NodeResult({})


class IterationStart(_Marker):
    type = "iteration-start"


class LoopStart(_Marker):
    type = "loop-start"


class LoopEnd(_Marker):
    type = "loop-end"

    def handles(self) -> list[str]:
        return []
