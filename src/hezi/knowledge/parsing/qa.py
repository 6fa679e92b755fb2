"""Q&A pairs from a CSV/TSV or XLSX file: one pair per row, the question and answer columns found by their header.

A header row naming "question"/"answer" (or 问题/答案 and the like) picks those columns; without one, the first two
columns are the question and the answer and the first row is a pair like any other.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import openpyxl

from hezi.errors import TooLarge
from hezi.knowledge.errors import EmptyDocument, UnsupportedDocument
from hezi.knowledge.parsing.detect import decode_text, sniff
from hezi.knowledge.parsing.excel import cell_text
from hezi.knowledge.parsing.limits import ParseLimits, open_checked_zip
from hezi.knowledge.parsing.registry import corrupt_on_error

QA_EXTENSIONS = (".csv", ".tsv", ".xlsx", ".xlsm")
MAX_PAIRS = 100_000
_QUESTION_HEADERS = frozenset({"question", "questions", "q", "query", "问题", "问", "提问", "标准问题", "问句"})
_ANSWER_HEADERS = frozenset({"answer", "answers", "a", "reply", "response", "答案", "答", "回答", "解答", "标准答案"})


class TooManyPairs(TooLarge):
    code = "too_many_qa_pairs"


@dataclass(frozen=True, slots=True)
class QAPair:
    question: str
    answer: str
    sheet: str = ""  # the sheet a pair came from (XLSX), kept as the chunk's section


def parse_qa(data: bytes, filename: str, limits: ParseLimits | None = None) -> list[QAPair]:
    """Every pair with both a question and an answer, in file order; refuses files with none."""
    limits = limits or ParseLimits()
    kind = sniff(data)
    if kind == "xlsx":
        with corrupt_on_error("xlsx"):
            pairs = _from_xlsx(data, limits)
    elif kind == "text" and filename.lower().endswith((".csv", ".tsv")):
        pairs = _pairs(_csv_rows(data, tsv=filename.lower().endswith(".tsv")), "")
    else:
        raise UnsupportedDocument(
            f"Q&A pairs come from CSV/TSV or XLSX files; {filename!r} is {kind}", details={"found": kind}
        )
    if not pairs:
        raise EmptyDocument(f"{filename!r} has no rows with both a question and an answer")
    if len(pairs) > MAX_PAIRS:
        raise TooManyPairs(f"{len(pairs)} Q&A pairs (limit {MAX_PAIRS})", details={"pairs": len(pairs)})
    return pairs


def _csv_rows(data: bytes, *, tsv: bool) -> list[list[str]]:
    text = decode_text(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = (
            csv.excel_tab if tsv else csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        )
    except csv.Error:  # rows of uneven length defeat the sniffer: take the likeliest separator of the first line
        first = text.split("\n", 1)[0]
        dialect = csv.excel_tab if first.count("\t") > first.count(",") else csv.excel
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def _from_xlsx(data: bytes, limits: ParseLimits) -> list[QAPair]:
    open_checked_zip(data, limits).close()
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    pairs: list[QAPair] = []
    try:
        for sheet in workbook.worksheets:
            rows = [[cell_text(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
            pairs.extend(_pairs(rows, sheet.title if len(workbook.worksheets) > 1 else ""))
    finally:
        workbook.close()
    return pairs


def _pairs(rows: list[list[str]], sheet: str) -> list[QAPair]:
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header = [" ".join(c.split()).lower().rstrip(":：") for c in rows[0]]
    q = next((i for i, h in enumerate(header) if h in _QUESTION_HEADERS), None)
    a = next((i for i, h in enumerate(header) if h in _ANSWER_HEADERS), None)
    if q is not None and a is not None and q != a:
        body = rows[1:]
    else:
        q, a, body = 0, 1, rows
    out = []
    for row in body:
        question = row[q] if q < len(row) else ""
        answer = row[a] if a < len(row) else ""
        if question and answer:
            out.append(QAPair(question, answer, sheet))
    return out
