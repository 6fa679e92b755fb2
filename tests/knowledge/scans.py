"""Scanned documents made in the test: text drawn onto a page-sized image (as a scanner would give it), then put
into a PDF that has images and no text layer."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from tests.knowledge.documents import CJK_FONT, make_pdf

A4_PX = (1240, 1754)  # A4 at 150 dpi


def scanned_page(lines: list[str]) -> Image.Image:
    """A white A4 page at 150 dpi with `lines` in Noto Sans CJK (which has Latin letters too), greyish like a scan."""
    make_pdf([], cjk=True)  # skips the test when the CJK font is not installed
    page = Image.new("RGB", A4_PX, (250, 250, 248))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(CJK_FONT), 34, index=2)  # face 2: Simplified Chinese
    y = 160
    for line in lines:
        if line:
            draw.text((140, y), line, font=font, fill=(20, 20, 20))
        y += 60
    return page


def image_pdf(pages: list[Image.Image | str]) -> bytes:
    """A PDF whose pages are scans (images, no text layer) or, for a `str`, ordinary text pages."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_font("helvetica", size=12)
    for page in pages:
        pdf.add_page()
        if isinstance(page, str):
            pdf.multi_cell(0, 8, page)
        else:
            buf = io.BytesIO()
            page.save(buf, "PNG")
            pdf.image(buf, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())
