"""OCR of PDF pages that have no text layer: pdfium renders each page, RapidOCR (PP-OCRv4, Chinese and English)
reads it. Offline: `rapidocr-onnxruntime` 1.x ships its ONNX models inside the wheel, so nothing is downloaded.

The engine is built once per process on first use (its models take a moment to load) and is used under a lock:
pdfium is not thread-safe, and one OCR at a time keeps a small box responsive while a scan is being read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hezi.knowledge.errors import DocumentTooLarge
from hezi.knowledge.parsing.pdfium import PDFIUM_LOCK, PdfDocument

if TYPE_CHECKING:
    from collections.abc import Sequence

# 2× PDF points = 144 dpi: 10-pt text is ~20 px high, which PP-OCR reads well; more costs time for nothing.
RENDER_SCALE = 2.0
MIN_CONFIDENCE = 0.5  # below this RapidOCR's guesses are mostly noise (stains, ruled lines)


class TooManyPagesForOcr(DocumentTooLarge):
    code = "too_many_pages_for_ocr"


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    top: float
    left: float
    height: float


@functools.cache
def _engine() -> Any:
    # imported on first use: onnxruntime and OpenCV are heavy to import
    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]

    return RapidOCR()


def ocr_pdf_pages(data: bytes, pages: Sequence[int], max_pages: int) -> dict[int, list[str]]:
    """The paragraphs OCR reads on each 1-based page of `pages`, in reading order."""
    if len(pages) > max_pages:
        raise TooManyPagesForOcr(
            f"{len(pages)} pages have no text layer and need OCR (limit {max_pages}); split the PDF or raise "
            "HEZI_KNOWLEDGE_OCR_MAX_PAGES",
            details={"pages": len(pages), "max_pages": max_pages},
        )
    import numpy as np

    out: dict[int, list[str]] = {}
    with PDFIUM_LOCK:  # one OCR at a time, too
        engine = _engine()
        pdf = PdfDocument(data)
        try:
            for number in pages:
                page = pdf[number - 1]
                try:
                    image = page.render(scale=RENDER_SCALE, grayscale=False).to_pil().convert("RGB")
                finally:
                    page.close()
                result, _ = engine(np.asarray(image))
                out[number] = paragraphs(_lines(result or []))
        finally:
            pdf.close()
    return out


def _lines(result: list[Any]) -> list[OcrLine]:
    lines = []
    for box, text, score in result:
        if float(score) < MIN_CONFIDENCE or not str(text).strip():
            continue
        ys = [float(p[1]) for p in box]
        xs = [float(p[0]) for p in box]
        lines.append(OcrLine(str(text).strip(), min(ys), min(xs), max(ys) - min(ys)))
    return lines


def paragraphs(lines: list[OcrLine]) -> list[str]:
    """Lines in RapidOCR's reading order (it sorts its boxes by row, then column); a vertical gap taller than
    most of a line starts a new paragraph."""
    out: list[list[str]] = []
    previous: OcrLine | None = None
    for line in lines:
        gap = line.top - (previous.top + previous.height) if previous else 0.0
        if previous is None or gap > max(line.height, previous.height) * 0.8:
            out.append([])
        out[-1].append(line.text)
        previous = line
    return [_join(parts) for parts in out]


def _join(parts: list[str]) -> str:
    text = parts[0]
    for part in parts[1:]:
        cjk = "\u3000" <= text[-1] <= "\u9fff" or "\u3000" <= part[0] <= "\u9fff"
        text = f"{text}{part}" if cjk else f"{text} {part}"
    return text
