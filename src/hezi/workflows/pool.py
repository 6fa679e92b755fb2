"""The variable pool of a run: every node's outputs by node id, the system's (`sys`), the workflow's constants
(`env`) and the chat's variables (`conversation`), read by selector and rendered into text by reference.

A container (iteration, loop) runs its body on a child pool: what the body's nodes write stays in the child, what
the child cannot find it reads from its parent. Values are plain JSON-able Python (str, int/float, bool, dict, list,
None), so a paused run's pool is stored as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hezi.workflows.graph import REFERENCE, VarType

MISSING: Any = object()  # what get() answers, when asked to, for a variable that has no value
_RAISE: Any = object()


class VariablePool:
    __slots__ = ("parent", "values")

    def __init__(self, values: dict[str, dict[str, Any]] | None = None, parent: VariablePool | None = None) -> None:
        self.values: dict[str, dict[str, Any]] = values if values is not None else {}
        self.parent = parent

    def child(self) -> VariablePool:
        return VariablePool({}, self)

    def get(self, selector: Sequence[str], default: Any = _RAISE) -> Any:
        """The value a selector names ([node, variable, key…]); `default` (or KeyError) when there is none."""
        pool: VariablePool | None = self
        while pool is not None:
            outputs = pool.values.get(selector[0])
            if outputs is not None and selector[1] in outputs:
                value = outputs[selector[1]]
                for key in selector[2:]:
                    if isinstance(value, dict) and key in value:
                        value = value[key]
                    elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                        value = value[int(key)]
                    else:
                        value = MISSING
                        break
                if value is not MISSING:
                    return value
                break
            pool = pool.parent
        if default is _RAISE:
            raise KeyError(".".join(selector))
        return default

    def has(self, selector: Sequence[str]) -> bool:
        return self.get(selector, MISSING) is not MISSING

    def set(self, node_id: str, name: str, value: Any) -> None:
        self.values.setdefault(node_id, {})[name] = value

    def put(self, node_id: str, outputs: dict[str, Any]) -> None:
        self.values[node_id] = outputs

    def assign(self, selector: Sequence[str], value: Any) -> None:
        """Overwrite a variable where it lives (the nearest pool that has its node), for the variable assigner."""
        pool: VariablePool | None = self
        while pool is not None:
            if selector[0] in pool.values:
                pool.values[selector[0]][selector[1]] = value
                return
            pool = pool.parent
        self.set(selector[0], selector[1], value)

    def render(self, template: str) -> str:
        """`template` with each {{#node.var#}} replaced by the variable's text ("" when it has no value)."""
        if "{{#" not in template:
            return template
        return REFERENCE.sub(lambda m: text_of(self.get([m[1], *m[2].split(".")], None)), template)


def text_of(value: Any) -> str:
    """How a value reads inside text: strings as they are, numbers plainly, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def references(template: str) -> list[list[str]]:
    """The selectors a text refers to, in order."""
    return [[m[1], *m[2].split(".")] for m in REFERENCE.finditer(template)]


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "file": (dict,),
}


def conforms(value: Any, var_type: VarType) -> bool:
    """Whether a value is of the type (None is of every type: an output may be empty)."""
    if value is None or var_type == "any":
        return True
    if var_type.startswith("array["):
        inner = var_type[6:-1]
        return isinstance(value, list) and all(_scalar(v, inner) for v in value)
    return _scalar(value, var_type)


def _scalar(value: Any, var_type: str) -> bool:
    if var_type == "number" and isinstance(value, bool):
        return False
    return isinstance(value, _SCALARS[var_type])


def compatible(produced: str, wanted: str) -> bool:
    """Whether a variable of type `produced` may feed an input that wants `wanted` (a VarType, or "array" for
    an array of anything)."""
    if produced == wanted or "any" in (produced, wanted):
        return True
    if wanted == "string":  # anything reads as text in a template or a message
        return True
    if wanted == "array":
        return produced.startswith("array[")
    return produced == "file" and wanted == "object"
