"""XLSX: each sheet a Markdown table under a heading with the sheet's name; values, not formulas."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

from hezi.knowledge.parsing.limits import ParseLimits, open_checked_zip
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument, markdown_table
from hezi.knowledge.parsing.registry import ParserSpec, register


def parse_xlsx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Read-only mode streams rows, so a large workbook does not build its whole object model."""
    open_checked_zip(data, limits).close()
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    builder = BlockBuilder()
    try:
        for sheet in workbook.worksheets:
            rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            rows = [r for r in rows if any(r)]
            width = max((max(i + 1 for i, v in enumerate(r) if v) for r in rows), default=0)
            if not width:
                continue
            builder.heading(sheet.title, 1)
            builder.add("table", markdown_table([r[:width] for r in rows]))
    finally:
        workbook.close()
    return ParsedDocument("xlsx", tuple(builder.blocks), title=workbook.properties.title or None)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


register(ParserSpec("xlsx", (".xlsx", ".xlsm"), frozenset({"xlsx"}), parse_xlsx))
