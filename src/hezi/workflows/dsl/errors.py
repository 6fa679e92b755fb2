"""Why a workflow file was not imported: every problem found, each on its node (or field) where it has one."""

from __future__ import annotations

from collections.abc import Sequence

from hezi.errors import Unprocessable
from hezi.workflows.graph import Problem


class DslRefused(Unprocessable):
    """The file was read but is not imported, for `problems` (all of them, not the first): nothing was created."""

    code = "workflow_import_refused"

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems = list(problems)
        if message is None:
            first = self.problems[0] if self.problems else None
            where = _where(first) if first is not None else ""
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            message = f"The workflow cannot be imported: {where}{first.message if first else 'no reason given'}{more}"
        super().__init__(message, details={"problems": [p.model_dump(exclude_none=True) for p in self.problems]})


class DifyExportRefused(DslRefused):
    """The workflow holds what Dify's format cannot: `problems` say what, by node."""

    code = "dify_export_refused"


class InvalidWorkflowFile(DslRefused):
    """The file itself cannot be read: not YAML, not a mapping, a wrong `kind` or `version`, a missing section."""

    code = "invalid_workflow_file"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        problem = Problem(field=field or None, code="invalid_file", message=message)
        super().__init__([problem], f"{field}: {message}" if field else message)


def _where(problem: Problem) -> str:
    if problem.node_id:
        return f"node {problem.node_id}{'.' + problem.field if problem.field else ''}: "
    if problem.edge_id:
        return f"edge {problem.edge_id}: "
    return f"{problem.field}: " if problem.field else ""
