"""Errors of the agents domain (definitions, versions, templates and agent files)."""

from __future__ import annotations

from typing import Any

from hezi.errors import Conflict, NotFound, Unprocessable


class AgentNotFound(NotFound):
    code = "agent_not_found"


class AgentVersionNotFound(NotFound):
    code = "agent_version_not_found"


class AgentExists(Conflict):
    code = "agent_exists"


class _NamesField(Unprocessable):
    """An error about one field; `field` is its dotted path, also given in `details.field`."""

    def __init__(self, field: str, message: str, **details: Any) -> None:
        super().__init__(f"{field}: {message}" if field else message, details={"field": field, **details})
        self.field = field
        self.reason = message
        self.extra = details


class InvalidAgentConfig(_NamesField):
    """The configuration names something the workspace does not have (a knowledge base, a tool)."""

    code = "invalid_agent_config"


class InvalidAgentFile(_NamesField):
    """An agent file (YAML) that cannot be imported: not YAML, an unknown format, or a field that does not fit."""

    code = "invalid_agent_file"


class UnknownTemplate(_NamesField):
    code = "unknown_template"

    def __init__(self, template: str) -> None:
        super().__init__("template", f"there is no agent template {template!r}")
