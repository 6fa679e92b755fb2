"""OCR of scanned PDF pages through the real parser: RapidOCR's bundled models, pages rendered by pdfium."""

from __future__ import annotations

import pytest

from hezi.knowledge.errors import EmptyDocument, ScannedDocument
from hezi.knowledge.parsing import ParseLimits, parse_document
from hezi.knowledge.parsing.ocr import TooManyPagesForOcr
from tests.knowledge.documents import make_blank_pdf
from tests.knowledge.scans import image_pdf, scanned_page

OCR = ParseLimits(ocr=True)
WALL = ["长城是中国古代的军事防御工程。", "", "The Great Wall of China is very long."]
TEA = ["Green tea is steamed soon after picking.", "", "绿茶是不发酵的茶。"]


def test_a_scanned_pdf_is_read_in_chinese_and_english_with_its_page_numbers() -> None:
    parsed = parse_document(image_pdf([scanned_page(WALL), scanned_page(TEA)]), "scan.pdf", OCR)
    by_page = {p: " ".join(b.text for b in parsed.blocks if b.page == p) for p in (1, 2)}
    assert "长城" in by_page[1] and "军事防御工程" in by_page[1], by_page
    assert "Great Wall of China" in by_page[1], by_page
    assert "Green tea is steamed" in by_page[2] and "绿茶" in by_page[2], by_page
    assert parsed.ocr_pages == (1, 2) and parsed.pages_without_text == ()
    # a blank line on the scan separates paragraphs, as in a text layer
    assert any(b.text == "长城是中国古代的军事防御工程。" for b in parsed.blocks)


def test_a_mixed_pdf_reads_only_its_scanned_pages_by_ocr() -> None:
    pdf = image_pdf(["Chapter one has a real text layer about sailing boats.", scanned_page(WALL)])
    parsed = parse_document(pdf, "mixed.pdf", OCR)
    assert parsed.ocr_pages == (2,)
    assert [b.page for b in parsed.blocks if "sailing boats" in b.text] == [1]
    assert any(b.page == 2 and "长城" in b.text for b in parsed.blocks)


def test_with_ocr_off_a_scan_still_needs_ocr() -> None:
    with pytest.raises(ScannedDocument) as err:
        parse_document(image_pdf([scanned_page(WALL)]), "scan.pdf", ParseLimits(ocr=False))
    assert err.value.code == "scanned_document_needs_ocr"


def test_too_many_pages_to_ocr_fail_clearly_before_any_is_read() -> None:
    pdf = image_pdf([scanned_page(WALL)] * 3)
    with pytest.raises(TooManyPagesForOcr) as err:
        parse_document(pdf, "long-scan.pdf", ParseLimits(ocr=True, max_ocr_pages=2))
    assert err.value.code == "too_many_pages_for_ocr" and err.value.details == {"pages": 3, "max_pages": 2}


def test_blank_pages_read_by_ocr_are_an_empty_document() -> None:
    with pytest.raises(EmptyDocument):
        parse_document(make_blank_pdf(2), "blank.pdf", OCR)
