"""Parsers register themselves here by file type; `parse_document` picks one from extension and content."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hezi.errors import DomainError
from hezi.knowledge.errors import (
    CorruptDocument,
    DocumentTooLarge,
    DocumentTypeMismatch,
    EmptyDocument,
    UnsupportedDocument,
)
from hezi.knowledge.parsing.detect import sniff
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import ParsedDocument

ParseFn = Callable[[bytes, ParseLimits], ParsedDocument]


@dataclass(frozen=True, slots=True)
class ParserSpec:
    """One format: the extensions that claim it, the sniffed content kinds that prove it, and its parse function."""

    doc_type: str
    extensions: tuple[str, ...]
    content_kinds: frozenset[str]
    parse: ParseFn


PARSERS: dict[str, ParserSpec] = {}
_BY_EXTENSION: dict[str, str] = {}
_MISMATCH_HINTS = {
    "ole": "it looks like a legacy (.doc/.xls/.ppt) or password-protected Office file",
    "zip": "it is a ZIP archive",
    "binary": "it is binary data",
}


def register(spec: ParserSpec) -> ParserSpec:
    """Add a parser; a plugin registers the same way the built-ins do."""
    PARSERS[spec.doc_type] = spec
    for ext in spec.extensions:
        _BY_EXTENSION[ext.lower()] = spec.doc_type
    return spec


def supported_extensions() -> list[str]:
    """Extensions we accept, for the upload dialog and error messages."""
    return sorted(_BY_EXTENSION)


def detect_type(filename: str, data: bytes) -> str:
    """The document type of this upload; refuses unknown types and content that contradicts the extension."""
    _, dot, ext = filename.rpartition(".")
    kind = sniff(data)
    if dot and f".{ext.lower()}" in _BY_EXTENSION:
        spec = PARSERS[_BY_EXTENSION[f".{ext.lower()}"]]
    elif not dot and (by_content := _type_for_kind(kind)) is not None:
        spec = PARSERS[by_content]
    else:
        raise UnsupportedDocument(
            f"unsupported file type {('.' + ext) if dot else '(no extension)'}; supported: "
            + ", ".join(supported_extensions()),
            details={"filename": filename},
        )
    if kind not in spec.content_kinds:
        hint = _MISMATCH_HINTS.get(kind, f"its content is {kind}")
        raise DocumentTypeMismatch(
            f"{filename!r} is named as {spec.doc_type} but {hint}", details={"claimed": spec.doc_type, "found": kind}
        )
    return spec.doc_type


def _type_for_kind(kind: str) -> str | None:
    if kind == "text":
        return "txt" if "txt" in PARSERS else None
    return kind if kind in PARSERS else None


def parse_document(data: bytes, filename: str, limits: ParseLimits | None = None) -> ParsedDocument:
    """Parse an upload into blocks, or raise the knowledge error that says what is wrong with it."""
    limits = limits or ParseLimits()
    if len(data) > limits.max_bytes:
        raise DocumentTooLarge(f"file is {len(data)} bytes (limit {limits.max_bytes})", details={"bytes": len(data)})
    if not data.strip():
        raise EmptyDocument(f"{filename!r} is empty")
    spec = PARSERS[detect_type(filename, data)]
    with corrupt_on_error(spec.doc_type):
        document = spec.parse(data, limits)
    if not any(b.text.strip() for b in document.blocks):
        raise EmptyDocument(f"{filename!r} contains no text")
    return document


@contextlib.contextmanager
def corrupt_on_error(doc_type: str) -> Iterator[None]:
    """Turn any failure of a third-party parser on untrusted bytes into `CorruptDocument` with its reason.

    The libraries raise dozens of exception types on malformed input (KeyError, struct.error, lxml errors…);
    listing them would miss the next one, and an unlisted one would surface as a 500.
    """
    try:
        yield
    except DomainError:
        raise
    except MemoryError as exc:
        raise DocumentTooLarge(f"{doc_type} file is too large to parse in memory") from exc
    except Exception as exc:
        raise CorruptDocument(
            f"cannot read this {doc_type} file: {type(exc).__name__}: {exc}"[:500],
            details={"reason": f"{type(exc).__name__}: {exc}"[:500]},
        ) from exc
