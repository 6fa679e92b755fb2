"""Dify's metadata filtering conditions (`retrieval_model.metadata_filtering_conditions`) as hezi's metadata filters.

Values are typed by the field a condition names — a number field compares numbers, a time field unix seconds (an
ISO 8601 text is read as a time) — so "≥ 2024" on a number field never compares text with a number."""

from __future__ import annotations

from typing import Any, Literal

from hezi.api.dify import schemas as dify
from hezi.errors import InvalidInput
from hezi.knowledge.metadata_fields import BUILT_IN, Field, FieldType, typed
from hezi.knowledge.schemas import MetadataCondition

_OPS = {
    "contains": "contains", "not contains": "not_contains", "start with": "starts_with", "end with": "ends_with",
    "is": "eq", "=": "eq", "is not": "ne", "≠": "ne", "!=": "ne", "empty": "not_exists", "not empty": "exists",
    ">": "gt", "<": "lt", "≥": "gte", ">=": "gte", "≤": "lte", "<=": "lte", "before": "lt", "after": "gt",
    "in": "in", "not in": "not_in",
}  # fmt: skip
_TEXT_OPS = {"contains", "not_contains", "starts_with", "ends_with"}


def filters(
    asked: dify.MetadataFilteringConditions, fields: list[Field]
) -> tuple[list[MetadataCondition], Literal["all", "any"]]:
    types: dict[str, FieldType] = {**BUILT_IN, **{f.name: f.type for f in fields}}
    out = []
    for i, c in enumerate(asked.conditions):
        op = _OPS.get(c.comparison_operator.strip().lower())
        if op is None:
            where = ["retrieval_model", "metadata_filtering_conditions", "conditions", i, "comparison_operator"]
            raise InvalidInput(
                f"Unknown comparison_operator {c.comparison_operator!r}.",
                code="invalid_param",
                details=[{"loc": where, "msg": "unknown operator", "type": "value_error"}],
            )
        value = _value(op, c.value, types.get(c.name), c.name)
        out.append(MetadataCondition.model_validate({"key": c.name, "op": op, "value": value}))
    return out, "any" if asked.logical_operator == "or" else "all"


def _value(op: str, value: Any, type_: FieldType | None, name: str) -> Any:
    if op in ("exists", "not_exists"):
        return None
    if value is None:
        raise InvalidInput(f"The condition on {name!r} needs a value.", code="invalid_param")
    if op in _TEXT_OPS:
        return str(value)
    if op in ("in", "not_in"):
        items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
        return [_one(v, type_, name) for v in items]
    return _one(value, type_, name)


def _one(value: Any, type_: FieldType | None, name: str) -> Any:
    if type_ is None:  # a key no field declares (set in the console): compared as sent
        return value
    return typed(type_, value, name)
