"""Adding documents from a URL and as Q&A pairs in a real browser, and editing a document's metadata."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hezi.egress import parse_cidrs
from tests.conftest import LiveServer
from tests.helpers import unique
from tests.web.browser import open_tab, shot, sign_in, switch_language

PAGE = (
    b"<!doctype html><html><head><title>Tides</title></head><body><h1>Tide tables</h1>"
    b"<p>High tide at the harbour comes about fifty minutes later each day.</p></body></html>"
)
FAQ = "问题,答案\n年假有几天？,每年十五天带薪年假。\nHow do I book a meeting room?,Use the calendar's room finder.\n"


class Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/tides.html" else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        body = PAGE if self.path == "/tides.html" else b"not found"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(model_server: LiveServer) -> Iterator[str]:
    """A web site on loopback, which the server may reach as if HEZI_EGRESS_ALLOW_CIDRS=127.0.0.0/8."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = model_server.app.state
    before = state.services.egress.allowed
    state.services.egress.allowed = parse_cidrs("127.0.0.0/8")
    yield f"http://127.0.0.1:{server.server_address[1]}"
    state.services.egress.allowed = before
    server.shutdown()


def wait_ready(page: Page, name: str) -> None:
    status = page.get_by_test_id(f"doc-row-{name}").get_by_test_id("doc-status")
    expect(status).to_have_attribute("data-status", "ready", timeout=90_000)


def test_url_and_qa_imports_and_metadata(model_server: LiveServer, site: str, page: Page, tmp_path: Path) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    kb = api.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": unique("imports")}).json()
    api.close()
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    page.goto(f"{model_server.url}/knowledge/{kb['id']}")
    expect(page.get_by_test_id("doc-table")).to_be_visible()

    # From a URL: a refused address is the form's error, a good one is fetched and listed with its source.
    page.get_by_test_id("docs-add").click()
    open_tab(page, "add-docs-tab-url")
    page.get_by_test_id("add-url-input").fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_test_id("add-url-submit").click()
    expect(page.get_by_test_id("add-url-error")).to_contain_text("169.254.169.254")
    page.get_by_test_id("add-url-input").fill(f"{site}/tides.html")
    shot(page, "knowledge-import-url-zh-CN")
    page.get_by_test_id("add-url-submit").click()
    expect(page.get_by_test_id("add-docs-modal")).to_be_hidden()
    wait_ready(page, "tides.html")
    row = page.get_by_test_id("doc-row-tides.html")
    expect(row.get_by_test_id("doc-source")).to_have_attribute("data-source", "url")
    expect(row.get_by_test_id("doc-source-url")).to_have_text(f"{site}/tides.html")

    # Q&A pairs from a CSV.
    faq = tmp_path / "faq.csv"
    faq.write_text(FAQ, encoding="utf-8")
    page.get_by_test_id("docs-add").click()
    open_tab(page, "add-docs-tab-qa")
    page.get_by_test_id("add-docs-modal").locator("input[type=file]").nth(1).set_input_files(str(faq))
    expect(page.get_by_test_id("upload-item-faq.csv")).to_have_attribute("data-state", "done")
    shot(page, "knowledge-import-qa-zh-CN")
    page.get_by_test_id("add-docs-close").click()
    wait_ready(page, "faq.csv")
    expect(page.get_by_test_id("doc-row-faq.csv").get_by_test_id("doc-source")).to_have_attribute("data-source", "qa")
    expect(page.get_by_test_id("doc-row-faq.csv").get_by_test_id("doc-chunks")).to_have_text("2")

    # Metadata: add two pairs, see them in the table; a bad number is caught before it is sent.
    switch_language(page, "en")
    page.get_by_test_id("doc-metadata-faq.csv").click()
    modal = page.get_by_test_id("metadata-modal")
    modal.get_by_test_id("metadata-add").click()
    modal.get_by_test_id("metadata-key").nth(0).fill("department")
    modal.get_by_test_id("metadata-value").nth(0).fill("HR")
    modal.get_by_test_id("metadata-add").click()
    modal.get_by_test_id("metadata-key").nth(1).fill("year")
    modal.get_by_test_id("metadata-kind").nth(1).click()
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter(has_text="Number").click()
    modal.get_by_test_id("metadata-value").nth(1).fill("twenty")
    page.get_by_test_id("metadata-save").click()
    expect(modal).to_contain_text("Not a number")
    modal.get_by_test_id("metadata-value").nth(1).fill("2025")
    shot(page, "knowledge-metadata-en")
    page.get_by_test_id("metadata-save").click()
    expect(modal).to_be_hidden()
    cell = page.get_by_test_id("doc-row-faq.csv").get_by_test_id("doc-metadata")
    expect(cell).to_contain_text("department: HR")
    expect(cell).to_contain_text("year: 2025")
    shot(page, "knowledge-import-documents-en")

    check = model_server.admin()
    docs = check.get(f"/api/workspaces/{ws}/knowledge-bases/{kb['id']}/documents").json()["data"]
    check.close()
    assert next(d for d in docs if d["name"] == "faq.csv")["metadata"] == {"department": "HR", "year": 2025}
