"""The agents layer's port to workflows (decision 0023): a workflow agent's graph checked on save and publish, its
input form read from its Start node, and Dify DSL files (`kind: app`) turned into agent files on import."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.agents.errors import WorkflowInvalid
from hezi.agents.files import AgentFile, field_path
from hezi.agents.schemas import TemplatePublic
from hezi.agents.service import AgentService
from hezi.agents.spec import FIELD_KINDS, AgentConfig, FormField
from hezi.agents.workflow_port import GraphProblem
from hezi.db.tables import Deployment, KnowledgeBase, Model, Provider
from hezi.workflows import templates as workflow_templates
from hezi.workflows.dsl.dify import import_dify
from hezi.workflows.dsl.dify_export import export_dify
from hezi.workflows.dsl.yamlio import load_mapping
from hezi.workflows.graph import Graph, Problem
from hezi.workflows.validate import validate

_FORM_KEYS = frozenset(FormField.model_fields)


def graph_of(config: AgentConfig) -> tuple[Graph | None, list[GraphProblem]]:
    """The config's graph, or None with the problems that keep it from being one (each on its node)."""
    if config.mode == "agent":
        return None, []
    raw = config.workflow or {}
    try:
        graph = Graph.model_validate(raw)
    except ValidationError as exc:
        return None, [_shape_problem(raw, e) for e in exc.errors()]
    problems = [_public(p) for p in validate(graph)]
    if graph.mode != config.mode:
        problems.insert(0, GraphProblem(
            code="mode_mismatch", field="mode",
            message=f"The agent is a {config.mode} but its graph is a {graph.mode}.",
        ))  # fmt: skip
    return graph, problems


async def check_draft_graph(
    db: AsyncSession, caller: Caller, workspace_id: uuid.UUID, agent_id: uuid.UUID, raw: dict[str, Any]
) -> list[GraphProblem]:
    """A graph's problems, for the builder of this agent, without saving it."""
    await AgentService(db).find(caller, workspace_id, agent_id)
    try:
        graph = Graph.model_validate(raw)
    except ValidationError as exc:
        return [_shape_problem(raw, e) for e in exc.errors()]
    return [_public(p) for p in validate(graph)] + form_of(graph)[1]


class WorkflowSupport:
    """What AgentService is given to handle workflow agents (hezi.agents.workflow_port)."""

    def check(self, config: AgentConfig) -> tuple[AgentConfig, list[GraphProblem]]:
        graph, problems = graph_of(config)
        if graph is None:
            return config, problems
        form, form_problems = form_of(graph)
        config = config.model_copy(update={"user_input_form": form, "workflow": graph.model_dump(mode="json")})
        return AgentConfig.model_validate(config.model_dump()), problems + form_problems

    async def convert(self, db: AsyncSession, workspace_id: uuid.UUID, text: bytes) -> AgentFile | None:
        if not _is_dify(text):
            return None
        models = await _model_names(db, workspace_id)
        kbs = {
            str(i) for i in await db.scalars(select(KnowledgeBase.id).where(KnowledgeBase.workspace_id == workspace_id))
        }
        dsl = import_dify(text, models=models, knowledge_base_ids=kbs)
        form = [
            {kind: {k: v for k, v in spec.items() if k in _FORM_KEYS}}
            for entry in dsl.user_input_form for kind, spec in entry.items() if kind in FIELD_KINDS
        ]  # fmt: skip
        config = AgentConfig(
            mode=dsl.mode, workflow=dsl.graph.model_dump(mode="json"), user_input_form=form,
            opening_statement=dsl.opening_statement[:4000], suggested_questions=dsl.suggested_questions,
            suggested_follow_ups=dsl.suggested_follow_ups, citations=dsl.citations,
        )  # fmt: skip
        return AgentFile(name=dsl.name, icon=dsl.icon[:32] or "🤖", description=dsl.description[:2000], config=config)

    def export_dify(self, config: AgentConfig, *, name: str, icon: str, description: str) -> str:
        graph, problems = graph_of(config)
        if graph is None:
            raise WorkflowInvalid(problems)
        return export_dify(
            graph,
            name=name,
            icon=icon,
            description=description,
            opening_statement=config.opening_statement,
            suggested_questions=list(config.suggested_questions),
        )

    def templates(self, lang: str) -> list[TemplatePublic]:
        out = []
        for template in workflow_templates.templates():
            doc = template.file(lang)
            config, _ = self.check(AgentConfig(
                mode=doc.graph.mode, workflow=doc.graph.model_dump(mode="json"),
                opening_statement=doc.opening_statement, suggested_questions=doc.suggested_questions,
            ))  # fmt: skip
            out.append(TemplatePublic(
                id=template.id, name=doc.name, icon=doc.icon, description=doc.description, config=config
            ))  # fmt: skip
        return out


def form_of(graph: Graph) -> tuple[list[dict[str, FormField]], list[GraphProblem]]:
    """The Start node's variables as the agent's input form (what apps show and check); a variable of a kind the
    form has no field for (a file) is left to the run."""
    form: list[dict[str, FormField]] = []
    problems: list[GraphProblem] = []
    start = next((n for n in graph.nodes if n.type == "start" and n.parent_id is None), None)
    variables = start.data.get("variables") if start is not None else None
    for i, var in enumerate(variables if isinstance(variables, list) else []):
        if not isinstance(var, dict) or (kind := str(var.get("type") or "text-input")) not in FIELD_KINDS:
            continue
        spec = {k: v for k, v in var.items() if k in _FORM_KEYS and v is not None}
        if kind != "select":
            spec.pop("options", None)
        if not spec.get("label"):
            spec["label"] = str(var.get("variable") or "")
        try:
            form.append({kind: FormField.model_validate(spec)})
        except ValidationError as exc:
            problems.append(GraphProblem(
                node_id=start.id if start else None, field=f"variables.{i}", code="invalid_settings",
                message=f"variables[{i}]: {exc.errors()[0]['msg']}",
            ))  # fmt: skip
    return form, problems


def _public(p: Problem) -> GraphProblem:
    return GraphProblem.model_validate(p.model_dump())


def _shape_problem(raw: dict[str, Any], error: Any) -> GraphProblem:
    """A pydantic error in the graph's JSON, on the node or edge it is in."""
    loc = list(error.get("loc", ()))
    node_id = edge_id = None
    if len(loc) >= 2 and loc[0] in ("nodes", "edges") and isinstance(loc[1], int):
        items = raw.get(loc[0]) if isinstance(raw, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        ident = str(item.get("id")) if isinstance(item, dict) and item.get("id") is not None else None
        node_id, edge_id = (ident, None) if loc[0] == "nodes" else (None, ident)
        loc = loc[2:]
    return GraphProblem(
        node_id=node_id, edge_id=edge_id, field=field_path(loc) or None, code="invalid_graph",
        message=str(error.get("msg", "")).removeprefix("Value error, "),
    )  # fmt: skip


def _is_dify(text: bytes) -> bool:
    """A Dify export declares `kind: app` at its top level; hezi's agent files start with `hezi: agent/1`."""
    head = text[:4096].decode("utf-8", "ignore")
    if "kind:" not in head or "hezi:" in head.split("\n", 1)[0]:
        return False
    try:
        return load_mapping(text, "file").get("kind") == "app"
    except Exception:  # not YAML at all: the agent file reader says what is wrong
        return False


async def _model_names(db: AsyncSession, workspace_id: uuid.UUID) -> list[str]:
    """The chat models this box serves (local deployments) and the workspace's providers' models."""
    names = list(
        await db.scalars(
            select(Model.name).join(Deployment, Deployment.model_id == Model.id).where(Model.kind == "chat")
        )
    )
    for provider in await db.scalars(select(Provider).where(Provider.workspace_id == workspace_id)):
        names += [f"{provider.name}/{m}" for m in provider.models]  # as the gateway names them
    return names
