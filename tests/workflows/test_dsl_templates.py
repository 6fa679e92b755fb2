"""The workflow templates: each validates in both languages, travels through both file formats unchanged, and runs
on the bundled model."""

from __future__ import annotations

import pytest
import yaml

from hezi.workflows.dsl import export_dify, export_yaml, import_dify, load_yaml
from hezi.workflows.templates import LANGS, find, templates
from hezi.workflows.validate import validate
from tests.conftest import LiveServer
from tests.workflows.test_dsl_run import run

IDS = [t.id for t in templates()]


def test_the_three_templates_of_the_issue_are_there_in_order() -> None:
    assert IDS == ["document-qa-flow", "ticket-triage", "batch-translation"]
    assert {t.id: t.mode for t in templates()} == {
        "document-qa-flow": "chatflow", "ticket-triage": "chatflow", "batch-translation": "workflow",
    }  # fmt: skip
    assert find("nope") is None


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("template_id", IDS)
def test_each_template_validates_in_each_language(template_id: str, lang: str) -> None:
    template = find(template_id)
    assert template is not None
    file = template.file(lang)
    assert validate(file.graph) == []
    assert file.name == template.name(lang) and file.description == template.description(lang)
    titles = template.words[lang]["titles"]
    assert all(n.title == titles[n.id] for n in file.graph.nodes)  # every node named in the language


def test_words_follow_the_language() -> None:
    template = find("batch-translation")
    assert template is not None
    zh, en = template.file("zh_CN.UTF-8"), template.file("en-US")
    assert zh.name.startswith("批量翻译") and en.name.startswith("Batch translation")
    assert zh.graph.nodes[0].data["variables"][1]["label"] == "翻译成"
    assert en.graph.nodes[0].data["variables"][1]["label"] == "Translate into"


@pytest.mark.parametrize("template_id", IDS)
def test_templates_round_trip_through_both_formats(template_id: str) -> None:
    template = find(template_id)
    assert template is not None
    file = template.file("zh-CN")
    assert load_yaml(export_yaml(file.graph, name=file.name)).graph == file.graph
    dify = export_dify(file.graph, name=file.name, description=file.description, icon=file.icon)
    doc = yaml.safe_load(dify)
    assert doc["app"]["name"] == file.name
    back = import_dify(dify).graph
    assert validate(back) == []
    assert {n.id: n.type for n in back.nodes if n.type != "iteration-start"} == {n.id: n.type for n in file.graph.nodes}


def test_document_qa_runs_on_the_bundled_model(model_server: LiveServer) -> None:
    template = find("document-qa-flow")
    assert template is not None
    wf = run(model_server, template.file("en").graph, query="How do I apply for annual leave?")
    assert wf.status == "succeeded", wf.error
    assert wf.outputs["answer"].strip()
    assert [t.node_id for t in wf.traces] == ["start", "rewrite", "retrieve", "reply", "answer"]


def test_ticket_triage_runs_one_branch_on_the_bundled_model(model_server: LiveServer) -> None:
    template = find("ticket-triage")
    assert template is not None
    wf = run(model_server, template.file("zh-CN").graph, query="The app crashes when I upload a PDF.")
    assert wf.status == "succeeded", wf.error
    ran = {t.node_id for t in wf.traces if t.status == "succeeded"}
    assert "classify" in ran
    branches = {"ticket", "billing", "other"} & ran
    assert len(branches) == 1  # the classifier chose one branch and only it ran
    assert wf.outputs["answer"].strip()


def test_batch_translation_runs_each_line_on_the_bundled_model(model_server: LiveServer) -> None:
    template = find("batch-translation")
    assert template is not None
    wf = run(model_server, template.file("en").graph, {"text": "你好\n\n谢谢", "target": "English"})
    assert wf.status == "succeeded", wf.error
    translations = wf.outputs["translations"]
    assert isinstance(translations, list) and len(translations) == 2
    assert all(isinstance(t, str) and t.strip() for t in translations)
    assert wf.outputs["text"] == "\n".join(translations)
