"""PDF: the text layer page by page (read by pdfium; OCR for pages without one), the page number kept on every
block; the outline, when present, gives headings."""

from __future__ import annotations

import contextlib
import io
import re

from pypdf import PdfReader

from hezi.knowledge.errors import EmptyDocument, EncryptedDocument, ScannedDocument
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument
from hezi.knowledge.parsing.ocr import ocr_pdf_pages
from hezi.knowledge.parsing.pdfium import PdfiumError, page_texts
from hezi.knowledge.parsing.registry import ParserSpec, register

_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")
# A contents line: a title, dot leaders, a page number ("1.1.4 The root shell prompt . . . . . 3", "第一章……12").
_CONTENTS_LINE = re.compile(r"(?:[.·•…]\s?){4,}\s*[0-9ivxlcdmIVXLCDM]{1,7}\s*$")
_PARAGRAPH_END = re.compile(r"[。！？；.!?:：]\s*$")


def parse_pdf(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Refuse encrypted PDFs; one block per paragraph per page. Pages without a text layer are read by OCR when
    `limits.ocr` is on (only those pages: a mixed PDF keeps its text layer elsewhere); off, a PDF with no text
    layer at all fails as a scan that needs OCR."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise EncryptedDocument("this PDF is password-protected; remove the password and upload it again")
    page_count = len(reader.pages)
    try:
        texts = page_texts(data)
    except PdfiumError:  # a file pdfium cannot open but pypdf can: pypdf's text (words may run together)
        texts = {n: (page.extract_text() or "").replace("\x00", "") for n, page in enumerate(reader.pages, start=1)}
    texts = {n: texts.get(n, "") for n in range(1, page_count + 1)}
    empty_pages = [n for n, text in texts.items() if not text.strip()]
    ocr_read: dict[int, list[str]] = {}
    if empty_pages and limits.ocr:
        ocr_read = ocr_pdf_pages(data, empty_pages, limits.max_ocr_pages)
    elif page_count and len(empty_pages) == page_count:
        raise ScannedDocument(
            "this PDF has no text layer (a scan); it needs OCR before it can be indexed "
            "(OCR is off: HEZI_KNOWLEDGE_OCR)",
            details={"pages": page_count},
        )
    outline = _outline_by_page(reader)
    builder = BlockBuilder()
    for number in range(1, page_count + 1):
        for title, level in outline.get(number, []):
            builder.heading(title, level, page=number)
        if number not in ocr_read and _is_contents_page(texts[number]):
            continue  # contents pages repeat the headings without their text and would outrank the sections
        found = ocr_read[number] if number in ocr_read else _paragraphs(texts[number])
        for paragraph in found:
            builder.add("paragraph", paragraph, page=number)
    if page_count and len(empty_pages) == page_count and not any(b.kind != "heading" for b in builder.blocks):
        raise EmptyDocument("this PDF has no text layer, and OCR found no text on its pages",
                            details={"pages": page_count})  # fmt: skip
    title = str(reader.metadata.title or "") if reader.metadata else ""

    return ParsedDocument("pdf", tuple(builder.blocks), title=title or None, page_count=page_count,
                          pages_without_text=tuple(n for n in empty_pages if not ocr_read.get(n)),
                          ocr_pages=tuple(sorted(ocr_read)))  # fmt: skip


def _is_contents_page(text: str) -> bool:
    """A table of contents (or list of tables/figures): most of its lines end in dot leaders and a page number."""
    lines = [line for line in text.split("\n") if line.strip()]
    leaders = sum(1 for line in lines if _CONTENTS_LINE.search(line))
    return leaders >= 5 and leaders >= len(lines) / 2


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
