"""Code: Dify's `def main(...) -> dict` in Python, run in the agents' sandbox (no network, no host files, CPU,
memory and time limits); its arguments are the node's variables and its result is checked against the declared
outputs' types."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.agents.sandbox import SandboxLimits, run_python
from hezi.errors import DomainError
from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read, VariableSelector
from hezi.workflows.pool import VariablePool, conforms

MARKER = "<<hezi-code-result>>"
# The program the sandbox runs: the node's code, then main called with the variables (a JSON text, read back with
# json.loads so nothing of the user's data is ever Python source) and its result printed after a marker.
HARNESS = """
import json as __json
__args = __json.loads({args!r})
__result = main(**__args)
if not isinstance(__result, dict):
    raise TypeError("main() must return a dict, not " + type(__result).__name__)
print({marker!r} + __json.dumps(__result, ensure_ascii=False))
"""

OutputType = Literal[
    "string", "number", "boolean", "object", "array[string]", "array[number]", "array[object]", "array[boolean]",
]  # fmt: skip


class CodeOutput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: OutputType
    children: dict[str, CodeOutput] | None = None


class CodeData(NodeData):
    variables: list[VariableSelector] = Field(default_factory=list)
    code_language: Literal["python3"] = "python3"
    code: str = Field(min_length=1)
    outputs: dict[str, CodeOutput] = Field(default_factory=dict)


class Code(NodeType[CodeData]):
    type = "code"
    Data = CodeData

    def outputs(self) -> dict[str, VarType]:
        return {name: o.type for name, o in self.data.outputs.items()}

    def reads(self) -> list[Read]:
        return [Read(f"variables.{n}.value_selector", v.value_selector) for n, v in enumerate(self.data.variables)]

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        args = {v.variable: pool.get(v.value_selector, None) for v in self.data.variables}
        program = self.data.code + "\n" + HARNESS.format(args=json.dumps(args, ensure_ascii=False), marker=MARKER)
        run = ctx.wf.run
        limits = SandboxLimits.from_settings(run.settings)
        wall = run.time_left(limits.wall_seconds)
        if wall < 0.5:
            raise NodeFailed("No time is left to run code in this run.", code="timeout")
        try:
            result = await run_python(program, limits.replace(wall_seconds=wall))
        except DomainError as exc:
            raise NodeFailed(exc.message, code=exc.code) from None
        if result.error:
            raise NodeFailed(result.error, code=result.limit or "sandbox_limit")
        out_line = next((line for line in reversed(result.stdout.splitlines()) if line.startswith(MARKER)), None)
        if result.exit_code != 0 or out_line is None:
            raise NodeFailed(_last_error(result.stderr) or "The code ended without a result.", code="code_error")
        outputs = json.loads(out_line[len(MARKER) :])
        return NodeResult(self.check(outputs), inputs=args, process_data={"stdout": _printed(result.stdout)})

    def check(self, outputs: dict[str, Any]) -> dict[str, Any]:
        """The declared outputs, each of its type (all of them, when none are declared)."""
        if not self.data.outputs:
            return outputs
        return {name: _checked(name, outputs.get(name), o) for name, o in self.data.outputs.items()}


def _checked(name: str, value: Any, declared: CodeOutput) -> Any:
    if value is None:
        return None
    if declared.type == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if not conforms(value, declared.type):
        raise NodeFailed(f"Output {name} must be {declared.type}, not {type(value).__name__}.", code="output_type")
    if declared.children and isinstance(value, dict):
        for key, child in declared.children.items():
            value[key] = _checked(f"{name}.{key}", value.get(key), child)
    return value


def _printed(stdout: str) -> str:
    return "\n".join(line for line in stdout.splitlines() if not line.startswith(MARKER))


def _last_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
