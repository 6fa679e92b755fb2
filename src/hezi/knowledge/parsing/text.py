"""Plain text: paragraphs are separated by blank lines; there is no other structure to keep."""

from __future__ import annotations

import re

from hezi.knowledge.parsing.detect import decode_text
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument
from hezi.knowledge.parsing.registry import ParserSpec, register


def parse_text(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """One paragraph block per blank-line-separated run of lines."""
    builder = BlockBuilder()
    for paragraph in re.split(r"\n\s*\n", decode_text(data)):
        builder.add("paragraph", paragraph)
    return ParsedDocument("txt", tuple(builder.blocks))


register(ParserSpec("txt", (".txt", ".text"), frozenset({"text"}), parse_text))
