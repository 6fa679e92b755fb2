"""YAML in and out for workflow files: safe loading without aliases and with a size limit; readable dumps."""

from __future__ import annotations

from typing import Any

import yaml

from hezi.workflows.dsl.errors import InvalidWorkflowFile

MAX_BYTES = 10 * 1024 * 1024  # Dify's own limit for a DSL file


def load_mapping(text: str | bytes, what: str) -> dict[str, Any]:
    """The document as a dict; InvalidWorkflowFile says what is wrong with it (and where, for YAML errors)."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InvalidWorkflowFile("", f"The {what} is larger than {MAX_BYTES // (1024 * 1024)} MiB.")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidWorkflowFile("", f"The {what} is not UTF-8 text.") from None
    if len(text) > MAX_BYTES:
        raise InvalidWorkflowFile("", f"The {what} is larger than {MAX_BYTES // (1024 * 1024)} MiB.")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InvalidWorkflowFile("", f"The {what} is empty.")
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506  (_Loader is a SafeLoader that refuses aliases)
    except yaml.YAMLError as exc:
        raise InvalidWorkflowFile("", f"The {what} is not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise InvalidWorkflowFile("", f"The {what} must be a YAML mapping (key: value lines), not {_kind(data)}.")
    _refuse_nul(data, "")
    return data


def dump(data: Any) -> str:
    """YAML with keys in the order given and multi-line text as literal blocks (readable diffs)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "a single string" if isinstance(value, str) else type(value).__name__


def _refuse_nul(value: Any, where: str) -> None:
    # PostgreSQL's text and jsonb cannot hold a NUL, which YAML can write as "\0".
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidWorkflowFile(where, "contains a NUL character (\\0), which text cannot hold")
    elif isinstance(value, dict):
        for k, v in value.items():
            _refuse_nul(k, where)
            _refuse_nul(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refuse_nul(v, f"{where}[{i}]")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else str(problem)


class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases: `*ref` could make a small file expand to billions of nodes."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)
