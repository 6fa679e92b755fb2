"""Domain errors for knowledge bases, each with a stable `code` the API and the console can rely on."""

from __future__ import annotations

from hezi.errors import InvalidInput, TooLarge, UnsupportedType


class UnsupportedDocument(UnsupportedType):
    """The file's type is not one we can parse (the API answers 415)."""

    code = "unsupported_document_type"


class DocumentTypeMismatch(UnsupportedDocument):
    """The extension claims one type and the content is another (a `.pdf` that is a ZIP)."""

    code = "document_type_mismatch"


class EmptyDocument(InvalidInput):
    """The file is empty or holds no text at all."""

    code = "empty_document"


class CorruptDocument(InvalidInput):
    """The file claims a format but cannot be read as it; `details['reason']` says why."""

    code = "corrupt_document"


class EncryptedDocument(InvalidInput):
    """The document is password-protected; we do not guess passwords."""

    code = "encrypted_document"


class ScannedDocument(InvalidInput):
    """A PDF without a text layer: it needs OCR before it can be indexed."""

    code = "scanned_document_needs_ocr"


class SuspiciousDocument(InvalidInput):
    """The archive inside an Office file looks like a decompression bomb."""

    code = "suspicious_document"


class DocumentTooLarge(TooLarge):
    """The file, or what it would decompress to, is over a configured limit."""

    code = "document_too_large"


class UnsafeFilename(InvalidInput):
    """A file name that cannot be made safe (nothing left after cleaning)."""

    code = "unsafe_filename"


class InvalidChunkingRules(InvalidInput):
    """Chunk size, overlap or separator that cannot produce chunks."""

    code = "invalid_chunking_rules"
