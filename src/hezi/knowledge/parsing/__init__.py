"""Document parsing: `parse_document(bytes, filename)` → `ParsedDocument`, one registered parser per format."""

from __future__ import annotations

import importlib

from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import Block, BlockKind, ParsedDocument
from hezi.knowledge.parsing.registry import (
    PARSERS,
    ParserSpec,
    detect_type,
    parse_document,
    register,
    supported_extensions,
)

# Built-in parsers register themselves on import, exactly as a plugin module would.
DEFAULT_PARSERS = ("text", "markdown", "html", "delimited", "pdf", "word", "excel", "slides")
for _module in DEFAULT_PARSERS:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "DEFAULT_PARSERS",
    "PARSERS",
    "Block",
    "BlockKind",
    "ParseLimits",
    "ParsedDocument",
    "ParserSpec",
    "detect_type",
    "parse_document",
    "register",
    "supported_extensions",
]
