"""Dify DSL files (written the way Dify exports them, DSL 0.1.0 to 0.7.0) imported into hezi graphs; what cannot be
mapped refused by node; hezi's own workflow file and the Dify export read back to the same graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hezi.agents.spec import DEFAULT_MODEL
from hezi.workflows.dsl import (
    DslRefused,
    InvalidWorkflowFile,
    export_dify,
    export_yaml,
    import_dify,
    load_yaml,
)
from hezi.workflows.graph import Graph
from hezi.workflows.validate import validate

FIXTURES = Path(__file__).parent / "fixtures" / "dify"
IMPORTABLE = {
    "workflow_v0.1.0_greeting.yml": "workflow",
    "workflow_v0.1.2_numbered_lines.yml": "workflow",
    "chatflow_v0.1.5_doc_qa.yml": "chatflow",
    "chatflow_v0.2.0_ticket_triage.yml": "chatflow",
    "workflow_v0.3.1_shopping_list.yml": "workflow",
    "workflow_v0.4.0_leave_request.yml": "workflow",
    "chatflow_v0.6.0_square.yml": "chatflow",
    "chatflow_v0.6.0_counter.yml": "chatflow",
    "workflow_v0.7.0_grade.yml": "workflow",
}


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def raw(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(text(name))
    return doc


def edit(name: str, change: Any) -> str:
    doc = raw(name)
    change(doc)
    return yaml.dump(doc, allow_unicode=True)


def node_by_title(graph: Graph, title: str) -> Any:
    return next(n for n in graph.nodes if n.title == title)


@pytest.mark.parametrize("name", sorted(IMPORTABLE))
def test_each_fixture_imports_to_a_valid_graph(name: str) -> None:
    doc = raw(name)
    imported = import_dify(text(name))
    assert imported.mode == IMPORTABLE[name]
    assert imported.graph.mode == imported.mode
    assert imported.name == doc["app"]["name"]
    assert imported.dsl_version == doc["version"]
    assert validate(imported.graph) == []
    assert {n.id for n in imported.graph.nodes} == {n["id"] for n in doc["workflow"]["graph"]["nodes"]}
    assert len(imported.graph.edges) == len(doc["workflow"]["graph"]["edges"])


def test_bytes_with_a_bom_import_like_text() -> None:
    assert import_dify(("\ufeff" + text("workflow_v0.7.0_grade.yml")).encode()).name == "成绩等级 Grade"


def test_dsl_0_1_0_legacy_if_else_and_aggregator_are_upgraded() -> None:
    imported = import_dify(text("workflow_v0.1.0_greeting.yml"))
    g = imported.graph
    branch = g.node("1718000000002")
    assert branch is not None and branch.type == "if-else"
    assert branch.data["cases"][0]["case_id"] == "true"
    assert branch.data["cases"][0]["conditions"][0]["value"] == "zh"
    assert "conditions" not in branch.data and "logical_operator" not in branch.data
    aggregator = g.node("1718000000005")
    assert aggregator is not None and aggregator.type == "variable-aggregator"  # Dify 0.6's "variable-assigner"
    assert [e.source_handle for e in g.edges if e.source == "1718000000002"] == ["true", "false"]
    # the start form in Dify's user_input_form shape, canvas fields left out of the node's settings
    assert imported.user_input_form == [
        {"text-input": {"variable": "name", "label": "名字 Name", "required": True, "max_length": 48, "options": []}},
        {"select": {"variable": "lang", "label": "语言 Language", "required": True, "max_length": 48,
                    "options": ["zh", "en"]}},
    ]  # fmt: skip
    start = g.node("1718000000001")
    assert start is not None and start.title == "开始"
    assert "selected" not in start.data and "desc" not in start.data and "type" not in start.data
    assert start.position.x == 80


def test_dsl_0_1_2_iteration_children_found_by_iteration_id() -> None:
    g = import_dify(text("workflow_v0.1.2_numbered_lines.yml")).graph
    child = g.node("1719000000004")
    iteration = g.node("1719000000003")
    assert child is not None and iteration is not None
    assert child.parent_id == "1719000000003"  # the file has no parentId, only data.iteration_id
    assert iteration.data["start_node_id"] == "1719000000004"
    assert "isInIteration" not in child.data and "iteration_id" not in child.data


def test_dsl_0_3_1_iteration_start_error_strategy_and_retry() -> None:
    g = import_dify(text("workflow_v0.3.1_shopping_list.yml")).graph
    marker = g.node("1754000000003start")
    assert marker is not None and marker.type == "iteration-start" and marker.parent_id == "1754000000003"
    code = node_by_title(g, "Parse")
    assert code.error_strategy == "default_value"
    assert code.default_outputs == {"result": []}  # Dify keeps an array default as JSON text
    assert code.retry.max_attempts == 2 and code.retry.interval_s == pytest.approx(0.1)  # Dify: milliseconds
    assert "retry_config" not in code.data and "error_strategy" not in code.data


def test_models_become_this_boxs_with_warnings_by_node() -> None:
    imported = import_dify(text("chatflow_v0.1.5_doc_qa.yml"))
    rewrite = imported.graph.node("1725000000002")
    assert rewrite is not None
    assert rewrite.data["model"] == {"provider": "hezi", "name": DEFAULT_MODEL, "mode": "chat",
                                     "completion_params": {"max_tokens": 32, "temperature": 0.2}}  # fmt: skip
    substituted = {w.node_id: w for w in imported.warnings if w.code == "model_substituted"}
    assert set(substituted) == {"1725000000002", "1725000000004"}
    assert "openai/gpt-4o-mini" in substituted["1725000000002"].message
    assert substituted["1725000000002"].field == "model.name"
    # no reranker here: retrieval runs without one, said so
    knowledge = imported.graph.node("1725000000003")
    assert knowledge is not None
    assert knowledge.data["multiple_retrieval_config"]["reranking_enable"] is False
    codes = {(w.node_id, w.code) for w in imported.warnings}
    assert ("1725000000003", "model_left_out") in codes
    # Dify's dataset ids mean nothing here
    assert knowledge.data["dataset_ids"] == []
    assert ("1725000000003", "knowledge_left_out") in codes
    assert imported.opening_statement == "你好！请问想了解什么？"
    assert imported.suggested_questions == ["怎么申请年假？", "报销流程是什么？"]
    assert imported.citations is True and imported.icon == "📚"


def test_models_and_knowledge_bases_this_workspace_has_are_kept() -> None:
    kb = "6f1c2a4e-3b5d-4c7e-8f9a-0b1c2d3e4f5a"
    imported = import_dify(
        text("chatflow_v0.1.5_doc_qa.yml"),
        models=["qwen2.5-7b-instruct", "openai/gpt-4o", "openai/gpt-4o-mini", "cohere/rerank-multilingual-v3.0"],
        knowledge_base_ids=[kb],
    )
    g = imported.graph
    assert g.node("1725000000002").data["model"]["name"] == "openai/gpt-4o-mini"  # type: ignore[union-attr]
    assert g.node("1725000000004").data["model"]["name"] == "openai/gpt-4o"  # type: ignore[union-attr]
    retrieval = g.node("1725000000003").data  # type: ignore[union-attr]
    assert retrieval["dataset_ids"] == [kb]
    assert retrieval["multiple_retrieval_config"]["reranking_enable"] is True
    assert retrieval["multiple_retrieval_config"]["reranking_model"]["model"] == "cohere/rerank-multilingual-v3.0"
    assert imported.warnings == []


def test_plugin_provider_names_map_by_their_last_part() -> None:
    imported = import_dify(text("chatflow_v0.2.0_ticket_triage.yml"), models=["openai/gpt-4o", "gpt-4o-mini"])
    g = imported.graph
    assert g.node("1741000000002").data["model"]["name"] == "openai/gpt-4o"  # type: ignore[union-attr]
    assert g.node("1741000000005").data["model"]["name"] == "gpt-4o-mini"  # type: ignore[union-attr]
    assert not [w for w in imported.warnings if w.code == "model_substituted"]


def test_ticket_triage_classifier_branches_http_retry_and_left_out_features() -> None:
    imported = import_dify(text("chatflow_v0.2.0_ticket_triage.yml"))
    g = imported.graph
    classifier = g.node("1741000000002")
    assert classifier is not None
    # older editors selected the system's query through the start node
    assert classifier.data["query_variable_selector"] == ["sys", "query"]
    assert sorted(e.source_handle for e in g.edges if e.source == "1741000000002") == ["1", "2", "3"]
    http = g.node("1741000000003")
    assert http is not None and http.retry.max_attempts == 3 and http.retry.interval_s == 0.5
    assert [w.field for w in imported.warnings if w.code == "feature_left_out"] == ["workflow.features.text_to_speech"]


def test_environment_variables_and_secrets() -> None:
    imported = import_dify(text("workflow_v0.4.0_leave_request.yml"))
    env = {v.name: v for v in imported.graph.environment}
    assert env["auto_limit"].type == "number" and env["auto_limit"].value == 3
    assert env["approver"].value == "部门经理"
    assert env["hr_api_key"].type == "string"
    secret = next(w for w in imported.warnings if w.code == "secret_in_the_clear")
    assert "hr_api_key" in secret.message and "set it" in secret.message


def test_fail_branch_and_follow_ups() -> None:
    imported = import_dify(text("chatflow_v0.6.0_square.yml"))
    code = imported.graph.node("1765000000002")
    assert code is not None and code.error_strategy == "fail_branch"
    assert code.retry.max_attempts == 1  # the file's retry is switched off
    assert any(e.source_handle == "fail-branch" for e in imported.graph.edges)
    assert imported.suggested_follow_ups is True


def test_unsupported_nodes_are_refused_by_node_and_nothing_is_returned() -> None:
    with pytest.raises(DslRefused) as caught:
        import_dify(text("workflow_v0.6.0_unsupported.yml"))
    problems = {p.node_id: p for p in caught.value.problems}
    assert set(problems) == {"1766000000002", "1766000000003", "1766000000004", "1766000000005"}
    assert all(p.code == "unsupported_node" for p in problems.values())
    assert "document-extractor" in problems["1766000000004"].message
    assert "tavily_search" in problems["1766000000002"].message
    assert "agent strategy" in problems["1766000000003"].message
    assert caught.value.details["problems"][0]["node_id"]
    assert "and 3 more" in caught.value.message


def test_a_dify_builtin_tool_hezi_also_has_is_kept() -> None:
    def swap(doc: dict[str, Any]) -> None:
        nodes = doc["workflow"]["graph"]["nodes"]
        tool = {"provider_id": "time", "provider_name": "time", "provider_type": "builtin", "tool_name": "current_time",
                "tool_label": "Current Time", "tool_configurations": {"format": "%Y-%m-%d"}, "tool_parameters": {},
                "title": "Now", "type": "tool", "version": "2", "desc": "", "selected": False}  # fmt: skip
        nodes[2]["data"] = {**nodes[2]["data"], **{"type": "template-transform"}}
        nodes.append({"id": "1770000000099", "data": tool, "position": {"x": 0, "y": 0}, "type": "custom"})
        doc["workflow"]["graph"]["edges"].append(
            {
                "id": "e-tool",
                "source": "1770000000001",
                "sourceHandle": "source",
                "target": "1770000000099",
                "targetHandle": "target",
            }
        )

    file = edit("workflow_v0.7.0_grade.yml", swap)
    with pytest.raises(DslRefused, match="current_time"):
        import_dify(file)  # the caller did not say which built-in tools the box has
    g = import_dify(file, builtin_tools=["current_time", "calculator"]).graph
    tool = g.node("1770000000099")
    assert tool is not None and tool.data["provider_id"] == "builtin" and tool.version == "1"


def test_conversation_variables_are_imported_checked_and_exported() -> None:
    """Dify's conversation variables become the graph's (type, default, description); a node reading one that is not
    declared is an unbound variable; the export writes them back as Dify has them."""
    g = import_dify(text("chatflow_v0.6.0_counter.yml")).graph
    declared = [(v.name, v.type, v.value, v.description) for v in g.conversation_variables]
    assert declared == [("turns", "number", 0, "how many turns this conversation has had"),
                        ("asked", "array[string]", [], "every question asked so far")]  # fmt: skip
    assert g.conversation_defaults() == {"turns": 0, "asked": []} and validate(g) == []

    again = import_dify(export_dify(g, name="Counter"))
    assert again.graph.conversation_variables == g.conversation_variables
    assert load_yaml(export_yaml(g, name="Counter")).graph.conversation_variables == g.conversation_variables

    undeclared = g.model_copy(update={"conversation_variables": g.conversation_variables[:1]})
    problems = validate(undeclared)
    assert [(p.node_id, p.code) for p in problems] == [("1766000000002", "unbound_variable")], problems
    assert "conversation.asked" in problems[0].message

    def duplicate(doc: dict[str, Any]) -> None:
        doc["workflow"]["conversation_variables"].append(dict(doc["workflow"]["conversation_variables"][0]))

    with pytest.raises(DslRefused):
        import_dify(edit("chatflow_v0.6.0_counter.yml", duplicate))


def test_a_graph_that_does_not_validate_is_refused_with_every_problem() -> None:
    def break_it(doc: dict[str, Any]) -> None:
        g = doc["workflow"]["graph"]
        g["edges"].append({"id": "dangling", "source": "1770000000003", "sourceHandle": "source",
                           "target": "nowhere", "targetHandle": "target"})  # fmt: skip
        g["nodes"][0]["data"]["variables"][0]["variable"] = "1bad name"

    with pytest.raises(DslRefused) as caught:
        import_dify(edit("workflow_v0.7.0_grade.yml", break_it))
    codes = {p.code for p in caught.value.problems}
    assert "dangling_edge" in codes and "invalid_settings" in codes


def test_a_node_type_version_hezi_lacks_is_refused() -> None:
    def bump(doc: dict[str, Any]) -> None:
        doc["workflow"]["graph"]["nodes"][1]["data"]["version"] = "3"

    with pytest.raises(DslRefused) as caught:
        import_dify(edit("workflow_v0.7.0_grade.yml", bump))
    assert caught.value.problems[0].node_id == "1770000000002"
    assert "version 3" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("content", "field", "words"),
    [
        ("app: [unclosed", "", "line 1"),
        ("- just\n- a list\n", "", "mapping"),
        ("", "", "empty"),
        ("kind: dataset\nversion: 0.1.0\napp: {mode: workflow}\n", "kind", "'dataset'"),
        ("name: x\nmode: workflow\n", "kind", "kind: app"),
        ("kind: app\nversion: 0.6.0\napp: {name: x, mode: chat}\nmodel_config: {}\n", "app.mode", "'chat'"),
        ("kind: app\nversion: 0.6.0\napp: {name: x, mode: agent-chat}\n", "app.mode", "agent"),
        ("kind: app\nversion: 0.6.0\n", "app", "missing"),
        ("kind: app\nversion: 0.6.0\napp: {name: x, mode: workflow}\n", "workflow", "missing"),
        ("kind: app\nversion: 0.6.0\napp: {name: x, mode: workflow}\nworkflow: {}\n", "workflow.graph", "missing"),
        ("kind: app\nversion: 0.6.0\napp: {name: x, mode: workflow}\nworkflow: {graph: {nodes: 3}}\n",
         "workflow.graph.nodes", "list"),
        ("kind: app\nversion: latest\napp: {name: x, mode: workflow}\n", "version", "'latest'"),
        ("kind: app\nversion: 1.0.0\napp: {name: x, mode: workflow}\n", "version", "1.0.0"),
        ("kind: app\nversion: 0.6.0\napp: &a {name: x, mode: workflow}\nworkflow: *a\n", "", "aliases"),
        ('kind: app\nversion: 0.6.0\napp: {name: "x\\0", mode: workflow}\n', "app.name", "NUL"),
    ],
)  # fmt: skip
def test_files_that_are_not_dify_apps_get_clear_errors_naming_the_field(content: str, field: str, words: str) -> None:
    with pytest.raises(InvalidWorkflowFile) as caught:
        import_dify(content)
    assert caught.value.field == field
    assert words in caught.value.message
    assert isinstance(caught.value, DslRefused)  # callers catch one kind


def test_not_utf8_is_refused() -> None:
    with pytest.raises(InvalidWorkflowFile, match="UTF-8"):
        import_dify(b"kind: app\n\xff\xfe")


def test_versions_missing_or_newer_import_with_a_warning() -> None:
    def drop(doc: dict[str, Any]) -> None:
        del doc["version"]

    imported = import_dify(edit("workflow_v0.7.0_grade.yml", drop))
    assert imported.dsl_version == "0.1.0" and imported.warnings[0].field == "version"

    def newer(doc: dict[str, Any]) -> None:
        doc["version"] = "0.9.1"

    imported = import_dify(edit("workflow_v0.7.0_grade.yml", newer))
    assert imported.dsl_version == "0.9.1" and "newer" in imported.warnings[0].message


# --- hezi's own format ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(IMPORTABLE))
def test_hezi_yaml_round_trips(name: str) -> None:
    imported = import_dify(text(name))
    out = export_yaml(imported.graph, name=imported.name, description=imported.description, icon=imported.icon,
                      opening_statement=imported.opening_statement,
                      suggested_questions=imported.suggested_questions)  # fmt: skip
    assert out.startswith("hezi: workflow/1\n")
    back = load_yaml(out)
    assert back.graph == imported.graph
    assert (back.name, back.icon, back.description) == (imported.name, imported.icon, imported.description)
    assert back.suggested_questions == imported.suggested_questions


def test_hezi_yaml_errors_name_the_field() -> None:
    with pytest.raises(InvalidWorkflowFile, match="Dify DSL file") as caught:
        load_yaml(text("workflow_v0.7.0_grade.yml"))
    assert caught.value.field == "hezi"
    with pytest.raises(InvalidWorkflowFile, match="workflow/9") as caught:
        load_yaml("hezi: workflow/9\nname: x\ngraph: {}\n")
    with pytest.raises(InvalidWorkflowFile) as caught:
        load_yaml("hezi: workflow/1\nname: x\ngraph: {nodes: [{id: 'bad id!', type: start}]}\n")
    assert caught.value.field == "graph.nodes[0].id"
    with pytest.raises(InvalidWorkflowFile) as caught:
        load_yaml("hezi: workflow/1\nname: x\ngraph: {}\nextra: 1\n")
    assert caught.value.field == "extra"


def test_hezi_yaml_checks_the_graph_unless_a_draft() -> None:
    draft = "hezi: workflow/1\nname: Draft\ngraph: {mode: workflow, nodes: [{id: a, type: end}]}\n"
    with pytest.raises(DslRefused) as caught:
        load_yaml(draft)
    assert any(p.code == "no_start" for p in caught.value.problems)
    assert load_yaml(draft, check=False).graph.nodes[0].id == "a"


# --- back to Dify -----------------------------------------------------------------------------------------------


# The 0.1.2 file's iteration has no start marker; the export adds Dify's (tested below).
@pytest.mark.parametrize("name", sorted(set(IMPORTABLE) - {"workflow_v0.1.2_numbered_lines.yml"}))
def test_dify_export_reads_back_to_the_same_graph(name: str) -> None:
    imported = import_dify(text(name))
    out = export_dify(imported.graph, name=imported.name, description=imported.description, icon=imported.icon)
    doc = yaml.safe_load(out)
    assert doc["kind"] == "app" and doc["version"] == "0.7.0"
    assert doc["app"]["mode"] == ("advanced-chat" if imported.mode == "chatflow" else "workflow")
    again = import_dify(out)
    assert again.graph == imported.graph


def test_dify_export_of_an_old_iteration_adds_dify_s_start_marker() -> None:
    imported = import_dify(text("workflow_v0.1.2_numbered_lines.yml"))
    doc = yaml.safe_load(export_dify(imported.graph, name="x"))
    nodes = {n["id"]: n for n in doc["workflow"]["graph"]["nodes"]}
    marker = nodes["1719000000003start"]
    assert marker["data"]["type"] == "iteration-start" and marker["parentId"] == "1719000000003"
    assert nodes["1719000000003"]["data"]["start_node_id"] == "1719000000003start"
    again = import_dify(yaml.dump(doc)).graph
    assert validate(again) == []


def test_dify_export_refuses_what_dify_cannot_hold() -> None:
    graph = import_dify(text("workflow_v0.7.0_grade.yml")).graph
    nodes = [*graph.nodes, graph.nodes[0].model_copy(update={"id": "ag", "type": "agent", "data": {"agent_id": "x"}})]
    with pytest.raises(DslRefused) as caught:
        export_dify(graph.model_copy(update={"nodes": nodes}), name="x")
    assert caught.value.problems[0].node_id == "ag"
