"""Size limits for parsing, and the ZIP check that stops decompression bombs before an Office parser opens them."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from hezi.knowledge.errors import CorruptDocument, DocumentTooLarge, SuspiciousDocument

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Limits applied to one uploaded file; the defaults suit office documents, settings may raise them."""

    max_bytes: int = 100 * MIB
    max_uncompressed_bytes: int = 300 * MIB
    max_member_bytes: int = 100 * MIB
    max_compression_ratio: float = 100.0
    max_zip_members: int = 10_000
    ratio_check_above_bytes: int = 10 * MIB
    # Scanned PDF pages (no text layer) are read by OCR when on; off, a PDF with no text layer at all fails.
    ocr: bool = False
    # OCR takes seconds per page on a small CPU (~8 s for a full page on two cores): more pages fail clearly.
    max_ocr_pages: int = 100


def open_checked_zip(data: bytes, limits: ParseLimits) -> zipfile.ZipFile:
    """Open `data` as a ZIP after checking its declared sizes; Python's zipfile never inflates past them.

    Checking declared sizes is enough because `zipfile` stops reading a member at its declared `file_size` and
    fails its CRC check, so a member that lies about its size cannot inflate further.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise CorruptDocument("not a readable ZIP archive", details={"reason": str(exc)}) from exc
    infos = archive.infolist()
    if len(infos) > limits.max_zip_members:
        raise SuspiciousDocument(f"archive has {len(infos)} members (limit {limits.max_zip_members})")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    biggest = max(infos, key=lambda i: i.file_size, default=None)
    if biggest is not None and biggest.file_size > limits.max_member_bytes:
        raise DocumentTooLarge(
            f"a part of this document would decompress to {biggest.file_size} bytes (limit {limits.max_member_bytes})",
            details={"member": biggest.filename, "bytes": biggest.file_size},
        )
    if total > limits.max_uncompressed_bytes:
        raise DocumentTooLarge(
            f"document would decompress to {total} bytes (limit {limits.max_uncompressed_bytes})",
            details={"bytes": total},
        )
    if total > limits.ratio_check_above_bytes and total / max(packed, 1) > limits.max_compression_ratio:
        raise SuspiciousDocument(
            f"archive compresses {total / max(packed, 1):.0f}:1 (limit {limits.max_compression_ratio:.0f}:1),"
            " which looks like a decompression bomb",
            details={"uncompressed_bytes": total, "compressed_bytes": packed},
        )
    return archive
