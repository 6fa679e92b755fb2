"""The code_interpreter tool: Python run in the sandbox (hezi.agents.sandbox), within the run's time left.

It answers {stdout, stderr, exit_code} and, when a limit stopped the program, `error` saying which. Like a
notebook, a program ending in an expression prints that expression's value, since small models often leave out
the print()."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from hezi.agents.sandbox import SandboxLimits, run_python
from hezi.agents.tools.base import ToolFailed, ToolResult
from hezi.errors import DomainError

if TYPE_CHECKING:
    from hezi.agents.context import RunContext

MIN_SECONDS = 1.0  # less time than this left in the run: not worth starting a sandbox


class CodeInterpreter:
    name = "code_interpreter"
    description = "Run Python code and get what it prints. Use print() to show results."

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "Python source code"}},
            "required": ["code"],
        }

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        code = args.get("code")
        if not isinstance(code, str) or not code.strip():
            raise ToolFailed("Give the Python code to run.")
        limits = SandboxLimits.from_settings(ctx.settings)
        wall = ctx.time_left(limits.wall_seconds)
        if wall < MIN_SECONDS:
            raise ToolFailed("No time is left to run code in this run.", code="timeout")
        try:
            result = await run_python(show_last_expression(code), limits.replace(wall_seconds=wall))
        except DomainError as exc:  # no sandbox here, or the code is too long: nothing ran
            raise ToolFailed(exc.message, code=exc.code) from None
        return ToolResult(result.as_json())


def show_last_expression(code: str) -> str:
    """`code` with its last statement, if a bare expression other than a print(), made to print its value (unless
    None), as a notebook shows it. Rewritten in place, on the same lines, so tracebacks keep their line numbers."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code  # Python, in the sandbox, says what is wrong
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or last.end_lineno is None or last.end_col_offset is None:
        return code
    call = last.value
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print":
        return code
    lines = [line + "\n" for line in code.split("\n")]
    if last.end_lineno > len(lines):
        return code  # line breaks other than \n and \r\n (a lone \r): leave it be
    start = _offset(lines, last.lineno, last.col_offset)
    end = _offset(lines, last.end_lineno, last.end_col_offset)
    if code[start:end] != ast.get_source_segment(code, last):
        return code
    shown = f"print(repr(_)) if (_ := ({code[start:end]})) is not None else None"
    return code[:start] + shown + code[end:]


def _offset(lines: list[str], lineno: int, utf8_col: int) -> int:
    """The string index of ast's (line, column): its columns count UTF-8 bytes, string indexes characters."""
    before = sum(len(line) for line in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode()[:utf8_col].decode(errors="ignore"))
