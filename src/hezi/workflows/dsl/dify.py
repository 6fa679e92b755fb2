"""Dify DSL files (`kind: app`, modes `workflow` and `advanced-chat`, DSL 0.1.0 to 0.7.x) read into a hezi Graph.

A Dify export is `{version, kind: app, app: {name, mode, icon, description…}, workflow: {graph: {nodes, edges},
features, environment_variables, conversation_variables}, dependencies}`. Its node data already uses the field
names hezi's node types read, so a node maps almost as it is: the type (two renamed), the canvas-only fields left
out, older shapes upgraded (legacy.py), error strategy and retry moved onto the node, and models and knowledge
bases put in terms of this box.

All or nothing: every problem of every node is collected; if there is one, DslRefused lists them all and nothing
is returned. Warnings (a model replaced by the default one, a feature left out) come with a successful import.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Collection, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hezi.agents.spec import DEFAULT_MODEL
from hezi.workflows.dsl import legacy
from hezi.workflows.dsl.errors import DslRefused, InvalidWorkflowFile
from hezi.workflows.dsl.legacy import upgrade_selectors
from hezi.workflows.dsl.models import ModelMap
from hezi.workflows.dsl.yamlio import load_mapping
from hezi.workflows.graph import ConversationVar, Edge, EnvVar, Graph, Node, Problem

Version = tuple[int, int, int]
OLDEST: Version = (0, 1, 0)
NEWEST: Version = (0, 7, 0)  # Dify 1.x's CURRENT_APP_DSL_VERSION as of this writing
_VERSION = re.compile(r"^(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?$")
MODES: dict[str, Literal["workflow", "chatflow"]] = {"workflow": "workflow", "advanced-chat": "chatflow"}

# Set by the canvas or by Dify's bookkeeping; nothing a node does depends on them.
_CANVAS_KEYS = frozenset({
    "type", "title", "desc", "selected", "version", "height", "width", "error_strategy", "default_value",
    "retry_config", "isInIteration", "isInLoop", "iteration_id", "loop_id", "isIterationStart", "isLoopStart",
    "startNodeType", "dragging", "_isSingleRun", "_isCandidate", "_children", "_connectedSourceHandleIds",
    "_connectedTargetHandleIds", "_targetBranches", "_runningStatus", "_singleRunningStatus", "_isBundled",
    "_iterationLength", "_iterationIndex", "_loopLength", "_loopIndex", "_waitingRun",
})  # fmt: skip
_MODEL_KEYS = ("model", "metadata_model_config")  # {provider, name, mode, completion_params}
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class DslImport(BaseModel):
    """What a Dify file holds, in hezi's terms: a graph that passed validation, the app's face, and warnings."""

    model_config = ConfigDict(extra="forbid")

    graph: Graph
    mode: Literal["workflow", "chatflow"]
    name: str
    description: str = ""
    icon: str = "🤖"
    icon_background: str | None = None
    # The start node's form in Dify's user_input_form shape ([{"text-input": {variable, label, required…}}, …]).
    user_input_form: list[dict[str, dict[str, Any]]] = Field(default_factory=list)
    opening_statement: str = ""
    suggested_questions: list[str] = Field(default_factory=list)
    suggested_follow_ups: bool = False
    citations: bool = True
    dsl_version: str
    warnings: list[Problem] = Field(default_factory=list)


def import_dify(
    text: str | bytes, *, models: Iterable[str] = (), default_model: str = DEFAULT_MODEL,
    knowledge_base_ids: Collection[str] = (), builtin_tools: Collection[str] = (),
) -> DslImport:  # fmt: skip
    """Read a Dify DSL file. `models`: the model names this workspace may use (local and remote); a file's model
    found among none of them becomes `default_model`, with a warning. `knowledge_base_ids`: ids of this workspace's
    knowledge bases; a knowledge node's datasets not among them are left out, with a warning (Dify exports them
    encrypted for its own tenant). `builtin_tools`: the names of the box's built-in tools (hezi.agents.tools.
    builtin.BUILTIN_TOOLS); a Dify tool node calling a built-in tool of such a name is kept, other tool nodes are
    refused. Raises InvalidWorkflowFile for a file that is not a Dify app, DslRefused with every problem for one
    that cannot be mapped."""
    doc = load_mapping(text, "Dify DSL file")
    version, warnings = _version(doc)
    app = _section(doc, "app")
    dify_mode = app.get("mode")
    if dify_mode not in MODES:
        hint = " (a chat, agent or text-generation app: publish it as a hezi agent instead)" if dify_mode else ""
        raise InvalidWorkflowFile(
            "app.mode", f"hezi imports Dify's 'workflow' and 'advanced-chat' apps; this one is {dify_mode!r}{hint}"
        )
    mode = MODES[dify_mode]
    workflow = _section(doc, "workflow")
    raw_graph = workflow.get("graph")
    if not isinstance(raw_graph, dict):
        raise InvalidWorkflowFile("workflow.graph", "missing: a Dify workflow keeps its nodes under workflow.graph")
    mapper = _Mapper(mode, ModelMap(models, default_model), set(knowledge_base_ids), set(builtin_tools))
    graph = mapper.graph(raw_graph, workflow)
    if mapper.problems:
        raise DslRefused(mapper.problems)
    from hezi.workflows.validate import validate

    problems = validate(graph)
    if problems:
        raise DslRefused(problems)
    features: dict[str, Any] = workflow["features"] if isinstance(workflow.get("features"), dict) else {}
    warnings += mapper.warnings + _feature_warnings(features, mode)
    name = str(app.get("name") or "").strip() or "Imported workflow"
    icon = str(app.get("icon") or "")
    return DslImport(
        graph=graph, mode=mode, name=name[:128], description=str(app.get("description") or ""),
        icon=icon if icon and app.get("icon_type", "emoji") == "emoji" and len(icon) <= 16 else "🤖",
        icon_background=app.get("icon_background") or None,
        user_input_form=mapper.form,
        opening_statement=str(features.get("opening_statement") or ""),
        suggested_questions=[str(q) for q in features.get("suggested_questions") or [] if q][:10],
        suggested_follow_ups=_enabled(features.get("suggested_questions_after_answer")),
        citations=_enabled(features.get("retriever_resource"), default=True),
        dsl_version=dotted(version), warnings=warnings,
    )  # fmt: skip


# --- the envelope -----------------------------------------------------------------------------------------------


def _version(doc: dict[str, Any]) -> tuple[Version, list[Problem]]:
    kind = doc.get("kind")
    if kind is None and "app" not in doc:
        raise InvalidWorkflowFile("kind", "missing: a Dify DSL file starts with 'kind: app'")
    if kind is not None and kind != "app":
        raise InvalidWorkflowFile("kind", f"expected 'app' (a Dify app export), got {kind!r}")
    raw = doc.get("version")
    warnings: list[Problem] = []
    if raw is None:  # Dify reads a file without a version as 0.1.0
        raw = "0.1.0"
        warnings.append(Problem(field="version", code="dsl_version", message="no version: read as DSL 0.1.0"))
    match = _VERSION.match(str(raw).strip())
    if match is None:
        raise InvalidWorkflowFile("version", f"{raw!r} is not a DSL version such as 0.1.5 or 0.6.0")
    version = (int(match[1]), int(match[2]), int(match[3] or 0))
    if version < OLDEST or version[0] > NEWEST[0]:
        raise InvalidWorkflowFile(
            "version", f"DSL {dotted(version)} is not one hezi reads ({dotted(OLDEST)} to {NEWEST[0]}.x)"
        )
    if version[:2] > NEWEST[:2]:
        warnings.append(Problem(field="version", code="dsl_version", message=(
            f"DSL {dotted(version)} is newer than the newest hezi knows ({dotted(NEWEST)}); its nodes were checked "
            "one by one"
        )))  # fmt: skip
    return version, warnings


def dotted(version: Version) -> str:
    return ".".join(map(str, version))


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        raise InvalidWorkflowFile(key, f"missing: a Dify app export has an '{key}' section")
    if not isinstance(value, dict):
        raise InvalidWorkflowFile(key, f"must be a mapping, not {type(value).__name__}")
    return value


def _enabled(feature: Any, *, default: bool = False) -> bool:
    return bool(feature.get("enabled", default)) if isinstance(feature, dict) else default


def _feature_warnings(features: dict[str, Any], mode: str) -> list[Problem]:
    """The app features hezi does not have, when the file switched them on: left out, said so."""
    left_out = {
        "sensitive_word_avoidance": "content moderation",
        "text_to_speech": "text to speech",
        "speech_to_text": "speech to text",
    }
    out = [
        Problem(field=f"workflow.features.{key}", code="feature_left_out",
                message=f"{what} is on in the file; hezi has no {what}, so it was left out")
        for key, what in left_out.items() if _enabled(features.get(key))
    ]  # fmt: skip
    upload = features.get("file_upload")
    if _enabled(upload) or (isinstance(upload, dict) and _enabled(upload.get("image"))):
        out.append(Problem(field="workflow.features.file_upload", code="feature_changed", message=(
            "file upload is on in the file; hezi's chat takes documents (their text goes into the turn), not images"
        )))  # fmt: skip
    return out


# --- the graph --------------------------------------------------------------------------------------------------


class _Mapper:
    def __init__(
        self, mode: Literal["workflow", "chatflow"], models: ModelMap, knowledge: set[str], tools: set[str]
    ) -> None:
        self.mode = mode
        self.tools = tools
        self.models = models
        self.knowledge = knowledge
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.form: list[dict[str, dict[str, Any]]] = []

    def graph(self, raw: dict[str, Any], workflow: dict[str, Any]) -> Graph:
        raw_nodes = [n for n in _list(raw.get("nodes"), "workflow.graph.nodes") if isinstance(n, dict)]
        raw_edges = [e for e in _list(raw.get("edges"), "workflow.graph.edges") if isinstance(e, dict)]
        nodes = [n for n in (self.node(r, i) for i, r in enumerate(raw_nodes)) if n is not None]
        edges = [e for e in (self.edge(r, i) for i, r in enumerate(raw_edges)) if e is not None]
        environment = self.environment(workflow.get("environment_variables"))
        conversation = self.conversation(workflow.get("conversation_variables"))
        try:
            return Graph(
                mode=self.mode, nodes=nodes, edges=edges, environment=environment, conversation_variables=conversation
            )
        except ValidationError as exc:
            for err in exc.errors():
                self.problems.append(Problem(field=".".join(map(str, err["loc"])), code="invalid_graph",
                                             message=err["msg"]))  # fmt: skip
            return Graph(mode=self.mode)

    def node(self, raw: dict[str, Any], index: int) -> Node | None:
        data = raw.get("data")
        node_id = str(raw.get("id", ""))
        if not _ID.match(node_id):
            self.problems.append(Problem(field=f"workflow.graph.nodes[{index}].id", code="invalid_node_id",
                                         message=f"{node_id!r} is not a node id hezi can keep (letters, digits, "
                                                 "_ and -, at most 64)"))  # fmt: skip
            return None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            self.problems.append(Problem(node_id=node_id, field="data.type", code="invalid_node",
                                         message="the node has no data.type"))  # fmt: skip
            return None
        dify_type: str = data["type"]
        hezi_type = legacy.RENAMED.get(dify_type, dify_type)
        title = str(data.get("title") or "")[:128]
        version = str(data.get("version") or "1")
        if hezi_type == "tool":  # Dify's v2 tool node (plugins) has v1's settings; hezi's tool node reads both
            version = "1"
        support = _support(hezi_type, version, data, self.tools)
        if support is not None:
            self.problems.append(Problem(node_id=node_id, code="unsupported_node", message=(
                f"'{title or node_id}' is a Dify {dify_type} node{f' (version {version})' if version != '1' else ''}"
                f", which {support}"
            )))  # fmt: skip
            return None
        settings = upgrade_selectors({k: v for k, v in data.items() if k not in _CANVAS_KEYS and not k.startswith("_")})
        if dify_type == "if-else":
            legacy.upgrade_if_else(settings)
        self.map_models(node_id, settings)
        if dify_type == "knowledge-retrieval":
            self.map_knowledge(node_id, settings)
        if hezi_type == "tool":
            settings["provider_id"] = "builtin"
        if dify_type == "start":
            self.form = _form(settings.get("variables"))
        position: dict[str, Any] = raw["position"] if isinstance(raw.get("position"), dict) else {}
        try:
            return Node(
                id=node_id, type=hezi_type, version=version, title=title, data=settings,
                position={"x": position.get("x") or 0, "y": position.get("y") or 0},
                parent_id=legacy.parent_of(raw),
                retry=_retry(data.get("retry_config")),
                error_strategy=_ERROR_STRATEGIES.get(data.get("error_strategy") or "", "fail"),
                default_outputs=_default_outputs(data.get("default_value")),
            )  # fmt: skip
        except ValidationError as exc:
            for err in exc.errors():
                self.problems.append(Problem(node_id=node_id, field=".".join(map(str, err["loc"])),
                                             code="invalid_node", message=err["msg"]))  # fmt: skip
            return None

    def edge(self, raw: dict[str, Any], index: int) -> Edge | None:
        source, target = str(raw.get("source", "")), str(raw.get("target", ""))
        edge_id = str(raw.get("id") or f"{source}-{raw.get('sourceHandle') or 'source'}-{target}")
        try:
            return Edge(
                id=edge_id, source=source, target=target,
                source_handle=str(raw.get("sourceHandle") or "source"),
                target_handle=str(raw.get("targetHandle") or "target"),
            )  # fmt: skip
        except ValidationError as exc:
            self.problems.append(Problem(edge_id=edge_id, field=f"workflow.graph.edges[{index}]",
                                         code="invalid_edge", message=exc.errors()[0]["msg"]))  # fmt: skip
            return None

    def map_models(self, node_id: str, settings: dict[str, Any]) -> None:
        """Each `{provider, name}` model the node names, as one of this box's models (or the default)."""
        for key in _MODEL_KEYS:
            self._model_at(node_id, settings, key, key, "name")
        single = settings.get("single_retrieval_config")
        if isinstance(single, dict):
            self._model_at(node_id, single, "model", "single_retrieval_config.model", "name")
        multiple = settings.get("multiple_retrieval_config")
        if isinstance(multiple, dict) and isinstance(multiple.get("reranking_model"), dict):
            rerank = multiple["reranking_model"]
            if (
                multiple.get("reranking_enable", True)
                and multiple.get("reranking_mode", "reranking_model") == ("reranking_model")
                and rerank.get("model")
            ):
                self._model_at(node_id, multiple, "reranking_model", "multiple_retrieval_config.reranking_model",
                               "model", rerank=True)  # fmt: skip

    def _model_at(
        self, node_id: str, holder: dict[str, Any], key: str, field: str, name_key: str, *, rerank: bool = False
    ) -> None:
        model = holder.get(key)
        if not isinstance(model, dict) or "provider" not in model:
            return
        provider, name = str(model.get("provider") or ""), str(model.get(name_key) or "")
        if rerank:
            found = self.models.choose(provider, name)
            if found.substituted:  # no default reranker: retrieval runs without one
                holder["reranking_enable"] = False
                self.warnings.append(Problem(node_id=node_id, field=field, code="model_left_out", message=(
                    f"the reranker {provider}/{name} is not on this box; the node retrieves without reranking"
                )))  # fmt: skip
            else:
                model.update({"provider": "hezi", name_key: found.name})
            return
        found = self.models.choose(provider, name)
        model.update({"provider": "hezi", name_key: found.name})
        if found.substituted:
            named = f"{provider}/{name}" if name else "no model"
            self.warnings.append(Problem(node_id=node_id, field=f"{field}.{name_key}", code="model_substituted",
                                         message=f"the file names {named}, which this box does not have; "
                                                 f"the node uses {found.name} instead"))  # fmt: skip

    def map_knowledge(self, node_id: str, settings: dict[str, Any]) -> None:
        ids = settings.get("dataset_ids")
        if not isinstance(ids, list):
            return
        kept = [str(i) for i in ids if str(i) in self.knowledge]
        if len(kept) < len(ids):
            self.warnings.append(Problem(node_id=node_id, field="dataset_ids", code="knowledge_left_out", message=(
                f"{len(ids) - len(kept)} of the node's knowledge bases are not in this workspace (Dify exports them "
                "by its own ids); choose the node's knowledge bases before running it"
            )))  # fmt: skip
        settings["dataset_ids"] = kept

    def environment(self, raw: Any) -> list[EnvVar]:
        out: list[EnvVar] = []
        for i, var in enumerate(raw if isinstance(raw, list) else []):
            field = f"workflow.environment_variables[{i}]"
            if not isinstance(var, dict):
                continue
            value_type = var.get("value_type", "string")
            if value_type == "secret":
                self.warnings.append(Problem(field=field, code="secret_in_the_clear", message=(
                    f"the secret {var.get('name')!r} becomes a plain constant in hezi"
                    + ("" if var.get("value") else "; the file carries no value, so set it before running")
                )))  # fmt: skip
                value_type = "string"
            try:
                out.append(EnvVar(name=var.get("name"), type=value_type, value=var.get("value")))
            except ValidationError as exc:
                self.problems.append(Problem(field=field, code="invalid_variable", message=exc.errors()[0]["msg"]))
        return out

    def conversation(self, raw: Any) -> list[ConversationVar]:
        out: list[ConversationVar] = []
        for i, var in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(var, dict):
                continue
            try:
                out.append(ConversationVar(
                    name=var.get("name"), type=var.get("value_type", "string"), value=var.get("value"),
                    description=str(var.get("description") or "")[:500],
                ))  # fmt: skip
            except ValidationError as exc:
                self.problems.append(Problem(field=f"workflow.conversation_variables[{i}]", code="invalid_variable",
                                             message=exc.errors()[0]["msg"]))  # fmt: skip
        return out


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidWorkflowFile(field, f"must be a list, not {type(value).__name__}")
    return value


def _support(hezi_type: str, version: str, data: dict[str, Any], builtin_tools: set[str]) -> str | None:
    """None when hezi can run this node as the file has it; else why not (the end of a sentence)."""
    from hezi.workflows.nodes import REGISTRY, VERSIONS

    if hezi_type not in REGISTRY:
        return "hezi does not have"
    if hezi_type == "tool":
        name = str(data.get("tool_name") or "")
        if data.get("provider_type", "builtin") != "builtin" or name not in builtin_tools:
            return (
                f"calls {data.get('provider_id') or '?'}'s tool {name!r}, which this box does not have (its built-in "
                f"tools are {', '.join(sorted(builtin_tools)) or 'not given'}; others come as OpenAPI or MCP tools)"
            )
    if hezi_type == "agent" and not data.get("agent_id"):
        strategy = data.get("agent_strategy_label") or data.get("agent_strategy_name") or "?"
        return f"runs Dify's agent strategy {strategy!r}; in hezi an agent node runs one of hezi's agents"
    versions = VERSIONS.get(hezi_type, ("1",))
    if version not in versions:
        return f"hezi reads only in version {', '.join(versions)}"
    return None


_ERROR_STRATEGIES: dict[str, Literal["fail", "default_value", "fail_branch"]] = {
    "fail-branch": "fail_branch", "default-value": "default_value", "none": "fail",
}  # fmt: skip


def _retry(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw.get("retry_enabled", False):
        return {}
    return {
        "max_attempts": max(1, min(10, int(raw.get("max_retries") or 0) + 1)),
        "interval_s": max(0.0, min(60.0, float(raw.get("retry_interval") or 0) / 1000)),  # Dify: milliseconds
    }


def _default_outputs(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not item.get("key"):
            continue
        value = item.get("value")
        if isinstance(value, str) and str(item.get("type", "")).startswith(("object", "array")):
            with contextlib.suppress(ValueError):  # Dify's editor keeps object and array defaults as JSON text
                value = json.loads(value)
        out[str(item["key"])] = value
    return out


_FORM_KEYS = ("variable", "label", "required", "max_length", "options", "default", "hint", "placeholder",
              "allowed_file_types", "allowed_file_extensions", "allowed_file_upload_methods")  # fmt: skip


def _form(raw: Any) -> list[dict[str, dict[str, Any]]]:
    """The start node's variables as Dify's /parameters user_input_form: [{type: {variable, label…}}]."""
    out: list[dict[str, dict[str, Any]]] = []
    for var in raw if isinstance(raw, list) else []:
        if isinstance(var, dict) and var.get("variable"):
            field = {k: var[k] for k in _FORM_KEYS if var.get(k) is not None}
            field.setdefault("label", var["variable"])
            field.setdefault("required", True)  # as hezi's start node reads a field without it
            out.append({str(var.get("type") or "text-input"): field})
    return out


def new_id() -> str:
    """A node id in Dify's style (digits), for nodes hezi adds to an export."""
    return str(uuid.uuid4().int % 10**13)
