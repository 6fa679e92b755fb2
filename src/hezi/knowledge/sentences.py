"""Sentence splitting for Chinese (。！？；) and English (. ! ?), and a last-resort split of over-long runs."""

from __future__ import annotations

import re

from hezi.knowledge.tokens import CJK_CHAR, TokenCounter

_CLOSERS = "”’\"'」』）)】》\\]"
# A CJK terminator ends a sentence at once; an English one only before whitespace, so 3.14 and a.b.c stay whole.
_END = re.compile(rf"[。！？；!?]+[{_CLOSERS}]*|\.+[{_CLOSERS}]*(?=\s|$)|\n\s*\n")
_UNIT = re.compile(rf"{CJK_CHAR.pattern}|[^\s\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]+\s*|\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences in order, stripped, with their end punctuation; rejoining them with `join_sentences` loses nothing."""
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        sentences.append(text[start : match.end()])
        start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def joiner(left: str, right: str) -> str:
    """Nothing after CJK text (Chinese does not space its sentences), a space after anything else."""
    if left and right and CJK_CHAR.match(left[-1]):
        return ""
    return " "


def join_sentences(sentences: list[str]) -> str:
    """The inverse of `split_sentences` up to whitespace."""
    out = ""
    for sentence in sentences:
        out = f"{out}{joiner(out, sentence)}{sentence}" if out else sentence
    return out


def hard_split(text: str, budget: int, count: TokenCounter) -> list[str]:
    """Cut a run with no sentence end into pieces within `budget`, between words or CJK characters."""
    pieces: list[str] = []
    current = ""
    used = 0
    for unit in _UNIT.findall(text):
        cost = count(unit)
        if current and used + cost > budget:
            pieces.append(current.strip())
            current, used = "", 0
        current += unit
        used += cost
    if current.strip():
        pieces.append(current.strip())
    return [p for p in pieces if p]
