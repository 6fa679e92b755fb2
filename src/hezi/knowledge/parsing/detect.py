"""What a file really is, from its bytes: the extension is a claim, the content is the evidence."""

from __future__ import annotations

import codecs
import io
import zipfile

from hezi.knowledge.errors import CorruptDocument

_SNIFF_BYTES = 64 * 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Tried in order; GB18030 is a superset of GBK/GB2312, which is what Chinese Windows tools still write.
_TEXT_ENCODINGS = ("utf-8", "gb18030")
_OOXML_MARKERS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}


def sniff(data: bytes) -> str:
    """The content kind: pdf, docx, xlsx, pptx, zip, ole, text or binary."""
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # legacy .doc/.xls/.ppt, or an encrypted OOXML file
    return "text" if text_encoding(data[:_SNIFF_BYTES]) is not None else "binary"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise CorruptDocument("not a readable ZIP archive", details={"reason": str(exc)}) from exc
    for marker, kind in _OOXML_MARKERS.items():
        if marker in names:
            return kind
    return "zip"


def text_encoding(sample: bytes) -> str | None:
    """The encoding `sample` (possibly cut mid-character) decodes with, or None if it does not look like text."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    if b"\x00" in sample:
        return None
    for encoding in _TEXT_ENCODINGS:
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def decode_text(data: bytes) -> str:
    """Decode a whole text file, normalising newlines; undecodable bytes mean the file is not the text it claims."""
    encoding = text_encoding(data[:_SNIFF_BYTES])
    if encoding is None:
        raise CorruptDocument("file is not text in UTF-8, UTF-16 or GB18030", details={"reason": "undecodable"})
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CorruptDocument("file is not valid text", details={"reason": str(exc)}) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")
