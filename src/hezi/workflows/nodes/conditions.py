"""Dify's conditions (if/else cases, loop break conditions): a variable, a comparison operator, a value (text that
may hold {{#node.var#}} references, or a list for `in`/`all of`), combined by `and`/`or`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.workflows.pool import MISSING, VariablePool

Operator = Literal[
    "contains", "not contains", "start with", "end with", "is", "is not", "empty", "not empty", "in", "not in",
    "all of", "=", "≠", ">", "<", "≥", "≤", "null", "not null", "exists", "not exists",
]  # fmt: skip
UNARY = ("empty", "not empty", "null", "not null", "exists", "not exists")


class Condition(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    variable_selector: list[str] = Field(min_length=2)
    comparison_operator: Operator
    value: str | int | float | bool | list[str] | None = None
    var_type: str | None = Field(default=None, alias="varType")


class ConditionFailed(ValueError):
    pass


def check(conditions: Sequence[Condition], logical_operator: str, pool: VariablePool) -> bool:
    """Whether the conditions hold together (all for "and", any for "or"); none hold trivially for "and"."""
    if logical_operator == "or":
        return any(_holds(c, pool) for c in conditions)
    return all(_holds(c, pool) for c in conditions)


def _holds(c: Condition, pool: VariablePool) -> bool:
    actual = pool.get(c.variable_selector, MISSING)
    op = c.comparison_operator
    if op == "exists":
        return actual is not MISSING and actual is not None
    if op == "not exists":
        return actual is MISSING or actual is None
    if actual is MISSING:
        actual = None
    if op in ("empty", "null"):
        return actual is None or (op == "empty" and actual in ("", [], {}))
    if op in ("not empty", "not null"):
        return not (actual is None or (op == "not empty" and actual in ("", [], {})))
    expected = c.value
    if isinstance(expected, str):
        expected = pool.render(expected)
    return _compare(op, actual, expected)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op in ("=", "≠", ">", "<", "≥", "≤"):
        a, b = _number(actual), _number(expected)
        if a is None or b is None:
            return op == "≠"
        return {"=": a == b, "≠": a != b, ">": a > b, "<": a < b, "≥": a >= b, "≤": a <= b}[op]
    if op in ("is", "is not"):
        same = _same(actual, expected)
        return same if op == "is" else not same
    if op in ("contains", "not contains"):
        found = _contains(actual, expected)
        return found if op == "contains" else not found
    if op == "start with":
        return isinstance(actual, str) and actual.startswith(str(expected or ""))
    if op == "end with":
        return isinstance(actual, str) and actual.endswith(str(expected or ""))
    options = expected if isinstance(expected, list) else [expected]
    if op in ("in", "not in"):
        inside = actual in options or (actual is not None and str(actual) in [str(o) for o in options])
        return inside if op == "in" else not inside
    if op == "all of":
        have = actual if isinstance(actual, list) else [actual]
        return all(o in have or str(o) in [str(h) for h in have] for o in options)
    raise ConditionFailed(f"Unknown comparison operator {op!r}.")


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool):
        return str(expected).lower() == ("true" if actual else "false")
    if isinstance(actual, int | float) and not isinstance(expected, bool):
        n = _number(expected)
        return n is not None and float(actual) == n
    if actual is None:
        return expected in (None, "")
    return str(actual) == str(expected) if not isinstance(actual, dict | list) else actual == expected


def _contains(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if isinstance(actual, str):
        return str(expected or "") in actual
    if isinstance(actual, list):
        return expected in actual or str(expected) in [str(a) for a in actual]
    if isinstance(actual, dict):
        return str(expected) in actual
    return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None
