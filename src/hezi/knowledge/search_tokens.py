"""Words for full-text search in Chinese and English: jieba segments CJK text, other words are lower-cased.

PostgreSQL's own parsers do not split Chinese, so the tsvector is built from jieba's tokens under the `simple`
configuration (no stemming, no stop words), which treats both languages alike.
"""

from __future__ import annotations

import re

import jieba

jieba.setLogLevel(60)  # its "building prefix dict" chatter on first use is not for hezi's logs
_WORD = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Search tokens of `text`: jieba's search-mode cut, lower-cased, punctuation and spaces dropped."""
    return [t.lower() for t in jieba.cut_for_search(text) if _WORD.fullmatch(t)]


def document_text(text: str) -> str:
    """What goes into `to_tsvector('simple', …)` for a chunk."""
    return " ".join(tokens(text))


def query_terms(text: str) -> list[str]:
    """Distinct tokens of a question, in order, for an OR query (ranking rewards chunks that have more of them)."""
    seen: dict[str, None] = {}
    for t in tokens(text):
        seen.setdefault(t.replace("'", ""), None)
    return [t for t in seen if t]
