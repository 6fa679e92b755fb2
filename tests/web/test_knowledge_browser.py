"""The Knowledge pages in a real browser: create a knowledge base, add documents, watch them get ready, hit-test."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.helpers import unique
from tests.web.browser import open_tab, shot, sign_in, switch_language

LIGHTHOUSE = (
    "The lighthouse keeper of Pelican Island polishes the brass lamp every evening.\n\n"
    "When fog rolls in from the harbour, the keeper sounds the horn twice a minute so that fishing boats "
    "find their way home past the rocks."
)
BAKERY = (
    "Quarterly report of the corner bakery.\n\n"
    "Sales of sourdough bread and almond croissants grew by twelve percent, and the new oven halved the "
    "baking time of rye loaves."
)
# A Windows executable: refused by type, whatever its name says.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240


def wait_ready(page: Page, name: str) -> None:
    status = page.get_by_test_id(f"doc-row-{name}").get_by_test_id("doc-status")
    expect(status).to_have_attribute("data-status", "ready", timeout=90_000)


def test_knowledge_base_documents_and_hit_testing(model_server: LiveServer, page: Page, tmp_path: Path) -> None:
    kb_name = unique("handbook")
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    page.get_by_test_id("nav-knowledge").click()
    expect(page).to_have_url(re.compile(r"/knowledge$"))
    expect(page.get_by_test_id("kb-table")).to_be_visible()

    # Create: the bundled multilingual embedding model is offered and chosen by default.
    page.get_by_test_id("kb-create").click()
    form = page.get_by_test_id("kb-create-form")
    expect(form).to_contain_text("multilingual-e5-small")
    page.get_by_test_id("kb-name-input").fill(kb_name)
    page.get_by_test_id("kb-description-input").fill("Island notes and bakery reports")
    shot(page, "knowledge-create-zh-CN")
    page.get_by_test_id("kb-create-form-submit").click()
    expect(page.get_by_test_id("kb-title")).to_have_text(kb_name)
    expect(page).to_have_url(re.compile(r"/knowledge/[0-9a-f-]{36}$"))

    # Add documents: a .txt and an .exe dropped together; only the .exe is refused, with the server's 415 message.
    api = model_server.admin()
    ws = api.default_workspace()
    kb_id = page.url.rsplit("/", 1)[1]
    refused = api.post(
        f"/api/workspaces/{ws}/knowledge-bases/{kb_id}/documents",
        params={"filename": "setup.exe"},
        content=EXE,
        headers={"Content-Type": "application/octet-stream"},
    )
    api.close()
    assert refused.status_code == 415, refused.text
    txt = tmp_path / "lighthouse.txt"
    txt.write_text(LIGHTHOUSE, encoding="utf-8")
    exe = tmp_path / "setup.exe"
    exe.write_bytes(EXE)

    page.get_by_test_id("docs-add").click()
    modal = page.get_by_test_id("add-docs-modal")
    modal.locator("input[type=file]").set_input_files([str(txt), str(exe)])
    expect(page.get_by_test_id("upload-item-lighthouse.txt")).to_have_attribute("data-state", "done")
    bad = page.get_by_test_id("upload-item-setup.exe")
    expect(bad).to_have_attribute("data-state", "error")
    expect(bad.get_by_test_id("upload-error")).to_have_text(refused.json()["error"]["message"])
    expect(page.get_by_test_id("upload-item-lighthouse.txt").get_by_test_id("upload-error")).to_have_count(0)
    shot(page, "knowledge-upload-zh-CN")

    # Paste text.
    open_tab(page, "add-docs-tab-text")
    page.get_by_test_id("add-text-name").fill("bakery.md")
    page.get_by_test_id("add-text-body").fill(BAKERY)
    page.get_by_test_id("add-text-submit").click()
    expect(modal).to_be_hidden()

    # Both reach "ready"; the refused file was never listed.
    wait_ready(page, "lighthouse.txt")
    wait_ready(page, "bakery.md")
    expect(page.get_by_test_id("doc-row-setup.exe")).to_have_count(0)
    expect(page.get_by_test_id("kb-counts")).to_contain_text("2")
    shot(page, "knowledge-detail-zh-CN")

    # The chunk viewer shows what was stored.
    page.get_by_test_id("doc-chunks-lighthouse.txt").click()
    expect(page.get_by_test_id("chunk-0").get_by_test_id("chunk-text")).to_contain_text("lighthouse keeper")
    shot(page, "knowledge-chunks-zh-CN")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("chunk-0")).to_have_count(0)

    # Hit testing: the lighthouse document comes first, with the query's words marked.
    page.get_by_test_id("kb-tab-hit-testing").click()
    page.get_by_test_id("hit-query").fill("lighthouse keeper brass lamp")
    page.get_by_test_id("hit-submit").click()
    first = page.get_by_test_id("hit-results-hybrid").get_by_test_id("hit-result").first
    expect(first).to_have_attribute("data-document", "lighthouse.txt")
    expect(first.locator("mark.kb-hit").first).to_be_visible()
    shot(page, "knowledge-hit-testing-zh-CN")

    # All three modes side by side, in English.
    switch_language(page, "en")
    page.get_by_test_id("hit-mode-compare").click()
    page.get_by_test_id("hit-submit").click()
    for mode in ("hybrid", "vector", "full_text"):
        result = page.get_by_test_id(f"hit-results-{mode}").get_by_test_id("hit-result").first
        expect(result).to_have_attribute("data-document", "lighthouse.txt")
    expect(page.get_by_test_id("hit-compare")).to_contain_text("Full text")
    shot(page, "knowledge-hit-testing-en", full_page=True)

    page.get_by_test_id("kb-tab-documents").click()
    expect(page.get_by_test_id("doc-row-bakery.md")).to_contain_text("Ready")
    shot(page, "knowledge-detail-en")

    # The list shows the new knowledge base with its counts.
    page.get_by_test_id("kb-back").click()
    row = page.get_by_test_id(f"kb-row-{kb_name}")
    expect(row.get_by_test_id("kb-documents")).to_have_text("2")
    expect(row).to_contain_text("multilingual-e5-small")
    shot(page, "knowledge-list-en")
    switch_language(page, "zh-CN")
    expect(row).to_contain_text("打开")
    shot(page, "knowledge-list-zh-CN")

    # Delete a document, then the knowledge base.
    row.get_by_test_id(f"kb-open-{kb_name}").click()
    page.get_by_test_id("doc-delete-bakery.md").click()
    page.get_by_test_id("doc-delete-confirm").click()
    expect(page.get_by_test_id("doc-row-bakery.md")).to_have_count(0)
    page.get_by_test_id("kb-back").click()
    page.get_by_test_id(f"kb-delete-{kb_name}").click()
    page.get_by_test_id("kb-delete-confirm").click()
    expect(page.get_by_test_id(f"kb-row-{kb_name}")).to_have_count(0)


def test_members_see_knowledge_read_only(live_server: LiveServer, page: Page) -> None:
    api = live_server.admin()
    ws = api.default_workspace()
    user = api.create_user()
    api.add_member(ws, user["username"], "member")
    api.close()
    sign_in(page, live_server.url, user["username"], "password-123")
    # Work in the admin's workspace, where this user is a plain member.
    page.evaluate("id => window.localStorage.setItem('hezi.workspace', id)", ws)
    page.goto(f"{live_server.url}/knowledge")
    expect(page.get_by_test_id("kb-table")).to_be_visible()
    expect(page.get_by_test_id("kb-create")).to_have_count(0)
    expect(page.get_by_text("只有所有者、管理员和编辑者可以修改")).to_be_visible()
