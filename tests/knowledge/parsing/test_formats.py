"""Each format's structure survives parsing: headings, lists, tables, pages."""

from __future__ import annotations

from hezi.knowledge.parsing import parse_document
from tests.knowledge.documents import make_docx, make_pdf, make_pptx, make_xlsx


def test_pdf_keeps_page_numbers_and_chinese_text() -> None:
    doc = parse_document(make_pdf(["第一页。这是中文。", "Second page text."], cjk=True), "report.pdf")
    assert doc.page_count == 2
    assert [(b.text, b.page) for b in doc.blocks] == [("第一页。这是中文。", 1), ("Second page text.", 2)]


def test_docx_headings_lists_and_tables_in_order() -> None:
    doc = parse_document(make_docx(), "handbook.docx")
    kinds = [(b.kind, b.level) for b in doc.blocks]
    assert kinds == [("heading", 1), ("paragraph", 0), ("heading", 2), ("paragraph", 0), ("list", 0), ("table", 0),
                     ("paragraph", 0)]  # fmt: skip
    table = doc.blocks[5]
    assert table.text.splitlines() == ["| 类型 | 天数 |", "|---|---|", "| 年假 | 15 |", "| 病假 | 10 |"]
    assert table.section_path == ("员工手册", "2.1 Leave")
    assert doc.blocks[4].text == "- Sick leave needs a note\n- Ask your manager first"


def test_xlsx_each_sheet_is_a_table_under_its_name() -> None:
    doc = parse_document(make_xlsx(), "prices.xlsx")
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert headings == ["价格", "Staff"]  # the empty sheet is skipped
    assert "| 苹果 | 3 |" in doc.blocks[1].text and doc.blocks[1].section_path == ("价格",)


def test_pptx_slides_are_sections_with_their_number_as_page() -> None:
    doc = parse_document(make_pptx(), "deck.pptx")
    assert [b.text for b in doc.blocks if b.kind == "heading"] == ["Slide 1 — 季度回顾", "Slide 2 — Numbers"]
    assert doc.blocks[1].kind == "list" and "  - Mostly from exports" in doc.blocks[1].text
    assert any(b.text == "Notes: Speak slowly." for b in doc.blocks)
    table = next(b for b in doc.blocks if b.kind == "table")
    assert table.page == 2 and "| North | 42 |" in table.text


def test_html_keeps_structure_and_drops_scripts() -> None:
    html = """<html><head><title>FAQ</title><style>p{}</style></head><body><script>alert(1)</script>
    <h1>常见问题</h1><p>第一段。</p><div><h2>Install</h2><ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul>
    <table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>x|y</td></tr></table><pre>code  line</pre></div>
    </body></html>"""
    doc = parse_document(html.encode(), "faq.html")
    assert doc.title == "FAQ"
    assert [b.kind for b in doc.blocks] == ["heading", "paragraph", "heading", "list", "table", "code"]
    assert doc.blocks[3].text == "- one\n  - nested\n- two"
    assert doc.blocks[4].text.splitlines()[-1] == "| 1 | x\\|y |"
    assert "alert" not in doc.text()


def test_html_drops_navigation_and_tables_of_contents() -> None:
    """Menus, breadcrumbs and contents lists repeat headings without content; a chunk of them would outrank the
    sections they point to. DocBook's (the Debian FAQ's) shapes, HTML5's and ARIA's."""
    html = """<html><body><nav><a href="/">Home</a> <a href="/faq">FAQ</a></nav>
    <div class="navheader"><table summary="Navigation header"><tr><td>Prev</td><td>Next</td></tr></table></div>
    <h1>Chapter 1. Basics</h1><div class="toc"><p><b>Table of Contents</b></p><dl><dt>1.1. What is it?</dt></dl></div>
    <ul role="navigation"><li>Skip to content</li></ul>
    <h2>1.1. What is it?</h2><p>A box that runs AI.</p>
    <div class="navfooter"><p>Chapter 2</p></div></body></html>"""
    doc = parse_document(html.encode(), "basics.html")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Chapter 1. Basics"), ("heading", "1.1. What is it?"), ("paragraph", "A box that runs AI."),
    ]  # fmt: skip


def test_markdown_headings_code_tables_and_lists() -> None:
    md = "# Title\n\nIntro text.\n\n## Part\n\n- a\n- b\n\n| h1 | h2 |\n|---|---|\n| 1 | 2 |\n\n```\nx = 1\n```\n"
    doc = parse_document(md.encode(), "notes.md")
    assert [(b.kind, b.section_path) for b in doc.blocks] == [
        ("heading", ("Title",)), ("paragraph", ("Title",)), ("heading", ("Title", "Part")),
        ("list", ("Title", "Part")), ("table", ("Title", "Part")), ("code", ("Title", "Part")),
    ]  # fmt: skip


def test_txt_and_csv_including_gbk_encoding() -> None:
    doc = parse_document("第一段。\n\n第二段。".encode("gb18030"), "a.txt")
    assert [b.text for b in doc.blocks] == ["第一段。", "第二段。"]
    csv_doc = parse_document("name;city\nAnn;北京\n".encode(), "people.csv")
    assert csv_doc.blocks[0].text.splitlines() == ["| name | city |", "|---|---|", "| Ann | 北京 |"]
