"""Workflow templates: hezi workflow files in this package, each a workflow that runs on the bundled model.

A template is a workflow file (`hezi: workflow/1`, its graph) with an `id`, an `order` and, per language (`en`,
`zh-CN`), its words: name, description, opening statement, suggested questions, node titles (`titles`, by node id)
and the start form's labels (`labels`, by variable).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

from hezi.workflows.dsl.hezi_file import FORMAT, WorkflowFile
from hezi.workflows.dsl.yamlio import load_mapping

LANGS = ("en", "zh-CN")


@dataclass(frozen=True)
class WorkflowTemplate:
    id: str
    icon: str
    order: int
    graph: dict[str, Any]  # as in the file, before a language's words are put in
    words: dict[str, dict[str, Any]]  # lang → name, description, opening_statement, suggested_questions, titles, labels

    @property
    def mode(self) -> str:
        return str(self.graph.get("mode", "workflow"))

    def name(self, lang: str) -> str:
        return str(self.words[normalize_lang(lang)]["name"])

    def description(self, lang: str) -> str:
        return str(self.words[normalize_lang(lang)]["description"])

    def file(self, lang: str) -> WorkflowFile:
        """The template in one language, as the workflow file an import of it would be."""
        words = self.words[normalize_lang(lang)]
        graph = copy.deepcopy(self.graph)
        titles, labels = words.get("titles") or {}, words.get("labels") or {}
        for node in graph.get("nodes", []):
            node["title"] = titles.get(node["id"], node.get("title", ""))
            if node.get("type") == "start":
                for var in node.get("data", {}).get("variables", []):
                    var["label"] = labels.get(var["variable"], var.get("label", ""))
        return WorkflowFile.model_validate({
            "hezi": FORMAT, "name": words["name"], "icon": self.icon, "description": words["description"],
            "opening_statement": words.get("opening_statement", ""),
            "suggested_questions": words.get("suggested_questions", []), "graph": graph,
        })  # fmt: skip


def normalize_lang(lang: str | None) -> str:
    """`zh`, `zh-cn`, `zh_CN.UTF-8` → zh-CN; anything else → en."""
    return "zh-CN" if (lang or "").lower().replace("_", "-").startswith("zh") else "en"


@functools.cache
def templates() -> tuple[WorkflowTemplate, ...]:
    """Every template, in the order the console shows them (read once: they are part of the installed package)."""
    out = []
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".yaml"):
            raw = load_mapping(entry.read_text(encoding="utf-8"), f"workflow template {entry.name}")
            out.append(WorkflowTemplate(
                id=raw["id"], icon=raw["icon"], order=int(raw["order"]), graph=raw["graph"],
                words={lang: raw[lang] for lang in LANGS},
            ))  # fmt: skip
    return tuple(sorted(out, key=lambda t: (t.order, t.id)))


def find(template_id: str) -> WorkflowTemplate | None:
    return next((t for t in templates() if t.id == template_id), None)
