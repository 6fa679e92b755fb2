"""A failed document retried from the documents table: a scan that failed with OCR off is read once OCR is on."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.helpers import unique
from tests.knowledge.scans import image_pdf, scanned_page
from tests.web.browser import shot, sign_in


def test_a_failed_document_is_retried_from_its_row(model_server: LiveServer, page: Page) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    kb = api.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": unique("retry")}).json()
    base = f"/api/workspaces/{ws}/knowledge-bases/{kb['id']}"
    model_server.settings.knowledge_ocr = False  # the job reads the settings object when it runs
    try:
        r = api.post(f"{base}/documents", params={"filename": "scan.pdf"},
                     content=image_pdf([scanned_page(["Harbour pilots board ships at the outer buoy."])]),
                     headers={"Content-Type": "application/octet-stream"})  # fmt: skip
        assert r.status_code == 201, r.text
        sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
        page.goto(f"{model_server.url}/knowledge/{kb['id']}")
        row = page.get_by_test_id("doc-row-scan.pdf")
        expect(row.get_by_test_id("doc-status")).to_have_attribute("data-status", "failed", timeout=60_000)
        row.get_by_test_id("doc-status").hover()  # the reason is in the status tag's tooltip
        expect(page.get_by_test_id("doc-error")).to_contain_text("HEZI_KNOWLEDGE_OCR")
        shot(page, "knowledge-doc-failed-zh-CN")
    finally:
        model_server.settings.knowledge_ocr = True

    row.get_by_test_id("doc-retry-scan.pdf").click()  # OCR is on now: the same file goes through
    expect(row.get_by_test_id("doc-status")).to_have_attribute("data-status", "ready", timeout=120_000)
    expect(row.get_by_test_id("doc-retry-scan.pdf")).to_have_count(0)
    hits = api.post(f"{base}/retrieve", json={"query": "Where do pilots board ships?", "mode": "full_text"}).json()
    assert hits["data"] and "outer buoy" in hits["data"][0]["text"]
    api.close()
