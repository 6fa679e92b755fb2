"""Bad uploads get the knowledge error (and stable code) that says what is wrong, never a crash."""

from __future__ import annotations

import pytest

from hezi.errors import InvalidInput, TooLarge
from hezi.knowledge.errors import (
    CorruptDocument,
    DocumentTooLarge,
    DocumentTypeMismatch,
    EmptyDocument,
    EncryptedDocument,
    ScannedDocument,
    SuspiciousDocument,
    UnsupportedDocument,
)
from hezi.knowledge.parsing import ParseLimits, detect_type, parse_document
from tests.knowledge.documents import encrypt_pdf, make_blank_pdf, make_docx, make_pdf, make_zip, make_zip_bomb_docx


def test_unsupported_extension() -> None:
    with pytest.raises(UnsupportedDocument) as err:
        parse_document(b"MZ\x90\x00", "setup.exe")
    assert err.value.code == "unsupported_document_type" and isinstance(err.value, InvalidInput)


def test_pdf_that_is_really_a_zip_is_refused() -> None:
    with pytest.raises(DocumentTypeMismatch) as err:
        parse_document(make_zip({"a.txt": b"hi"}), "invoice.pdf")
    assert err.value.code == "document_type_mismatch"
    with pytest.raises(DocumentTypeMismatch):
        parse_document(make_docx(), "sheet.xlsx")


def test_content_decides_when_there_is_no_extension() -> None:
    assert detect_type("README", b"plain words") == "txt"
    assert detect_type("upload", make_docx()) == "docx"


def test_empty_files() -> None:
    for data in (b"", b"  \n\n "):
        with pytest.raises(EmptyDocument) as err:
            parse_document(data, "a.txt")
        assert err.value.code == "empty_document"


def test_encrypted_pdf() -> None:
    with pytest.raises(EncryptedDocument) as err:
        parse_document(encrypt_pdf(make_pdf(["secret text"])), "locked.pdf")
    assert err.value.code == "encrypted_document"


def test_truncated_pdf_is_corrupt() -> None:
    data = make_pdf(["some text " * 50])
    with pytest.raises(CorruptDocument) as err:
        parse_document(data[: len(data) // 3], "cut.pdf")
    assert err.value.code == "corrupt_document" and err.value.details["reason"]


def test_truncated_docx_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        parse_document(make_docx()[:500], "cut.docx")


def test_pdf_without_text_layer_needs_ocr() -> None:
    with pytest.raises(ScannedDocument) as err:
        parse_document(make_blank_pdf(), "scan.pdf")
    assert err.value.code == "scanned_document_needs_ocr"


def test_zip_bomb_docx_is_refused_before_inflating() -> None:
    bomb = make_zip_bomb_docx(member_bytes=64 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(SuspiciousDocument) as err:
        parse_document(bomb, "bomb.docx", ParseLimits(ratio_check_above_bytes=1024 * 1024))
    assert err.value.code == "suspicious_document"
    with pytest.raises(DocumentTooLarge) as too_large:
        parse_document(bomb, "bomb.docx", ParseLimits(max_uncompressed_bytes=32 * 1024 * 1024))
    assert isinstance(too_large.value, TooLarge) and too_large.value.code == "document_too_large"


def test_file_over_the_size_limit() -> None:
    with pytest.raises(DocumentTooLarge):
        parse_document(b"x" * 2048, "a.txt", ParseLimits(max_bytes=1024))


def test_binary_named_txt_is_refused() -> None:
    with pytest.raises(DocumentTypeMismatch):
        parse_document(bytes(range(256)) * 4, "notes.txt")
