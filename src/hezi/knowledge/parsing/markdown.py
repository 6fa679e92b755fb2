"""Markdown: ATX/setext headings, fenced code, lists and pipe tables become blocks; the rest are paragraphs."""

from __future__ import annotations

import re

from hezi.knowledge.parsing.detect import decode_text
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import BlockBuilder, BlockKind, ParsedDocument
from hezi.knowledge.parsing.registry import ParserSpec, register

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LIST = re.compile(r"^\s*([-*+]|\d{1,9}[.)])\s+")
_TABLE = re.compile(r"^\s*\|")


def parse_markdown(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Walk the lines once, flushing a block whenever the kind of line changes."""
    builder = BlockBuilder()
    lines = decode_text(data).split("\n")
    current: list[str] = []
    kind: BlockKind = "paragraph"

    def flush() -> None:
        builder.add(kind, "\n".join(current))
        current.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if fence := _FENCE.match(line):
            flush()
            closing = (j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith(fence.group(1)))
            end = next(closing, len(lines))
            builder.add("code", "\n".join(lines[i + 1 : end]))
            i = end + 1
            continue
        if heading := _ATX.match(line):
            flush()
            builder.heading(heading.group(2), len(heading.group(1)))
        elif kind == "paragraph" and len(current) == 1 and (setext := _SETEXT.match(line)):
            text = current.pop()
            builder.heading(text, 1 if setext.group(1).startswith("=") else 2)
        elif not line.strip():
            flush()
            kind = "paragraph"
        else:
            line_kind: BlockKind = "table" if _TABLE.match(line) else "list" if _LIST.match(line) else "paragraph"
            continuing_list = kind == "list" and line_kind == "paragraph" and line.startswith((" ", "\t"))
            if line_kind != kind and current and not continuing_list:
                flush()
            if not continuing_list:
                kind = line_kind
            current.append(line)
        i += 1
    flush()
    title = next((b.text for b in builder.blocks if b.kind == "heading" and b.level == 1), None)
    return ParsedDocument("markdown", tuple(builder.blocks), title=title)


register(ParserSpec("markdown", (".md", ".markdown"), frozenset({"text"}), parse_markdown))
