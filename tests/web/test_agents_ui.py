"""The Agents pages in a real browser: build an agent from a template, try it in the preview (a streamed answer, a
tool step, a citation), publish it; import, export and delete agent files; the tool providers' page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.conftest import LiveServer
from tests.helpers import Api, unique, wait_for
from tests.web.browser import shot, sign_in, switch_language

LEAVE = (
    "Annual leave policy. Every employee has twenty-five days of paid annual leave per year. "
    "Unused leave days can be carried over until the end of March."
)

# How long an answer may take: the bundled model on a CPU shared with the rest of the test suite.
ANSWER_MS = 300_000

# Records every state an answer passes through, so a test can tell that it streamed in (not arrived whole).
RECORD_STATES = """
window.__answerStates = [];
new MutationObserver((records) => {
  for (const r of records) {
    const el = r.target instanceof Element ? r.target.closest('[data-testid="chat-answer"]') : null;
    for (const a of el ? [el] : document.querySelectorAll('[data-testid="chat-answer"]')) {
      const s = a.getAttribute('data-status');
      if (window.__answerStates[window.__answerStates.length - 1] !== s) window.__answerStates.push(s);
    }
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
"""


def make_kb(api: Api, ws: str) -> dict[str, Any]:
    """A knowledge base with one ready document."""
    r = api.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": unique("hr")})
    assert r.status_code == 201, r.text
    kb = r.json()
    base = f"/api/workspaces/{ws}/knowledge-bases/{kb['id']}"
    r = api.post(f"{base}/documents/text", json={"name": "leave-policy.txt", "text": LEAVE})
    assert r.status_code == 201, r.text
    wait_for(
        lambda: all(d["status"] == "ready" for d in api.get(f"{base}/documents").json()["data"]),
        "the document to be ingested",
        timeout=90,
    )
    return dict(kb)


def pick_option(page: Page, select_test_id: str, label: str) -> None:
    """Choose `label` in an antd Select (its options live in a popup outside the select)."""
    page.get_by_test_id(select_test_id).click()
    page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text=label).first.click()
    page.keyboard.press("Escape")


def wait_saved(page: Page) -> None:
    expect(page.get_by_test_id("builder-save-status")).to_have_attribute("data-state", "saved", timeout=15_000)


def last_answer(scope: Page | Locator) -> Locator:
    return scope.get_by_test_id("chat-answer").last


def open_sources(answer: Locator, title: str) -> Locator:
    """Unfold an answer's sources panel and return its documents. The answer is re-read from the server right after
    it ends, which can move the panel under the pointer: as a person would, click again when the first click missed."""
    documents = answer.get_by_test_id("chat-source-document")
    for attempt in range(3):
        answer.get_by_test_id("chat-sources").get_by_text(re.compile(title)).click()
        try:
            expect(documents.first).to_be_visible(timeout=3_000)
            return documents
        except AssertionError:
            if attempt == 2:
                raise
    return documents


def test_build_agent_from_template_preview_and_publish(model_server: LiveServer, page: Page) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    kb = make_kb(api, ws)
    page.add_init_script(RECORD_STATES)
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)

    # The Agents page is real now (no "coming soon"), and its templates come in the console's language.
    page.get_by_test_id("nav-agents").click()
    expect(page).to_have_url(re.compile(r"/agents$"))
    expect(page.get_by_test_id("coming-soon-agents")).to_have_count(0)
    page.get_by_test_id("agent-create").click()
    template = page.get_by_test_id("agent-template-data-helper")
    expect(template).to_contain_text("数据助手")
    expect(page.get_by_test_id("agent-templates").locator('[data-testid^="agent-template-"]')).to_have_count(5)
    template.click()
    expect(page.get_by_test_id("agent-create-name")).to_have_value("数据助手")
    name = unique("数据助手")
    page.get_by_test_id("agent-create-name").fill(name)
    shot(page, "agents-create-zh-CN")
    page.get_by_test_id("agent-create-form-submit").click()

    # The builder: the template's settings, in Chinese; a knowledge base added through the form is autosaved.
    expect(page).to_have_url(re.compile(r"/agents/[0-9a-f-]{36}$"))
    agent_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("builder-title")).to_have_text(name)
    expect(page.get_by_test_id("builder-system-prompt")).to_contain_text("计算器")
    expect(page.get_by_test_id("builder-tools")).to_contain_text("calculator")
    pick_option(page, "builder-knowledge", kb["name"])
    wait_saved(page)
    # Short answers and one tool round: the test is about the page, and a loaded machine runs the model slowly.
    page.get_by_test_id("builder-max-tokens").fill("64")
    page.get_by_test_id("builder-max-steps").fill("1")
    page.get_by_test_id("builder-max-steps").blur()
    wait_saved(page)
    page.get_by_test_id("builder-description").fill("算数与数据，也能查年假制度")
    wait_saved(page)
    draft = api.get(f"/api/workspaces/{ws}/agents/{agent_id}").json()
    assert draft["config"]["knowledge"]["knowledge_base_ids"] == [kb["id"]]
    assert draft["description"] == "算数与数据，也能查年假制度"
    assert {t["name"] for t in draft["config"]["tools"]} == {"calculator", "code_interpreter"}
    assert draft["config"]["model_params"]["max_tokens"] == 64
    assert draft["config"]["max_steps"] == 1

    # The preview talks to the draft: a suggested question streams in an answer with a tool step.
    preview = page.get_by_test_id("builder-preview")
    expect(preview.get_by_test_id("chat-opening")).to_contain_text("计算题")
    preview.get_by_test_id("chat-suggested").get_by_text("1234 乘以 5678 等于多少？").click()
    expect(preview.get_by_test_id("chat-question")).to_have_text("1234 乘以 5678 等于多少？")
    answer = last_answer(preview)
    expect(answer).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    assert "streaming" in page.evaluate("window.__answerStates"), page.evaluate("window.__answerStates")
    steps = answer.get_by_test_id("chat-step-tool")
    expect(steps.first).to_be_visible()
    tool = steps.first.inner_text()
    assert tool in {"calculator", "code_interpreter"}, tool
    steps.first.click()  # the step opens: its arguments and its result
    expect(answer.get_by_test_id("chat-step-arguments").first).to_be_visible()
    expect(
        answer.get_by_test_id("chat-step-result").or_(answer.get_by_test_id("chat-step-error")).first
    ).to_be_visible()
    expect(answer.get_by_test_id("markdown")).not_to_be_empty()
    # The knowledge base was searched: its passage is listed as a source.
    expect(answer.get_by_test_id("chat-sources")).to_contain_text("来源")
    expect(open_sources(answer, "来源").first).to_have_text("leave-policy.txt")
    shot(page, "agent-builder-preview-zh-CN")

    # Publish with a note: the version is listed, the agent card says so.
    page.get_by_test_id("builder-publish").click()
    page.get_by_test_id("builder-publish-note").fill("第一版")
    page.get_by_test_id("builder-publish-submit").click()
    expect(page.get_by_test_id("builder-published")).to_have_text("已发布 v1")
    page.get_by_test_id("builder-versions-open").click()
    expect(page.get_by_test_id("builder-version-1")).to_contain_text("第一版")
    page.keyboard.press("Escape")

    # English: the same builder and preview, another question about the documents, answered with its sources.
    switch_language(page, "en")
    expect(page.get_by_test_id("builder-section-knowledge")).to_have_text("Knowledge")
    preview.get_by_test_id("chat-sender").locator("textarea").fill("How many days of annual leave do employees get?")
    page.keyboard.press("Enter")
    expect(preview.get_by_test_id("chat-answer")).to_have_count(2)
    answer = last_answer(preview)
    expect(answer).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    expect(answer.get_by_test_id("chat-sources")).to_contain_text("Sources")
    open_sources(answer, "Sources")
    expect(answer.get_by_test_id("chat-source").first).to_contain_text("twenty-five days")
    shot(page, "agent-builder-preview-en")

    # The list shows the published agent; chat opens it.
    page.get_by_test_id("builder-back").click()
    card = page.get_by_test_id(f"agent-card-{name}")
    expect(card.get_by_test_id("agent-published")).to_have_text("Published v1")
    shot(page, "agents-list-en")
    api.close()


def test_import_export_and_delete(live_server: LiveServer, page: Page, tmp_path: Path) -> None:
    api = live_server.admin()
    ws = api.default_workspace()
    name = unique("translator")
    r = api.post(f"/api/workspaces/{ws}/agents", json={"template": "translator", "name": name, "lang": "en"})
    assert r.status_code == 201, r.text
    sign_in(page, live_server.url, live_server.admin_username, live_server.admin_password)
    switch_language(page, "en")
    page.goto(f"{live_server.url}/agents")

    # Export: the YAML file the command line reads.
    page.get_by_test_id(f"agent-menu-{name}").click()
    with page.expect_download() as download:
        page.get_by_test_id(f"agent-export-{name}").click()
    exported = tmp_path / "agent.yaml"
    download.value.save_as(exported)
    text = exported.read_text(encoding="utf-8")
    assert name in text and "system_prompt" in text

    # Import it back: the name exists, so the console asks before replacing.
    page.locator('input[type="file"][accept*="yaml"]').set_input_files(str(exported))
    page.get_by_test_id("agent-import-replace").click()
    expect(page.locator(".ant-message")).to_contain_text(f'"{name}" imported')

    # A broken file is refused with the field named.
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"hezi: agent/1\nname: {unique('bad')}\nconfig:\n  max_steps: 999\n", encoding="utf-8")
    page.locator('input[type="file"][accept*="yaml"]').set_input_files(str(bad))
    error = page.locator(".ant-modal-confirm-error")
    expect(error).to_contain_text("Could not import bad.yaml")
    expect(error).to_contain_text("max_steps")
    shot(page, "agents-import-error-en")
    error.get_by_role("button").click()

    # Delete.
    page.get_by_test_id(f"agent-menu-{name}").click()
    page.get_by_test_id(f"agent-delete-{name}").click()
    page.get_by_test_id("agent-delete-confirm").click()
    expect(page.get_by_test_id(f"agent-card-{name}")).to_have_count(0)
    assert all(a["name"] != name for a in api.get(f"/api/workspaces/{ws}/agents").json()["data"])
    api.close()


OPENAPI = """
openapi: 3.0.0
info: {title: Weather, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /forecast:
    get:
      operationId: get_forecast
      summary: The forecast of a city
      parameters:
        - {name: city, in: query, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
"""


@pytest.fixture(scope="module")
def loopback_server(make_server: Callable[..., LiveServer]) -> LiveServer:
    """A server whose egress guard lets tools reach loopback (the document's server is checked when it is added)."""
    return make_server(egress_allow_cidrs="127.0.0.1/32")


def test_tool_providers_page(loopback_server: LiveServer, page: Page) -> None:
    server = loopback_server
    api = server.admin()
    name = unique("weather")
    sign_in(page, server.url, server.admin_username, server.admin_password)
    page.goto(f"{server.url}/agents/tools")
    expect(page.get_by_test_id("tool-provider-table")).to_be_visible()

    # An OpenAPI document pasted in, with a bearer token: its operation is listed as a tool, the token never shown.
    page.get_by_test_id("tool-provider-add").click()
    page.get_by_test_id("tool-provider-name").fill(name)
    page.get_by_test_id("tool-provider-spec").fill(OPENAPI)
    page.get_by_test_id("tool-provider-auth").click()
    page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text="Bearer").click()
    page.get_by_test_id("tool-provider-auth-value").fill("s3cret-token-value")
    shot(page, "tools-add-zh-CN")
    page.get_by_test_id("tool-provider-form-submit").click()
    row = page.get_by_test_id(f"tool-provider-row-{name}")
    expect(row.get_by_test_id("tool-provider-count")).to_have_text("1")
    expect(row.get_by_test_id("tool-provider-secret")).to_be_visible()
    row.locator(".ant-table-row-expand-icon").click()
    expect(page.get_by_test_id(f"tool-provider-tools-{name}")).to_contain_text("get_forecast")
    assert "s3cret-token-value" not in page.content()
    shot(page, "tools-list-zh-CN")

    # The builder offers it next to the built-in tools.
    ws = api.default_workspace()
    tools = api.get(f"/api/workspaces/{ws}/tools").json()["data"]
    assert any(t["name"] == "get_forecast" for t in tools), tools

    # A document that is not OpenAPI is refused with the server's reason, in the form.
    page.get_by_test_id("tool-provider-add").click()
    page.get_by_test_id("tool-provider-name").fill(unique("broken"))
    page.get_by_test_id("tool-provider-spec").fill("hello: world")
    page.get_by_test_id("tool-provider-form-submit").click()
    expect(page.get_by_test_id("tool-provider-error")).to_be_visible()
    page.keyboard.press("Escape")

    # Refresh and delete.
    page.get_by_test_id(f"tool-provider-refresh-{name}").click()
    expect(page.locator(".ant-message")).to_contain_text(name)
    page.get_by_test_id(f"tool-provider-delete-{name}").click()
    page.get_by_test_id("tool-provider-delete-confirm").click()
    expect(page.get_by_test_id(f"tool-provider-row-{name}")).to_have_count(0)
    api.close()


@pytest.fixture(autouse=True)
def _no_dialogs(page: Page) -> Any:
    """Nothing in these pages may open a browser dialog (an alert() from injected markup would)."""
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    yield
    assert dialogs == [], dialogs
