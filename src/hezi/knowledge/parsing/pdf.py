"""PDF: the text layer page by page, the page number kept on every block; the outline, when present, gives headings."""

from __future__ import annotations

import contextlib
import io
import re

from pypdf import PdfReader

from hezi.knowledge.errors import EncryptedDocument, ScannedDocument
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument
from hezi.knowledge.parsing.registry import ParserSpec, register

_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")
_PARAGRAPH_END = re.compile(r"[。！？；.!?:：]\s*$")


def parse_pdf(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Refuse encrypted and text-less PDFs with their own errors; otherwise one block per paragraph per page."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise EncryptedDocument("this PDF is password-protected; remove the password and upload it again")
    outline = _outline_by_page(reader)
    builder = BlockBuilder()
    empty_pages: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        for title, level in outline.get(number, []):
            builder.heading(title, level, page=number)
        text = (page.extract_text() or "").replace("\x00", "")  # some fonts decode with NULs; PostgreSQL refuses them
        if not text.strip():
            empty_pages.append(number)
            continue
        for paragraph in _paragraphs(text):
            builder.add("paragraph", paragraph, page=number)
    page_count = len(reader.pages)
    if page_count and len(empty_pages) == page_count:
        raise ScannedDocument(
            "this PDF has no text layer (a scan); it needs OCR before it can be indexed",
            details={"pages": page_count},
        )
    title = str(reader.metadata.title or "") if reader.metadata else ""

    return ParsedDocument("pdf", tuple(builder.blocks), title=title or None, page_count=page_count,
                          pages_without_text=tuple(empty_pages))  # fmt: skip


def _paragraphs(text: str) -> list[str]:
    """Rejoin the hard-wrapped lines of a page: a blank line, or a line ending a sentence, ends a paragraph."""
    paragraphs: list[str] = []
    current = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            paragraphs.append(current)
            current = ""
            continue
        current = _join(current, line)
        if _PARAGRAPH_END.search(line) and len(line) < 60:
            paragraphs.append(current)  # a short line ending a sentence is a paragraph's last line
            current = ""
    paragraphs.append(current)
    return [p for p in paragraphs if p.strip()]


def _join(left: str, right: str) -> str:
    if not left:
        return right
    if left.endswith("-") and not left.endswith(" -") and right[:1].islower():
        return left[:-1] + right  # de-hyphenate a word wrapped across lines
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


def _outline_by_page(reader: PdfReader) -> dict[int, list[tuple[str, int]]]:
    """Bookmarks as (title, level) per 1-based page; a broken outline is ignored rather than failing the file."""
    found: dict[int, list[tuple[str, int]]] = {}

    def walk(items: list[object], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                index = reader.get_destination_page_number(item)  # type: ignore[arg-type]
                title = str(item.title)  # type: ignore[attr-defined]
            except Exception:  # noqa: S112 - a malformed bookmark must not fail the document
                continue
            if index is not None:
                found.setdefault(index + 1, []).append((title, level))

    with contextlib.suppress(Exception):  # same: the outline is a nicety
        walk(list(reader.outline), 1)
    return found


register(ParserSpec("pdf", (".pdf",), frozenset({"pdf"}), parse_pdf))
