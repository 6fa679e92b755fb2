"""The console's two languages carry the same keys, none of them empty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

I18N = Path(__file__).resolve().parents[2] / "web" / "src" / "i18n"


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def load(name: str) -> dict[str, str]:
    return flatten(json.loads((I18N / name).read_text(encoding="utf-8")))


def test_zh_cn_and_en_have_the_same_keys() -> None:
    zh, en = load("zh-CN.json"), load("en.json")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_no_translation_is_empty_or_untranslated() -> None:
    zh, en = load("zh-CN.json"), load("en.json")
    assert [k for k, v in {**zh, **en}.items() if not isinstance(v, str) or not v.strip()] == []
    # A Chinese string identical to the English one was most likely forgotten (names like "API" aside).
    same = [k for k in zh if zh[k] == en[k] and any(c.isalpha() for c in zh[k]) and len(zh[k]) > 4]
    assert same == []


def test_interpolations_match() -> None:
    import re

    zh, en = load("zh-CN.json"), load("en.json")
    vars_of = lambda s: sorted(re.findall(r"\{\{\s*(\w+)\s*\}\}", s))  # noqa: E731
    assert [k for k in zh if vars_of(zh[k]) != vars_of(en[k])] == []
