"""HTML: headings, paragraphs, lists, tables and code kept as Markdown blocks; scripts, styles, navigation and
tables of contents dropped."""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, Tag

from hezi.knowledge.parsing.detect import decode_text
from hezi.knowledge.parsing.limits import ParseLimits
from hezi.knowledge.parsing.model import BlockBuilder, ParsedDocument, markdown_table
from hezi.knowledge.parsing.registry import ParserSpec, register

_DROP = ("script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object", "button", "select")
# Navigation and tables of contents repeat the document's headings without their content: as chunks they outrank
# the sections they point to (on the Debian FAQ a chapter's contents list was the first full-text hit for a quarter
# of its questions). `nav`, ARIA navigation, and the class names DocBook, Sphinx, MediaWiki and common themes give
# them.
_NAVIGATION_CLASSES = {
    "navheader", "navfooter", "toc", "table-of-contents", "toctree-wrapper", "sphinxsidebar", "navbox",
    "breadcrumb", "breadcrumbs", "skip-link",
}  # fmt: skip
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_CONTAINERS = {
    "html", "body", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
    "figure", "figcaption", "form", "details", "summary", "dl", "dd", "dt", "center", "fieldset", "address", "hgroup",
}  # fmt: skip


def parse_html(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Walk the DOM in document order, one block per block-level element."""
    with warnings.catch_warnings():
        # XHTML (the Debian FAQ, DocBook output) is read by the forgiving HTML parser on purpose: same structure,
        # and a stray entity does not fail the document as the XML parser would.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(decode_text(data), "lxml")
    title = _squash(soup.title.get_text()) if soup.title else None
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(_is_navigation):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    builder = BlockBuilder()
    _walk(soup, builder)
    return ParsedDocument("html", tuple(builder.blocks), title=title or None)


def _is_navigation(tag: Tag) -> bool:
    if tag.name == "nav" or tag.get("role") == "navigation":
        return True
    classes: list[str] = tag.get_attribute_list("class")
    return any(c and c.lower() in _NAVIGATION_CLASSES for c in classes)


def _walk(node: Tag, builder: BlockBuilder) -> None:
    inline: list[str] = []

    def flush() -> None:
        builder.add("paragraph", _squash("".join(inline)))
        inline.clear()

    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, doctype or CDATA
                inline.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in _HEADINGS:
            flush()
            builder.heading(child.get_text(), _HEADINGS[name])
        elif name == "p":
            flush()
            builder.add("paragraph", _squash(child.get_text()))
        elif name in ("ul", "ol"):
            flush()
            builder.add("list", "\n".join(_list_lines(child, 0)))
        elif name == "table":
            flush()
            builder.add("table", _table(child))
        elif name == "pre":
            flush()
            builder.add("code", child.get_text())
        elif name in _CONTAINERS or name == "[document]":
            flush()
            _walk(child, builder)
        else:
            inline.append(child.get_text())
    flush()


def _list_lines(node: Tag, depth: int) -> list[str]:
    lines: list[str] = []
    ordered = node.name == "ol"
    for n, item in enumerate(node.find_all("li", recursive=False), start=1):
        own: list[str] = []
        nested: list[str] = []
        for child in item.children:
            if isinstance(child, Tag) and child.name in ("ul", "ol"):
                nested.extend(_list_lines(child, depth + 1))
            elif isinstance(child, Tag) or type(child) is NavigableString:
                own.append(child.get_text() if isinstance(child, Tag) else str(child))
        marker = f"{n}." if ordered else "-"
        lines.append(f"{'  ' * depth}{marker} {_squash(''.join(own))}")
        lines.extend(nested)
    return lines


def _table(node: Tag) -> str:
    rows = []
    for tr in node.find_all("tr"):
        cells = [_squash(c.get_text()) for c in tr.find_all(["th", "td"], recursive=False)]
        if any(cells):
            rows.append(cells)
    return markdown_table(rows)


def _squash(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


register(ParserSpec("html", (".html", ".htm", ".xhtml"), frozenset({"text"}), parse_html))
