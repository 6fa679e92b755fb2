"""Agent files: an agent as a versioned YAML document, written by export and read by import (console and CLI).

    hezi: agent/1
    name: Support
    icon: 🎧
    description: …
    config: {…}                      # an AgentConfig, every field written out
    knowledge_bases: [{id, name}]    # the names of the knowledge bases and tool providers the config names by id,
    tool_providers: [{id, name}]     # so that an import elsewhere can find its own of the same names

A file that cannot be read raises InvalidAgentFile naming the field (`config.model_params.temperature: Input should
be less than or equal to 2`). No database or HTTP here.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from hezi.agents.errors import InvalidAgentFile
from hezi.agents.schemas import Description, Icon
from hezi.agents.spec import AgentConfig, Name

FORMAT = "agent/1"
MEDIA_TYPE = "text/yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KnowledgeBaseRef(_Strict):
    id: uuid.UUID
    name: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ToolProviderRef(_Strict):
    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AgentFile(_Strict):
    hezi: str = FORMAT
    name: Name
    icon: Icon = "🤖"
    description: Description = ""
    config: AgentConfig = Field(default_factory=AgentConfig)
    knowledge_bases: list[KnowledgeBaseRef] = Field(default_factory=list, max_length=20)
    tool_providers: list[ToolProviderRef] = Field(default_factory=list, max_length=40)

    def knowledge_base_names(self) -> dict[str, str]:
        return {str(kb.id): kb.name for kb in self.knowledge_bases}

    def tool_provider_names(self) -> dict[str, str]:
        return {p.id: p.name for p in self.tool_providers}


def dump(doc: AgentFile) -> str:
    """The document as YAML: keys in a fixed order, multi-line prompts as literal blocks (readable diffs)."""
    data = doc.model_dump(mode="json", exclude_none=True)
    if not data["knowledge_bases"]:
        del data["knowledge_bases"]
    if not data["tool_providers"]:
        del data["tool_providers"]
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def load(text: bytes | str) -> AgentFile:
    """Read an agent file; InvalidAgentFile names the first field that is wrong."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidAgentFile("", "The agent file is not UTF-8 text.") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506  (_Loader is a SafeLoader that refuses aliases)
    except yaml.YAMLError as exc:
        raise InvalidAgentFile("", f"The agent file is not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise InvalidAgentFile("", f"An agent file is a YAML mapping that starts with 'hezi: {FORMAT}'.")
    version = data.get("hezi")
    if version is None:
        raise InvalidAgentFile("hezi", f"missing: an agent file starts with 'hezi: {FORMAT}'")
    if version != FORMAT:
        if isinstance(version, str) and version.startswith("agent/"):
            raise InvalidAgentFile("hezi", f"this file is {version}; this version of hezi reads {FORMAT}")
        raise InvalidAgentFile("hezi", f"expected {FORMAT!r}, got {version!r}")
    _refuse_nul(data, "")
    try:
        return AgentFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        raise InvalidAgentFile(
            field_path(first["loc"]),
            _message(first["msg"]),
            errors=[{"field": field_path(e["loc"]), "message": _message(e["msg"])} for e in errors],
        ) from None


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """('config', 'tools', 0, 'name') → config.tools[0].name"""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _refuse_nul(value: Any, where: str) -> None:
    # YAML writes a NUL as "\0"; PostgreSQL's text and jsonb cannot hold one.
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidAgentFile(where, "contains a NUL character (\\0), which text cannot hold")
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
    """Safe YAML without aliases: `*ref` could make a 1 MiB file expand to billions of nodes."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in an agent file", event.start_mark
            )
        return super().compose_node(parent, index)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)
