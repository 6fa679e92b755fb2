"""The Debian FAQ in English and Chinese, ingested through the API and asked its own questions.

A real bilingual document set (XHTML chapters with numbered question headings, lists, code and navigation tables),
fetched once per machine by tests/knowledge/debian.py, in knowledge bases with the default embedding model,
multilingual-e5-small. It reads both languages, so English and Chinese questions are checked in all three modes,
and Chinese questions also against the English FAQ (in vector and hybrid mode: full text has no words to match
there), which the English-only all-MiniLM-L6-v2 could not do (hybrid recall@5 0.33 across the languages).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hezi.knowledge.rules import DEFAULT
from hezi.knowledge.tokens import estimate_tokens
from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.knowledge import debian

LANGS: tuple[debian.Lang, ...] = ("en", "zh-cn")
BUDGET = int(DEFAULT["max_tokens"])  # type: ignore[call-overload]

# FAQ numbers of sections and questions about them: the heading's own question (numbers stripped), as a reader of
# the FAQ would ask it, and the same question in other words.
ENGLISH = {
    "1.7": ("How does one pronounce Debian and what does this word mean?", "How do you pronounce the word Debian?"),
    "7.3": ("Why are Debian package file names so long?", "Why do Debian package files have such long names?"),
    "13.1": ("How can I become a Debian member/Debian developer?", "How do I become a Debian developer?"),
    "12.5": ("How do I report a bug in Debian?", "Where can I report a bug I found in Debian?"),
    "10.2": ("What tools does Debian provide to build custom kernels?", "Which tools build a custom kernel on Debian?"),
}
CHINESE = {
    "1.7": ("Debian 一词如何发音，有什么含义？", "Debian 这个词怎么发音？"),
    "7.3": ("为什么 Debian 软件包的文件名这么长？", "Debian 软件包的文件名为什么这么长？"),
    "13.1": ("如何成为 Debian 成员或 Debian 开发者？", "怎样成为 Debian 开发者？"),
    "12.5": ("如何报告 Debian 中的缺陷？", "怎么报告 Debian 的缺陷？"),
    "10.2": ("Debian 提供了哪些工具来编译定制内核？", "Debian 有什么工具可以编译定制内核？"),
}


@pytest.fixture(scope="module")
def chapters() -> dict[debian.Lang, list[Path]]:
    try:
        return {lang: debian.faq_chapters(lang) for lang in LANGS}
    except debian.DebianDataUnavailable as exc:
        pytest.skip(f"the Debian FAQ could not be fetched with apt-get download: {exc}")


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def faq(admin: Api, chapters: dict[debian.Lang, list[Path]]) -> dict[debian.Lang, dict[str, Any]]:
    """One knowledge base per language, every chapter uploaded at once and ingested by the job."""
    ws = admin.create_workspace()["id"]
    kbs: dict[debian.Lang, dict[str, Any]] = {}
    for lang in LANGS:
        r = admin.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": unique(f"faq-{lang}")})
        assert r.status_code == 201, r.text
        kb = {**r.json(), "base": f"/api/workspaces/{ws}/knowledge-bases/{r.json()['id']}"}
        for page in chapters[lang]:
            up = admin.post(f"{kb['base']}/documents", params={"filename": page.name}, content=page.read_bytes(),
                            headers={"Content-Type": "application/octet-stream"})  # fmt: skip
            assert up.status_code == 201, up.text
        kbs[lang] = kb
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        docs = {lang: documents(admin, kb) for lang, kb in kbs.items()}
        if all(d["status"] in ("ready", "failed") for ds in docs.values() for d in ds):
            for lang in LANGS:
                kbs[lang]["documents"] = docs[lang]
            return kbs
        time.sleep(0.5)
    raise AssertionError(f"the FAQ was not ingested in time: {[(d['name'], d['status']) for d in docs['zh-cn']]}")


def documents(admin: Api, kb: dict[str, Any]) -> list[dict[str, Any]]:
    r = admin.get(f"{kb['base']}/documents", params={"limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def chunks_of(admin: Api, kb: dict[str, Any], doc_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = admin.get(f"{kb['base']}/documents/{doc_id}/chunks", params={"offset": len(out), "limit": 500}).json()
        out.extend(page["data"])
        if len(out) >= page["count"]:
            return out


def sections_found(admin: Api, kb: dict[str, Any], query: str, mode: str, k: int = 3) -> list[str | None]:
    r = admin.post(f"{kb['base']}/retrieve", json={"query": query, "mode": mode, "top_k": k})
    assert r.status_code == 200, r.text
    return [debian.section_number(hit["section"]) for hit in r.json()["data"]]


def test_every_chapter_is_ingested_in_both_languages(
    faq: dict[debian.Lang, dict[str, Any]], chapters: dict[debian.Lang, list[Path]]
) -> None:
    for lang in LANGS:
        docs = faq[lang]["documents"]
        assert sorted(d["name"] for d in docs) == sorted(p.name for p in chapters[lang])
        for d in docs:
            assert d["status"] == "ready", (lang, d["name"], d["error"])
            assert d["chunks_embedded"] == d["chunks_total"] >= 2, (lang, d["name"], d["chunks_total"])
        # 16 chapters, 164 headings: a few hundred chunks of up to 200 tokens, not one per line nor one per page.
        total = sum(d["chunks_total"] for d in docs)
        assert 200 <= total <= 800, (lang, total)


def test_chunks_keep_the_question_headings_and_the_token_budget(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]]
) -> None:
    numbers: dict[str, set[str]] = {}
    for lang in LANGS:
        kb = faq[lang]
        every = [c for d in kb["documents"] for c in chunks_of(admin, kb, d["id"])]
        over = [(c["section"], estimate_tokens(c["text"])) for c in every if estimate_tokens(c["text"]) > BUDGET]
        assert not over, (lang, over[:3])
        assert all(c["embedded"] and c["enabled"] for c in every)
        found = {n for c in every if (n := debian.section_number(c["section"]))}
        headings = [c["section"].rsplit(" / ", 1)[-1] for c in every if c["section"]]
        asked = {q.number for q in debian.questions(headings)}
        # Every numbered section, questions included, owns chunks under its own heading, in the document's language.
        assert len(found) >= 140 and len(asked) >= 110, (lang, len(found), len(asked))
        numbers[lang] = found
        title = next(c["section"] for c in every if debian.section_number(c["section"]) == "7.3")
        assert ("为什么" in title) if lang == "zh-cn" else ("Why are Debian package file names so long?" in title)
    # The translation keeps the original's numbering, which is what lets the bench ask across languages.
    assert numbers["en"] == numbers["zh-cn"]


def missed(admin: Api, kb: dict[str, Any], asked: dict[str, tuple[str, str]], which: int, mode: str) -> list[Any]:
    """The questions whose section is not among the first five hits (recall@5, what the bench measures)."""
    out = []
    for number, questions in asked.items():
        found = sections_found(admin, kb, questions[which], mode, k=5)
        if number not in found:
            out.append((questions[which], number, found))
    return out


# Full text weighs each word of the question by its inverse document frequency in the knowledge base, so the one
# chunk that says "pronounce" beats the many that say "Debian" (with ts_rank_cd alone these cases missed).
@pytest.mark.parametrize("mode", ["hybrid", "vector", "full_text"])
def test_english_faq_questions_find_their_sections(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], mode: str
) -> None:
    assert not missed(admin, faq["en"], ENGLISH, 0, mode)


@pytest.mark.parametrize("mode", ["hybrid", "vector", "full_text"])
def test_english_questions_in_other_words_find_their_sections(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], mode: str
) -> None:
    assert not missed(admin, faq["en"], ENGLISH, 1, mode)


@pytest.mark.parametrize("mode", ["hybrid", "vector", "full_text"])
def test_chinese_faq_questions_find_their_sections(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], mode: str
) -> None:
    assert not missed(admin, faq["zh-cn"], CHINESE, 0, mode)


@pytest.mark.parametrize("mode", ["hybrid", "vector", "full_text"])
def test_chinese_questions_in_other_words_find_their_sections(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], mode: str
) -> None:
    assert not missed(admin, faq["zh-cn"], CHINESE, 1, mode)


@pytest.mark.parametrize("which", [0, 1], ids=["faq-question", "other-words"])
def test_chinese_questions_find_their_sections_in_the_english_faq(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], which: int
) -> None:
    """A Chinese reader asks, the English FAQ answers (the translation keeps the numbering, so the right section
    is the one with the Chinese question's number): in hybrid, all but at most one of the five in the top five.
    The small multilingual model misses "which tools build a custom kernel" across the languages; the English-only
    MiniLM found a third of all such answers. Every question, in each mode: the test below."""
    assert len(missed(admin, faq["en"], CHINESE, which, "hybrid")) <= 1


@pytest.mark.parametrize(
    ("lang", "keywords"),
    [
        ("en", {"1.7": "pronounce", "7.3": "long file names", "13.1": "become developer", "12.5": "report bug",
                "10.2": "custom kernel tools"}),
        ("zh-cn", {"1.7": "发音", "7.3": "文件名 长", "13.1": "成为 开发者", "12.5": "报告 缺陷",
                   "10.2": "定制 内核 工具"}),
    ],
)  # fmt: skip
def test_keywords_find_their_sections_in_full_text(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], lang: debian.Lang, keywords: dict[str, str]
) -> None:
    """Jieba's tokens on both sides: Chinese keywords match Chinese chunks without spaces between words."""
    asked = {number: (words, words) for number, words in keywords.items()}
    assert not missed(admin, faq[lang], asked, 0, "full_text")


@pytest.fixture(scope="module")
def every_question(admin: Api, faq: dict[debian.Lang, dict[str, Any]]) -> dict[debian.Lang, list[debian.Question]]:
    """All of the FAQ's question headings whose section owns chunks (about 120 per language), numbers stripped."""
    out: dict[debian.Lang, list[debian.Question]] = {}
    for lang in LANGS:
        every = [c for d in faq[lang]["documents"] for c in chunks_of(admin, faq[lang], d["id"])]
        answered = {n for c in every if (n := debian.section_number(c["section"]))}
        headings = [c["section"].rsplit(" / ", 1)[-1] for c in every if c["section"]]
        out[lang] = [q for q in debian.questions(headings) if q.number in answered]
    return out


@pytest.mark.parametrize(
    ("asked", "documents"), [("en", "en"), ("zh-cn", "zh-cn"), ("zh-cn", "en")], ids=["en-en", "zh-zh", "zh-en"]
)
def test_hybrid_is_as_good_as_the_better_mode_in_every_language_pair(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]], every_question: dict[debian.Lang, list[debian.Question]],
    asked: debian.Lang, documents: debian.Lang,
) -> None:  # fmt: skip
    """The issue's bar, asked of every FAQ question as bench/knowledge.py does: hybrid (the default, weighted) finds
    the answer in its top five at least as often as the better single mode. In one language it also puts the
    answer first more often than either, fused at the asked weight; a Chinese question about the English FAQ, whose
    words the knowledge base lacks, leans on its vector and finds most answers (MiniLM: a third)."""
    kb = faq[documents]
    numbers = {q.number for q in every_question[documents]}
    questions = [q for q in every_question[asked] if q.number in numbers]
    assert len(questions) >= 110, len(questions)
    at1: dict[str, int] = {}
    at5: dict[str, int] = {}
    for mode in ("vector", "full_text"):
        found = [(q.number, sections_found(admin, kb, q.text, mode, k=5)) for q in questions]
        at1[mode] = sum(hits[:1] == [number] for number, hits in found)
        at5[mode] = sum(number in hits for number, hits in found)
    weights = []
    at1["hybrid"] = at5["hybrid"] = 0
    for q in questions:
        r = admin.post(f"{kb['base']}/retrieve", json={"query": q.text, "top_k": 5})
        assert r.status_code == 200, r.text
        hits = [debian.section_number(h["section"]) for h in r.json()["data"]]
        at1["hybrid"] += hits[:1] == [q.number]
        at5["hybrid"] += q.number in hits
        weights.append(r.json()["vector_weight"])
    assert at5["hybrid"] >= max(at5["vector"], at5["full_text"]), at5
    median = sorted(weights)[len(weights) // 2]
    if asked == documents:
        assert at1["hybrid"] > max(at1["vector"], at1["full_text"]), at1
        assert median == 0.5, median
    else:  # the vectors read across the languages: the base knows hardly a word of the question
        assert min(at5["vector"], at5["hybrid"]) >= 0.8 * len(questions), at5
        assert median > 0.9, median


def test_a_chinese_question_finds_no_words_in_the_english_faq(
    admin: Api, faq: dict[debian.Lang, dict[str, Any]]
) -> None:
    assert sections_found(admin, faq["en"], "怎样成为开发者？", "full_text") == []
