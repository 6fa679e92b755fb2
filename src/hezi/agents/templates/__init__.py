"""Agent templates: YAML files in this package, each an agent that works out of the box on the bundled model.

A template holds the settings that do not depend on the language (`config`) and, per language (`en`, `zh-CN`),
the words: name, description, system prompt, opening statement, suggested questions and the input form's labels.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from hezi.agents.spec import AgentConfig

LANGS = ("en", "zh-CN")
_WORDS = ("system_prompt", "opening_statement", "suggested_questions", "user_input_form")


@dataclass(frozen=True)
class Template:
    id: str
    icon: str
    order: int
    config: dict[str, Any]  # the settings every language shares
    words: dict[str, dict[str, Any]]  # lang → name, description and the config fields in that language

    def name(self, lang: str) -> str:
        return str(self.words[lang]["name"])

    def description(self, lang: str) -> str:
        return str(self.words[lang]["description"])

    def agent_config(self, lang: str) -> AgentConfig:
        words = self.words[lang]
        return AgentConfig.model_validate({**self.config, **{k: words[k] for k in _WORDS if k in words}})


def normalize_lang(lang: str | None) -> str:
    """`zh`, `zh-cn`, `zh_CN.UTF-8` → zh-CN; anything else → en."""
    return "zh-CN" if (lang or "").lower().replace("_", "-").startswith("zh") else "en"


@functools.cache
def templates() -> tuple[Template, ...]:
    """Every template, in the order the console shows them (read once: they are part of the installed package)."""
    out = []
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".yaml"):
            raw = yaml.safe_load(entry.read_text(encoding="utf-8"))
            out.append(
                Template(
                    id=raw["id"],
                    icon=raw["icon"],
                    order=int(raw["order"]),
                    config=raw.get("config") or {},
                    words={lang: raw[lang] for lang in LANGS},
                )
            )
    return tuple(sorted(out, key=lambda t: (t.order, t.id)))


def find(template_id: str) -> Template | None:
    return next((t for t in templates() if t.id == template_id), None)
