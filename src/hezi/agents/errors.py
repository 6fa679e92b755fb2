"""Errors of the agents domain (definitions, versions, templates and agent files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from hezi.errors import Conflict, InvalidInput, NotFound, Unprocessable


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


class WorkflowInvalid(Unprocessable):
    """A workflow's graph with problems cannot be published or run; `details.problems` lists them by node."""

    code = "workflow_invalid"

    def __init__(self, problems: Sequence[BaseModel]) -> None:
        node = getattr(problems[0], "node_id", None)
        where = f" (node {node})" if node else ""
        more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
        super().__init__(
            f"The workflow has problems: {getattr(problems[0], 'message', '')}{where}{more}.",
            details={"problems": [p.model_dump(mode="json") for p in problems]},
        )
        self.problems = list(problems)


class NotAWorkflow(InvalidInput):
    """What only a workflow or chatflow agent has (runs, a Dify DSL export) asked of a plain agent."""

    code = "not_a_workflow"
