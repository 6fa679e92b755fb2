"""Words for full-text search in Chinese and English: jieba segments CJK text, other words are lower-cased.

PostgreSQL's own parsers do not split Chinese, so the tsvector is built from jieba's tokens under the `simple`
configuration (no stemming, no stop words), which treats both languages alike.
"""

from __future__ import annotations

import re

import jieba

jieba.setLogLevel(60)  # its "building prefix dict" chatter on first use is not for hezi's logs
_WORD = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)

# Function words dropped from questions (never from documents): in an OR query "of" or "的" would match nearly every
# chunk and drown the words that carry the question. A question made only of them keeps them.
_STOP = (
    "a an the of to in on at by for from with about as into is are was were be been being am do does did done "
    "have has had can could should would will shall may might must i me my we our you your he she it its they them "
    "their this that these those there here what which who whom whose when where why how and or not no if then so "
    "than too very just also any some all each get gets got there's what's how's it's i'm does doesn't don't "
    "的 了 是 在 吗 呢 吧 啊 呀 么 嘛 和 与 及 或 或者 而 并 就 都 也 还 又 把 被 让 给 对 从 向 到 为 以 于 之 其 "
    "这 那 这个 那个 这些 那些 哪 哪个 哪些 哪里 什么 怎么 怎样 怎么样 如何 为什么 为何 是否 能否 能 可以 会 要 "
    "我 你 您 他 她 它 我们 你们 他们 有 没有 一个 一些 请问 请"
)
STOP_WORDS = frozenset(_STOP.split())


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
    terms = [t for t in seen if t]
    return [t for t in terms if t not in STOP_WORDS] or terms
