"""PPTX: each slide a section "Slide N — title" holding its text frames, tables and speaker notes."""

from __future__ import annotations

import io
from collections.abc import Iterable

import pptx
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape

from hezi.knowledge.parsing.limits import ParseLimits, open_checked_zip
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument, markdown_table
from hezi.knowledge.parsing.registry import ParserSpec, register


def parse_pptx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """The slide number doubles as the page number, so citations read "slide 3"."""
    open_checked_zip(data, limits).close()
    presentation = pptx.Presentation(io.BytesIO(data))
    builder = BlockBuilder()
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        builder.heading(f"Slide {number} — {title}" if title else f"Slide {number}", 1, page=number)
        shapes = [s for s in slide.shapes if title_shape is None or s.shape_id != title_shape.shape_id]
        _shapes(shapes, builder, number)
        if slide.has_notes_slide and (notes := slide.notes_slide.notes_text_frame) is not None:
            builder.add("paragraph", f"Notes: {notes.text}" if notes.text.strip() else "", page=number)
    return ParsedDocument("pptx", tuple(builder.blocks), title=presentation.core_properties.title or None,
                          page_count=len(presentation.slides))  # fmt: skip


def _shapes(shapes: Iterable[BaseShape], builder: BlockBuilder, page: int) -> None:
    for shape in shapes:
        if isinstance(shape, GroupShape):
            _shapes(shape.shapes, builder, page)
        elif getattr(shape, "has_table", False):
            rows = [[cell.text for cell in row.cells] for row in shape.table.rows]  # type: ignore[attr-defined]
            builder.add("table", markdown_table(rows), page=page)
        elif shape.has_text_frame:
            paragraphs = [(p.level, " ".join(p.text.split())) for p in shape.text_frame.paragraphs]  # type: ignore[attr-defined]
            paragraphs = [(lvl, t) for lvl, t in paragraphs if t]
            if len(paragraphs) > 1 and any(lvl > 0 for lvl, _ in paragraphs):
                builder.add("list", "\n".join(f"{'  ' * lvl}- {t}" for lvl, t in paragraphs), page=page)
            else:
                for _, text in paragraphs:
                    builder.add("paragraph", text, page=page)


register(ParserSpec("pptx", (".pptx",), frozenset({"pptx"}), parse_pptx))
