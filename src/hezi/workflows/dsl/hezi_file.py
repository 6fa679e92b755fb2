"""hezi's own workflow file: a workflow as a versioned YAML document that export writes and import reads back
unchanged (the graph exactly as hezi keeps it, plus the app's face).

    hezi: workflow/1
    name: 文档问答
    icon: 📚
    description: …
    opening_statement: …           # chatflows: what the chat says first
    suggested_questions: [ … ]
    graph: {mode, nodes, edges, environment}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from hezi.workflows.dsl.errors import DslRefused, InvalidWorkflowFile
from hezi.workflows.dsl.yamlio import dump, load_mapping
from hezi.workflows.graph import Graph

FORMAT = "workflow/1"


class WorkflowFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hezi: str = FORMAT
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    icon: Annotated[str, StringConstraints(max_length=16)] = "🤖"
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    opening_statement: Annotated[str, StringConstraints(max_length=4000)] = ""
    suggested_questions: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=10
    )
    graph: Graph


def export_yaml(
    graph: Graph, *, name: str, description: str = "", icon: str = "🤖", opening_statement: str = "",
    suggested_questions: Sequence[str] = (),
) -> str:  # fmt: skip
    """The workflow as a hezi workflow file (YAML); load_yaml reads it back to the same graph."""
    doc = WorkflowFile(
        name=name, description=description, icon=icon, opening_statement=opening_statement,
        suggested_questions=list(suggested_questions), graph=graph,
    )  # fmt: skip
    return dump(to_data(doc))


def to_data(doc: WorkflowFile) -> dict[str, Any]:
    """The file as plain data, with empty and default fields left out so the YAML stays short."""
    data = doc.model_dump(mode="json", exclude_defaults=True)
    data = {"hezi": FORMAT, **data}
    graph = doc.graph.model_dump(mode="json", exclude_defaults=True)
    graph["mode"] = doc.graph.mode
    data["graph"] = graph
    return data


def load_yaml(text: str | bytes, *, check: bool = True) -> WorkflowFile:
    """Read a hezi workflow file. InvalidWorkflowFile names the field that is wrong; with `check` (the default)
    a graph that does not validate raises DslRefused with its problems (a draft may skip the check)."""
    data = load_mapping(text, "workflow file")
    version = data.get("hezi")
    if version is None:
        if data.get("kind") == "app":
            raise InvalidWorkflowFile("hezi", "this is a Dify DSL file (kind: app): import it as one")
        raise InvalidWorkflowFile("hezi", f"missing: a workflow file starts with 'hezi: {FORMAT}'")
    if version != FORMAT:
        if isinstance(version, str) and version.startswith("workflow/"):
            raise InvalidWorkflowFile("hezi", f"this file is {version}; this version of hezi reads {FORMAT}")
        raise InvalidWorkflowFile("hezi", f"expected {FORMAT!r}, got {version!r}")
    try:
        doc = WorkflowFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidWorkflowFile(_path(first["loc"]), first["msg"].removeprefix("Value error, ")) from None
    if check:
        from hezi.workflows.validate import validate

        problems = validate(doc.graph)
        if problems:
            raise DslRefused(problems)
    return doc


def _path(loc: tuple[int | str, ...]) -> str:
    """('graph', 'nodes', 0, 'id') → graph.nodes[0].id"""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
