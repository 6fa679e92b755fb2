"""The calculator tool: arithmetic evaluated by walking Python's syntax tree, never `eval`.

Only numbers, + - * / // % **, unary signs, parentheses, a few math functions and the constants pi and e are
accepted; anything else (names, attributes, subscripts, strings) is refused. Sizes are capped before they are
computed, so `9**9**9` is refused at once instead of tying up the server.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hezi.agents.tools.base import ToolFailed, ToolResult

if TYPE_CHECKING:
    from hezi.agents.context import RunContext

MAX_CHARS = 500
MAX_INT_BITS = 10_000  # about 3,000 digits

Number = int | float
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "log": math.log,
    "exp": math.exp,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
# What people (and small models) type for the operators Python spells differently.
_SPELLINGS = str.maketrans({"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")", "，": ",", "^": "**"})


class Calculator:
    name = "calculator"
    description = "Calculate an arithmetic expression, e.g. (3+4)*2 or sqrt(16)."

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": {
                "expression": {
                    "type": "string",
                    "description": "e.g. 1234*5678",
                    # Only what an expression is made of: held to this by the grammar, a small model writes the
                    # expression and stops, where a free string (or letters) ran on into braces and prose.
                    "pattern": r"^(sqrt|log|abs|round|[-0-9(])([-0-9+*/(). %^,]|sqrt|log|exp|abs|round|pi){0,79}$",
                }
            },
            "required": ["expression"],
        }

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        expression = args.get("expression")
        if not isinstance(expression, str) or not expression.strip():
            raise ToolFailed("Give the expression to calculate, e.g. (3+4)*2.")
        return ToolResult(calculate(expression))


def calculate(expression: str) -> str:
    """The value of `expression` as text; ToolFailed saying what is wrong with it."""
    text = expression.translate(_SPELLINGS).strip().rstrip("=").strip()
    if len(text) > MAX_CHARS:
        raise ToolFailed(f"The expression is longer than {MAX_CHARS} characters.")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ToolFailed(
            f"Not an arithmetic expression: {expression!r}. Use numbers, + - * / // % ** and parentheses."
        ) from None
    try:
        value = _eval(tree.body)
    except ZeroDivisionError:
        raise ToolFailed("Division by zero.") from None
    except (OverflowError, RecursionError, MemoryError):
        raise ToolFailed("The result is too large.") from None
    except (ValueError, TypeError) as exc:
        raise ToolFailed(f"Cannot calculate {expression!r}: {exc}.") from None
    return _format(value)


def _eval(node: ast.expr) -> Number:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _real(node.value)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _real(_UNARY[type(node.op)](_eval(node.operand)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        _check_size(node.op, left, right)
        return _real(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        if node.keywords:
            raise ToolFailed(f"{node.func.id}() takes only plain arguments.")
        return _real(FUNCTIONS[node.func.id](*(_eval(arg) for arg in node.args)))
    unknown = node.func if isinstance(node, ast.Call) else node
    if isinstance(unknown, ast.Name):
        raise ToolFailed(
            f"Unknown name {unknown.id!r}. Functions: {', '.join(FUNCTIONS)}; constants: {', '.join(CONSTANTS)}."
        )
    raise ToolFailed("Only numbers, + - * / // % **, parentheses and the calculator's functions are allowed.")


def _check_size(op: ast.operator, left: Number, right: Number) -> None:
    """Refuse an integer result too large to be worth computing, before computing it."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return
    if isinstance(op, ast.Pow):
        if right > 0 and abs(left) > 1 and (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
            raise ToolFailed(f"The result is too large (more than about {MAX_INT_BITS * 3 // 10:,} digits).")
    elif isinstance(op, ast.Mult) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise ToolFailed(f"The result is too large (more than about {MAX_INT_BITS * 3 // 10:,} digits).")


def _real(value: Any) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolFailed("The result is not a real number.")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolFailed(f"The result is too large (more than about {MAX_INT_BITS * 3 // 10:,} digits).")
    return value


def _format(value: Number) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ToolFailed("The result is not a finite number.")
    return f"{value:.15g}"
