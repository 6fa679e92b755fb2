"""Real documents in every format, written by the same libraries users' tools produce them with."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from fpdf import FPDF
from pptx.util import Inches
from pypdf import PdfReader, PdfWriter

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def make_pdf(pages: list[str], *, cjk: bool = False) -> bytes:
    pdf = FPDF()
    if cjk:
        if not CJK_FONT.exists():
            pytest.skip(f"no CJK font at {CJK_FONT} (Debian package fonts-noto-cjk) to write Chinese into a PDF")
        pdf.add_font("noto", "", str(CJK_FONT), collection_font_number=2)  # face 2: Simplified Chinese
        pdf.set_font("noto", size=12)
    else:
        pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_blank_pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("员工手册", level=1)
    document.add_paragraph("本手册适用于全体员工。请仔细阅读！")
    document.add_heading("2.1 Leave", level=2)
    document.add_paragraph("Annual leave is fifteen days.")
    document.add_paragraph("Sick leave needs a note", style="List Bullet")
    document.add_paragraph("Ask your manager first", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("类型", "天数"), ("年假", "15"), ("病假", "10")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("After the table.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "价格"
    sheet.append(["产品", "价格"])
    sheet.append(["苹果", 3.0])
    sheet.append(["香蕉", 5.5])
    other = workbook.create_sheet("Staff")
    other.append(["Name", "Role"])
    other.append(["Ann", "Engineer"])
    workbook.create_sheet("Empty")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_pptx() -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    assert slide.shapes.title is not None
    slide.shapes.title.text = "季度回顾"
    body = slide.placeholders[1].text_frame
    body.text = "收入增长 20%"
    sub = body.add_paragraph()
    sub.text = "Mostly from exports"
    sub.level = 1
    slide.notes_slide.notes_text_frame.text = "Speak slowly."
    second = presentation.slides.add_slide(presentation.slide_layouts[5])
    assert second.shapes.title is not None
    second.shapes.title.text = "Numbers"
    shape = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1))
    for r, row in enumerate([("Region", "Sales"), ("North", "42")]):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def make_zip_bomb_docx(member_bytes: int) -> bytes:
    """A real DOCX with one extra member of zeros that deflates over 1000:1."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        with bomb.open("word/media/zeros.bin", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def make_zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()
