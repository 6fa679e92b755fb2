"""The one structure every parser produces, so chunking and citations never care about the source format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list", "table", "code"]


@dataclass(frozen=True, slots=True)
class Block:
    """A unit of document structure; tables and lists are Markdown text, `page` is 1-based where known."""

    kind: BlockKind
    text: str
    level: int = 0
    page: int | None = None
    section_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A parsed document: its blocks in reading order and what a citation or the console needs to know."""

    doc_type: str
    blocks: tuple[Block, ...]
    title: str | None = None
    page_count: int | None = None
    pages_without_text: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # pages whose text came from OCR (scans)

    def text(self) -> str:
        """The whole document as Markdown, for previews and pasted-text style processing."""
        return "\n\n".join(render_block(b) for b in self.blocks)


def render_block(block: Block) -> str:
    """A block as Markdown: headings get their `#`s, code its fence, everything else is already Markdown."""
    if block.kind == "heading":
        return f"{'#' * min(max(block.level, 1), 6)} {block.text}"
    if block.kind == "code":
        return f"```\n{block.text}\n```"
    return block.text


@dataclass
class BlockBuilder:
    """Collects blocks and keeps the heading stack, so every block knows its section path."""

    blocks: list[Block] = field(default_factory=list)
    _headings: list[tuple[int, str]] = field(default_factory=list)

    def heading(self, text: str, level: int, page: int | None = None) -> None:
        """Open a section at `level` (1 = top), closing any deeper or equal ones."""
        text = " ".join(text.split())
        if not text:
            return
        level = max(level, 1)
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()
        self._headings.append((level, text))
        self.blocks.append(Block("heading", text, level, page, self.section_path))

    def add(self, kind: BlockKind, text: str, *, level: int = 0, page: int | None = None) -> None:
        """Append a body block under the current section; blank text is dropped."""
        text = text.strip("\n") if kind == "code" else text.strip()
        if text.strip():
            self.blocks.append(Block(kind, text, level, page, self.section_path))

    @property
    def section_path(self) -> tuple[str, ...]:
        return tuple(t for _, t in self._headings)


def markdown_table(rows: list[list[str]]) -> str:
    """Rows (the first is the header) as a Markdown table; one line per row so chunking can split between rows."""
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return ""

    def cell(value: str) -> str:
        return " ".join(value.split()).replace("|", "\\|")

    lines = []
    for i, row in enumerate(rows):
        cells = [cell(c) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    return "\n".join(lines)
