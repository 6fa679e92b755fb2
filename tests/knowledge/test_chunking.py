"""Chunking: structure kept, budgets respected, overlap, parent–child links, deterministic ordinals."""

from __future__ import annotations

import itertools

import pytest

from hezi.knowledge.chunking import (
    AutomaticRules,
    CustomRules,
    ParentChildRules,
    chunk_automatic,
    chunk_custom,
    chunk_document,
    chunk_parent_child,
)
from hezi.knowledge.errors import InvalidChunkingRules
from hezi.knowledge.parsing import Block, ParsedDocument, parse_document
from hezi.knowledge.rules import rules_from
from hezi.knowledge.tokens import estimate_tokens
from tests.knowledge.documents import make_pdf

ZH = "第一条 为了规范管理，制定本办法。第二条 本办法适用于全体员工。第三条 员工应当遵守纪律！第四条 违者处罚？"
EN = "This policy applies to everyone. It covers leave and travel. Expenses need receipts! Questions go to HR?"


def _doc() -> ParsedDocument:
    rows = "\n".join(f"| item {i} | {i * 10} |" for i in range(12))
    md = f"# 总则\n\n{ZH}\n\n## 2.1 Scope\n\n{EN}\n\n| name | price |\n|---|---|\n{rows}\n"
    return parse_document(md.encode(), "policy.md")


def test_chunks_respect_the_budget_and_keep_heading_paths() -> None:
    chunks = chunk_automatic(_doc(), AutomaticRules(max_tokens=30, overlap_tokens=0)).chunks
    assert all(estimate_tokens(c.text) <= 30 for c in chunks)
    assert chunks[0].text.startswith("# 总则\n\n第一条")
    assert {c.section_path for c in chunks} == {("总则",), ("总则", "2.1 Scope")}
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all("总则" not in c.text or "Scope" not in c.text for c in chunks)  # sections never share a chunk


def test_sentences_are_never_cut_when_they_fit() -> None:
    chunks = chunk_automatic(_doc(), AutomaticRules(max_tokens=30, overlap_tokens=0)).chunks
    zh_text = "".join(c.text for c in chunks if c.section_path == ("总则",))
    for sentence in ("第一条 为了规范管理，制定本办法。", "第三条 员工应当遵守纪律！"):
        assert any(sentence in c.text for c in chunks), sentence
    assert "第四条 违者处罚？" in zh_text
    assert any("Expenses need receipts!" in c.text for c in chunks)


def test_tables_split_between_rows_with_the_header_repeated() -> None:
    chunks = chunk_automatic(_doc(), AutomaticRules(max_tokens=40, overlap_tokens=10)).chunks
    table_chunks = [c for c in chunks if "| item" in c.text]
    assert len(table_chunks) > 1
    for chunk in table_chunks:
        lines = chunk.text.splitlines()
        start = lines.index("| name | price |")
        assert lines[start + 1] == "|---|---|"
        assert all(line.startswith("| ") and line.endswith(" |") for line in lines[start + 2 :])


def test_overlap_repeats_trailing_sentences() -> None:
    doc = ParsedDocument("txt", (Block("paragraph", " ".join(f"Sentence number {i} is here." for i in range(20))),))
    chunks = chunk_automatic(doc, AutomaticRules(max_tokens=30, overlap_tokens=8)).chunks
    assert len(chunks) > 2
    for before, after in itertools.pairwise(chunks):
        last_sentence = before.text.rsplit(". ", 1)[-1]
        assert after.text.startswith(last_sentence), (before.text, after.text)
        assert estimate_tokens(after.text) <= 30


def test_page_ranges_follow_the_pdf() -> None:
    doc = parse_document(make_pdf(["Alpha one. Alpha two.", "Beta one. Beta two.", "Gamma one."]), "r.pdf")
    one = chunk_automatic(doc, AutomaticRules(max_tokens=500, overlap_tokens=0)).chunks
    assert [(c.page_start, c.page_end) for c in one] == [(1, 3)]
    small = chunk_automatic(doc, AutomaticRules(max_tokens=6, overlap_tokens=0)).chunks
    assert [(c.page_start, c.page_end) for c in small] == [(1, 1), (2, 2), (3, 3)]


def test_custom_separator_size_and_overlap() -> None:
    doc = ParsedDocument("txt", (Block("paragraph", "a1 a2 a3 ### b1 b2 ### c1 c2 c3 c4 ### d1", page=4),))
    chunks = chunk_custom(doc, CustomRules(separator="###", max_tokens=8, overlap_tokens=0)).chunks
    assert [c.text for c in chunks] == ["a1 a2 a3###b1 b2", "c1 c2 c3 c4###d1"]
    assert all(c.page_start == 4 for c in chunks)
    overlapping = chunk_custom(doc, CustomRules(separator="###", max_tokens=9, overlap_tokens=3)).chunks
    assert overlapping[1].text.startswith("b1 b2###c1")


def test_parent_child_links() -> None:
    result = chunk_parent_child(_doc(), ParentChildRules(parent_max_tokens=120, child_max_tokens=25,
                                                         child_overlap_tokens=0))  # fmt: skip
    assert result.parents and len(result.chunks) > len(result.parents)
    parents = {p.ordinal: p for p in result.parents}
    for child in result.chunks:
        assert child.parent_ordinal in parents
        parent = parents[child.parent_ordinal]
        assert child.section_path == parent.section_path
        assert estimate_tokens(child.text) <= 25
        assert all(line in parent.text for line in child.text.splitlines())


def test_same_input_gives_the_same_chunks() -> None:
    rules = ParentChildRules(parent_max_tokens=60, child_max_tokens=20, child_overlap_tokens=5)
    assert chunk_document(_doc(), rules) == chunk_document(_doc(), rules)
    assert chunk_document(_doc(), AutomaticRules(30, 5)) == chunk_document(_doc(), AutomaticRules(30, 5))


@pytest.mark.parametrize(
    "settings",
    [
        {"mode": "automatic", "max_tokens": 0, "overlap_tokens": 0},
        {"mode": "automatic", "max_tokens": 10, "overlap_tokens": 10},
        {"mode": "custom", "separator": "", "max_tokens": 10, "overlap_tokens": 0},
        {"mode": "parent_child", "parent_max_tokens": 50, "child_max_tokens": 100, "child_overlap_tokens": 0},
        {"mode": "automatic", "max_tokens": "many"},
        {"mode": "automatic", "colour": "blue"},
        {"mode": "sideways"},
    ],
)
def test_bad_rules_are_refused_when_built(settings: dict[str, object]) -> None:
    """Refused before any document: knowledge-base creation and PATCH call rules_from."""
    with pytest.raises(InvalidChunkingRules) as err:
        rules_from(settings)
    assert err.value.code == "invalid_chunking_rules"
