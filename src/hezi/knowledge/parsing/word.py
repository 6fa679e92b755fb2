"""DOCX: headings from paragraph styles, numbered/bulleted paragraphs as lists, tables as Markdown, in body order."""

from __future__ import annotations

import io
import re

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from hezi.knowledge.parsing.limits import ParseLimits, open_checked_zip
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument, markdown_table
from hezi.knowledge.parsing.registry import ParserSpec, register

# English and Chinese Word both name built-in styles "Heading 1"; localized files may say "标题 1".
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def parse_docx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Check the ZIP for bombs, then walk paragraphs and tables in the order they appear."""
    open_checked_zip(data, limits).close()
    document = docx.Document(io.BytesIO(data))
    builder = BlockBuilder()
    list_items: list[str] = []

    def flush_list() -> None:
        builder.add("list", "\n".join(list_items))
        list_items.clear()

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            flush_list()
            builder.add("table", markdown_table([[c.text for c in row.cells] for row in item.rows]))
            continue
        text = item.text.strip()
        if not text:
            continue
        level = _heading_level(item)
        if level is not None:
            flush_list()
            builder.heading(text, level)
        elif (depth := _list_depth(item)) is not None:
            list_items.append(f"{'  ' * depth}- {' '.join(text.split())}")
        else:
            flush_list()
            builder.add("paragraph", text)
    flush_list()
    title = document.core_properties.title or None
    return ParsedDocument("docx", tuple(builder.blocks), title=title)


def _heading_level(paragraph: Paragraph) -> int | None:
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 1
        if match := _HEADING_STYLE.match(name):
            return int(match.group(1))
        style = style.base_style
    return None


def _list_depth(paragraph: Paragraph) -> int | None:
    """Nesting level for a list paragraph (numbering properties or a List style), None for ordinary text."""
    ppr = paragraph._p.pPr
    num_pr = ppr.numPr if ppr is not None else None
    if num_pr is not None:
        ilvl = num_pr.ilvl  # type: ignore[attr-defined]
        return int(ilvl.val) if ilvl is not None and ilvl.val is not None else 0
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    if name.lower().startswith("list"):
        digits = re.findall(r"\d", name)
        return int(digits[0]) - 1 if digits else 0
    return None


register(ParserSpec("docx", (".docx",), frozenset({"docx"}), parse_docx))
