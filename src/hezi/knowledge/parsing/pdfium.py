"""pdfium (pypdfium2) for a PDF's text layer and page images. pdfium is not thread-safe and ingestion parses in
worker threads, so every use goes through PDFIUM_LOCK.

Its text is read in the page's reading order with the spaces the layout implies; pypdf's extraction runs words
together on many PDFs ("Hereareafewbasicmethods…" on the Debian Reference), which defeats full-text search.
"""

from __future__ import annotations

import threading

from pypdfium2 import PdfDocument, PdfiumError  # type: ignore[import-untyped]

__all__ = ["PDFIUM_LOCK", "PdfDocument", "PdfiumError", "page_texts"]

PDFIUM_LOCK = threading.Lock()


def page_texts(data: bytes) -> dict[int, str]:
    """The text of every 1-based page; raises PdfiumError when pdfium cannot open the file."""
    out: dict[int, str] = {}
    with PDFIUM_LOCK:
        pdf = PdfDocument(data)
        try:
            for index in range(len(pdf)):
                page = pdf[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        out[index + 1] = _clean(textpage.get_text_range())
                    finally:
                        textpage.close()
                finally:
                    page.close()
        finally:
            pdf.close()
    return out


def _clean(text: str) -> str:
    # pdfium ends lines with CRLF and marks a word hyphenated across a line break with U+FFFE (the two halves
    # already joined); some fonts decode with NULs, which PostgreSQL refuses.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "").replace("\x00", "")
