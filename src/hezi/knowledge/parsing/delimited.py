"""CSV/TSV: the whole file as one Markdown table, its first row the header; chunking splits it between rows."""

from __future__ import annotations

import csv
import io

from hezi.knowledge.parsing.detect import decode_text
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument, markdown_table
from hezi.knowledge.parsing.registry import ParserSpec, register


def parse_csv(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Sniff the delimiter (comma, semicolon, tab, pipe), then emit one table block."""
    text = decode_text(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    builder = BlockBuilder()
    builder.add("table", markdown_table(rows))
    return ParsedDocument("csv", tuple(builder.blocks))


register(ParserSpec("csv", (".csv", ".tsv"), frozenset({"text"}), parse_csv))
