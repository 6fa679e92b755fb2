"""Q&A pairs from real CSV and XLSX files: header detection in English and Chinese, else the first two columns."""

from __future__ import annotations

import io

import openpyxl
import pytest

from hezi.knowledge.errors import EmptyDocument, UnsupportedDocument
from hezi.knowledge.parsing.qa import QAPair, parse_qa


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_csv_with_english_headers_in_any_column_order() -> None:
    data = b"id,Answer,Question\n1,Fifteen days a year.,How much annual leave do I get?\n2,,Unanswered?\n"
    assert parse_qa(data, "faq.csv") == [QAPair("How much annual leave do I get?", "Fifteen days a year.")]


def test_csv_in_gb18030_with_chinese_headers() -> None:
    data = "问题,答案\n年假有几天？,每年十五天。\n病假怎么请？,提交医院证明。\n".encode("gb18030")
    pairs = parse_qa(data, "常见问题.csv")
    assert pairs == [QAPair("年假有几天？", "每年十五天。"), QAPair("病假怎么请？", "提交医院证明。")]


def test_without_a_header_the_first_two_columns_are_question_and_answer() -> None:
    data = b"What is hezi?\tA private AI platform in a box.\textra\nIs it offline?\tYes.\n"
    assert [p.question for p in parse_qa(data, "faq.tsv")] == ["What is hezi?", "Is it offline?"]


def test_xlsx_sheets_each_find_their_header_and_name_the_section() -> None:
    data = xlsx({
        "HR": [["Question", "Answer"], ["Who approves leave?", "Your manager."]],
        "IT": [["问题", "答案"], ["密码忘了怎么办？", "联系IT服务台重置。"], [None, None], ["VPN", 42]],
    })  # fmt: skip
    assert parse_qa(data, "faq.xlsx") == [
        QAPair("Who approves leave?", "Your manager.", "HR"),
        QAPair("密码忘了怎么办？", "联系IT服务台重置。", "IT"),
        QAPair("VPN", "42", "IT"),
    ]


def test_files_without_pairs_or_of_other_types_are_refused() -> None:
    with pytest.raises(EmptyDocument):
        parse_qa(b"question,answer\nonly a question,\n", "faq.csv")
    with pytest.raises(UnsupportedDocument):
        parse_qa(b"%PDF-1.7\n...", "faq.pdf")
