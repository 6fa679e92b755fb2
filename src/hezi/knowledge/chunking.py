"""Chunking parsed documents for retrieval: structure-aware, custom-separator and parent–child, all deterministic.

Determinism matters: the same document and rules always give the same chunks with the same ordinals, so an
ingestion job that crashed can resume at an ordinal without duplicating or skipping chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from hezi.knowledge.errors import InvalidChunkingRules
from hezi.knowledge.parsing.model import Block, ParsedDocument, render_block
from hezi.knowledge.sentences import hard_split, joiner, split_sentences
from hezi.knowledge.tokens import TokenCounter, estimate_tokens

_TABLE_RULE = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable unit with what a citation needs; `parent_ordinal` links a child to its parent chunk."""

    ordinal: int
    text: str
    tokens: int
    section_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    parent_ordinal: int | None = None


@dataclass(frozen=True, slots=True)
class ChunkSet:
    """`chunks` are indexed and retrieved; `parents` (parent–child mode only) are what a hit returns."""

    chunks: tuple[Chunk, ...]
    parents: tuple[Chunk, ...] = ()


@dataclass(frozen=True, slots=True)
class AutomaticRules:
    max_tokens: int = 500
    overlap_tokens: int = 50

    def __post_init__(self) -> None:  # checked when built, so bad settings are refused before any document
        _check(self.max_tokens, self.overlap_tokens)


@dataclass(frozen=True, slots=True)
class CustomRules:
    separator: str = "\n\n"
    max_tokens: int = 500
    overlap_tokens: int = 50

    def __post_init__(self) -> None:
        _check(self.max_tokens, self.overlap_tokens)
        if not self.separator:
            raise InvalidChunkingRules("the separator must not be empty")


@dataclass(frozen=True, slots=True)
class ParentChildRules:
    parent_max_tokens: int = 1000
    child_max_tokens: int = 200
    child_overlap_tokens: int = 20

    def __post_init__(self) -> None:
        _check(self.parent_max_tokens, 0)
        _check(self.child_max_tokens, self.child_overlap_tokens)
        if self.child_max_tokens > self.parent_max_tokens:
            raise InvalidChunkingRules("child chunks must not be larger than their parents")


ChunkingRules = AutomaticRules | CustomRules | ParentChildRules


@dataclass(frozen=True, slots=True)
class _Piece:
    """The smallest thing packing moves: a sentence, list item, table row or heading."""

    text: str
    tokens: int
    group: int  # pieces of one block join with `joiner`; different blocks with the group separator
    pages: tuple[int | None, int | None]
    section: tuple[str, ...]
    joiner: str = " "
    header: str = ""  # a table's header, repeated before its first row in every chunk
    header_tokens: int = 0
    group_tokens: int = 0  # on a block's first piece: the whole block, to keep small blocks in one chunk
    overlap: bool = True
    sticky: bool = False  # headings: never left alone at a chunk's end


def chunk_document(doc: ParsedDocument, rules: ChunkingRules, count: TokenCounter = estimate_tokens) -> ChunkSet:
    """Chunk `doc` with whichever rules the knowledge base is configured with."""
    return _MODES[type(rules)](doc, rules, count)


def chunk_automatic(doc: ParsedDocument, rules: AutomaticRules, count: TokenCounter = estimate_tokens) -> ChunkSet:
    """Split by sections, then blocks, then sentences; pack to `max_tokens` with sentence-level overlap."""
    groups = _automatic_groups(doc, rules.max_tokens, rules.overlap_tokens, count)
    return ChunkSet(tuple(_chunks(groups, "\n\n", count)))


def chunk_custom(doc: ParsedDocument, rules: CustomRules, count: TokenCounter = estimate_tokens) -> ChunkSet:
    """Split the document's text at `separator`, split long segments by sentences, pack with overlap."""
    pieces = _separator_pieces(doc, rules.separator, rules.max_tokens, count)
    groups = _pack(pieces, rules.max_tokens, rules.overlap_tokens, keep_blocks=False)
    return ChunkSet(tuple(_chunks(groups, rules.separator, count)))


def chunk_parent_child(doc: ParsedDocument, rules: ParentChildRules, count: TokenCounter = estimate_tokens) -> ChunkSet:
    """Parents are automatic chunks of `parent_max_tokens`; each is re-packed into small children pointing at it."""
    parent_groups = _automatic_groups(doc, rules.parent_max_tokens, 0, count)
    parents = _chunks(parent_groups, "\n\n", count)
    children: list[Chunk] = []
    for parent, pieces in zip(parents, parent_groups, strict=True):
        refined = list(_refine(pieces, rules.child_max_tokens, count))
        for group in _pack(refined, rules.child_max_tokens, rules.child_overlap_tokens, keep_blocks=True):
            child = _chunk(len(children), group, "\n\n", count)
            children.append(replace(child, parent_ordinal=parent.ordinal))
    return ChunkSet(tuple(children), tuple(parents))


_MODES: dict[type, Callable[[ParsedDocument, ChunkingRules, TokenCounter], ChunkSet]] = {
    AutomaticRules: chunk_automatic,  # type: ignore[dict-item]
    CustomRules: chunk_custom,  # type: ignore[dict-item]
    ParentChildRules: chunk_parent_child,  # type: ignore[dict-item]
}


def _check(max_tokens: int, overlap: int) -> None:
    if max_tokens < 1:
        raise InvalidChunkingRules(f"chunk size must be at least 1 token, got {max_tokens}")
    if not 0 <= overlap < max_tokens:
        raise InvalidChunkingRules(f"overlap must be at least 0 and less than the chunk size, got {overlap}")


def _automatic_groups(doc: ParsedDocument, budget: int, overlap: int, count: TokenCounter) -> list[list[_Piece]]:
    """Pack each section on its own, so no chunk mixes two sections; headings with no body join the next one."""
    groups: list[list[_Piece]] = []
    section: list[_Piece] = []
    for index, block in enumerate(doc.blocks):
        if block.kind == "heading" and any(not p.sticky for p in section):
            groups.extend(_pack(section, budget, overlap, keep_blocks=True))
            section = []
        section.extend(_block_pieces(block, index, budget, count))
    groups.extend(_pack(section, budget, overlap, keep_blocks=True))
    return groups


def _block_pieces(block: Block, group: int, budget: int, count: TokenCounter) -> list[_Piece]:
    pages = (block.page, block.page)
    if block.kind == "heading":
        text = render_block(block)
        return [_Piece(text, count(text), group, pages, block.section_path, overlap=False, sticky=True)]
    if block.kind == "table":
        return _table_pieces(block, group, budget, count)
    pieces: list[_Piece] = []
    if block.kind in ("list", "code"):
        for line in block.text.split("\n"):
            parts = _sentence_pieces(line, budget, count) if block.kind == "list" else hard_split(line, budget, count)
            for i, text in enumerate(parts or [line]):
                link = "\n" if i == 0 or block.kind == "code" else joiner(parts[i - 1], text)
                pieces.append(_Piece(text, count(text), group, pages, block.section_path, joiner=link))
        return _mark_group(pieces)
    texts = _sentence_pieces(block.text, budget, count)
    previous = ""
    for text in texts:
        pieces.append(_Piece(text, count(text), group, pages, block.section_path, joiner=joiner(previous, text)))
        previous = text
    return _mark_group(pieces)


def _table_pieces(block: Block, group: int, budget: int, count: TokenCounter) -> list[_Piece]:
    """Rows are never cut, even a row over budget; the header is repeated in each chunk that continues the table."""
    lines = block.text.split("\n")
    header = "\n".join(lines[:2]) if len(lines) > 2 and _TABLE_RULE.match(lines[1]) else ""
    header_tokens = count(header) if header else 0
    if header_tokens > budget // 2:
        header, header_tokens = "", 0
    rows = lines[2:] if header else lines
    pieces = [
        _Piece(
            row,
            count(row),
            group,
            (block.page, block.page),
            block.section_path,
            "\n",
            header,
            header_tokens,
            overlap=False,
        )
        for row in rows
    ]
    return _mark_group(pieces)


def _sentence_pieces(text: str, budget: int, count: TokenCounter) -> list[str]:
    return [part for sentence in split_sentences(text) for part in _fit(sentence, budget, count)]


def _fit(text: str, budget: int, count: TokenCounter) -> list[str]:
    return [text] if count(text) <= budget else hard_split(text, budget, count)


def _fit_by_sentences(text: str, budget: int, count: TokenCounter) -> list[str]:
    return [text] if count(text) <= budget else _sentence_pieces(text, budget, count)


def _mark_group(pieces: list[_Piece]) -> list[_Piece]:
    if pieces:
        total = sum(p.tokens for p in pieces) + pieces[0].header_tokens
        pieces[0] = replace(pieces[0], group_tokens=total)
    return pieces


def _separator_pieces(doc: ParsedDocument, separator: str, budget: int, count: TokenCounter) -> list[_Piece]:
    """Segments of the rendered document between separators, each remembering the pages and section it spans."""
    spans: list[tuple[int, Block]] = []
    parts: list[str] = []
    offset = 0
    for block in doc.blocks:
        spans.append((offset, block))
        parts.append(render_block(block))
        offset += len(parts[-1]) + 2
    text = "\n\n".join(parts)
    pieces: list[_Piece] = []
    start = 0
    for group, segment in enumerate(text.split(separator)):
        first, last = _block_at(spans, start), _block_at(spans, start + max(len(segment) - 1, 0))
        start += len(segment) + len(separator)
        previous = ""
        if segment.strip():
            for sub in _fit_by_sentences(segment.strip(), budget, count):
                pieces.append(_Piece(sub, count(sub), group, (first.page, last.page), first.section_path,
                                     joiner=joiner(previous, sub)))  # fmt: skip
                previous = sub
    return pieces


def _block_at(spans: list[tuple[int, Block]], offset: int) -> Block:
    found = spans[0][1]
    for start, block in spans:
        if start > offset:
            break
        found = block
    return found


def _refine(pieces: Iterable[_Piece], budget: int, count: TokenCounter) -> Iterable[_Piece]:
    """Pieces of a parent re-cut to the child budget (table rows stay whole)."""
    for piece in pieces:
        if piece.tokens <= budget or piece.header or piece.sticky:
            yield piece
            continue
        previous = ""
        for i, text in enumerate(_sentence_pieces(piece.text, budget, count)):
            first = i == 0
            link = piece.joiner if first else joiner(previous, text)
            yield replace(piece, text=text, tokens=count(text), joiner=link, group_tokens=piece.group_tokens * first)
            previous = text


def _cost(piece: _Piece, current: list[_Piece]) -> int:
    continues_group = bool(current) and current[-1].group == piece.group
    return piece.tokens + (0 if continues_group else piece.header_tokens)


def _size(pieces: list[_Piece]) -> int:
    return sum(_cost(p, pieces[:i]) for i, p in enumerate(pieces))


def _pack(pieces: list[_Piece], budget: int, overlap: int, *, keep_blocks: bool) -> list[list[_Piece]]:
    """Greedy packing; with `keep_blocks`, a block that fits a chunk on its own is not split across two."""
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    used = 0
    for piece in pieces:
        cost = _cost(piece, current)
        only_headings = all(p.sticky for p in current)
        whole = piece.group_tokens if keep_blocks and piece.group_tokens and piece.group_tokens <= budget else 0
        if current and (used + cost > budget or (whole and used + whole > budget and not only_headings)):
            groups.append(current)
            current = _tail(current, overlap, whole or piece.tokens + piece.header_tokens, budget)
            used = _size(current)
            cost = _cost(piece, current)
        current.append(piece)
        used += cost
    if current and not all(p.sticky for p in current):
        groups.append(current)
    elif current and groups:
        groups[-1].extend(current)
    elif current:
        groups.append(current)
    return groups


def _tail(previous: list[_Piece], overlap: int, need: int, budget: int) -> list[_Piece]:
    """The overlap carried into the next chunk: whole trailing sentences, never the entire previous chunk."""
    tail: list[_Piece] = []
    total = 0
    for piece in reversed(previous[1:]):
        if not piece.overlap or total + piece.tokens > overlap:
            break
        tail.insert(0, piece)
        total += piece.tokens
    while tail and _size(tail) + need > budget:
        tail.pop(0)
    return tail


def _chunks(groups: list[list[_Piece]], separator: str, count: TokenCounter) -> list[Chunk]:
    return [_chunk(i, group, separator, count) for i, group in enumerate(groups)]


def _chunk(ordinal: int, pieces: list[_Piece], separator: str, count: TokenCounter) -> Chunk:
    parts: list[str] = []
    for i, piece in enumerate(pieces):
        same_group = i > 0 and pieces[i - 1].group == piece.group
        if i:
            parts.append(piece.joiner if same_group else separator)
        if piece.header and not same_group:
            parts.append(piece.header + "\n")
        parts.append(piece.text)
    text = "".join(parts)
    pages = [p for piece in pieces for p in piece.pages if p is not None]
    section = next((p.section for p in reversed(pieces) if not p.sticky), pieces[-1].section)
    return Chunk(ordinal, text, count(text), section, min(pages, default=None), max(pages, default=None))
