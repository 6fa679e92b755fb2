"""The Chat page in a real browser: Markdown that never becomes HTML, streamed answers, history, branches from
regenerate and edit, feedback, files, stop, and a phone-sized window."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.web.browser import shot, sign_in, switch_language
from tests.web.test_agents_ui import ANSWER_MS, RECORD_STATES

# Markdown from an untrusted source: raw HTML, script links, an image, a table and LaTeX.
UNSAFE = (
    "Welcome! <img src=x onerror=alert(1)> <script>alert(2)</script>\n\n"
    '[click me](javascript:alert(3)) and <a href="javascript:alert(4)">raw link</a> and '
    "[docs](https://example.com/docs)\n\n"
    "![pixel](https://example.com/p.png)\n\n"
    "| plan | days |\n|---|---|\n| annual | 25 |\n\n"
    "Energy: $E = mc^2$\n"
)
QUESTION_HTML = "<img src=x onerror=alert(5)> what can you do?"


def published_agent(api: Api, ws: str, **config: Any) -> dict[str, Any]:
    """An agent from the customer-service template, its config changed by `config`, published."""
    r = api.post(
        f"/api/workspaces/{ws}/agents", json={"template": "customer-service", "name": unique("客服"), "lang": "zh-CN"}
    )
    assert r.status_code == 201, r.text
    agent = r.json()
    if config:
        r = api.patch(f"/api/workspaces/{ws}/agents/{agent['id']}", json={"config": {**agent["config"], **config}})
        assert r.status_code == 200, r.text
    r = api.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={})
    assert r.status_code == 201, r.text
    return dict(agent)


@pytest.fixture
def dialogs(page: Page) -> Iterator[list[str]]:
    """Any browser dialog (alert() from markup that became HTML) is recorded; the tests expect none."""
    seen: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    yield seen
    assert seen == []


def assert_inert(scope: Locator) -> None:
    """No element made from the text's markup: no img, script or iframe, and no javascript: link."""
    assert scope.locator("img, script, iframe, object, embed").count() == 0
    hrefs = [a.get_attribute("href") or "" for a in scope.locator("a").all()]
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript")], hrefs


def question_box(page: Page) -> Locator:
    return page.get_by_test_id("chat-sender").locator("textarea")


def ask(page: Page, text: str) -> None:
    question_box(page).fill(text)
    question_box(page).press("Enter")


def test_markdown_and_questions_render_as_text(live_server: LiveServer, page: Page, dialogs: list[str]) -> None:
    api = live_server.admin()
    ws = api.default_workspace()
    agent = published_agent(api, ws, opening_statement=UNSAFE)
    sign_in(page, live_server.url, live_server.admin_username, live_server.admin_password)
    page.goto(f"{live_server.url}/chat?agent={agent['id']}")

    # The opening statement is rendered by the answers' Markdown renderer: markup shows as text, links are inert.
    opening = page.get_by_test_id("chat-opening")
    expect(opening).to_contain_text("<img src=x onerror=alert(1)>")
    expect(opening).to_contain_text("<script>alert(2)</script>")
    expect(opening).to_contain_text('<a href="javascript:alert(4)">raw link</a>')
    expect(opening.locator("table")).to_contain_text("annual")
    expect(opening.locator(".katex").first).to_be_visible()
    expect(opening.get_by_text("click me")).to_be_visible()
    expect(opening.locator('a[href="https://example.com/docs"]')).to_have_attribute("rel", re.compile("noopener"))
    expect(opening.get_by_text("pixel")).to_be_visible()  # an image is a link, nothing is fetched
    assert_inert(opening)
    shot(page, "chat-unsafe-markdown-zh-CN")

    # A question with markup is shown as typed (this server runs no model: the answer fails, visibly).
    ask(page, QUESTION_HTML)
    question = page.get_by_test_id("chat-question").last
    expect(question).to_have_text(QUESTION_HTML)
    assert_inert(question)
    expect(page.get_by_test_id("chat-answer").last).to_have_attribute(
        "data-status", re.compile("error|ok"), timeout=60_000
    )
    assert_inert(page.get_by_test_id("chat-messages"))
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    api.close()


def test_chat_streams_with_history_branches_and_feedback(
    model_server: LiveServer, page: Page, dialogs: list[str]
) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    # Short answers: the test is about the page, not the model's prose.
    agent = published_agent(api, ws, model_params={"temperature": 0.3, "top_p": 0.9, "max_tokens": 48})
    page.add_init_script(RECORD_STATES)
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    page.get_by_test_id("nav-chat").click()
    expect(page.get_by_test_id("coming-soon-chat")).to_have_count(0)
    page.get_by_test_id("chat-agent-picker").click()
    page.locator(".ant-select-dropdown:visible").get_by_test_id(f"chat-agent-option-{agent['name']}").click()
    expect(page.get_by_test_id("chat-agent-name")).to_have_text(agent["name"])
    expect(page.get_by_test_id("chat-suggested")).to_be_visible()

    # A question streams its answer in; the conversation gets its address and a place in the history.
    ask(page, "你们的营业时间是什么？")
    answer = page.get_by_test_id("chat-answer").last
    expect(answer).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    assert "streaming" in page.evaluate("window.__answerStates"), page.evaluate("window.__answerStates")
    expect(answer.get_by_test_id("markdown")).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
    conversation_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("chat-history-item").first).to_be_visible()
    shot(page, "chat-answer-zh-CN")

    # Regenerate: a second answer to the same question, with < 2/2 > to go back to the first.
    first_text = answer.get_by_test_id("markdown").inner_text()
    page.get_by_test_id("chat-regenerate").click()
    expect(page.get_by_test_id("chat-answer").last).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    branch = page.get_by_test_id("chat-answer-actions").get_by_test_id("chat-branch-label")
    expect(branch).to_have_text("2/2")
    page.get_by_test_id("chat-answer-actions").get_by_test_id("chat-branch-prev").click()
    expect(branch).to_have_text("1/2")
    expect(page.get_by_test_id("chat-answer").last.get_by_test_id("markdown")).to_have_text(first_text)

    # Edit and resend: the question gets a sibling, the old one stays reachable.
    page.get_by_test_id("chat-question").last.hover()
    page.get_by_test_id("chat-edit-button").click()
    page.get_by_test_id("chat-edit-input").fill("你们周末营业吗？")
    page.get_by_test_id("chat-edit-send").click()
    expect(page.get_by_test_id("chat-question").last).to_have_text("你们周末营业吗？")
    expect(page.get_by_test_id("chat-answer").last).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    expect(page.get_by_test_id("chat-branch-label").first).to_have_text("2/2")
    detail = api.get(f"/api/workspaces/{ws}/conversations/{conversation_id}").json()
    question = next(m for m in detail["messages"] if m["role"] == "user")
    assert question["content"] == "你们周末营业吗？" and len(question["siblings"]) == 2

    # Feedback: a like, then a dislike with a comment; both are stored.
    page.get_by_test_id("chat-like").last.click()
    expect(page.get_by_test_id("chat-like").last).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("chat-dislike").last.click()
    page.get_by_test_id("chat-feedback-comment").fill("没有回答周末的问题")
    page.get_by_test_id("chat-feedback-submit").click()
    expect(page.get_by_test_id("chat-dislike").last).to_have_attribute("aria-pressed", "true")
    detail = api.get(f"/api/workspaces/{ws}/conversations/{conversation_id}").json()
    assert detail["messages"][-1]["rating"] == "dislike"
    assert detail["messages"][-1]["feedback"] == "没有回答周末的问题"

    # History: rename, search, reopen after a reload, delete.
    page.get_by_test_id("chat-history-menu").first.click()
    page.get_by_test_id("chat-history-rename").click()
    title = unique("营业时间")
    page.get_by_test_id("chat-rename-input").fill(title)
    page.get_by_test_id("chat-rename-submit").click()
    expect(page.get_by_test_id("chat-history-item").first).to_have_text(title)
    page.get_by_test_id("chat-history-search").fill("no-such-conversation-xyz")
    expect(page.get_by_test_id("chat-history-item")).to_have_count(0)
    page.get_by_test_id("chat-history-search").fill(title)
    expect(page.get_by_test_id("chat-history-item")).to_have_count(1)
    page.reload()
    expect(page.get_by_test_id("chat-question").last).to_have_text("你们周末营业吗？")
    switch_language(page, "en")
    expect(page.get_by_test_id("chat-new")).to_have_text("New chat")
    shot(page, "chat-history-en")
    page.get_by_test_id("chat-history-menu").first.click()
    page.get_by_test_id("chat-history-delete").click()
    page.get_by_test_id("chat-history-delete-confirm").click()
    expect(page).to_have_url(re.compile(r"/chat$"))
    assert api.get(f"/api/workspaces/{ws}/conversations/{conversation_id}").status_code == 404
    api.close()


def test_stop_files_and_phone_width(model_server: LiveServer, page: Page, dialogs: list[str], tmp_path: Path) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = published_agent(
        api, ws, model_params={"temperature": 1.0, "top_p": 1.0, "max_tokens": 1500}, suggested_questions=[]
    )
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    switch_language(page, "en")
    page.goto(f"{model_server.url}/chat?agent={agent['id']}")
    expect(page.get_by_test_id("chat-agent-name")).to_have_text(agent["name"])

    # Files: a small one is attached to the question; one over the limit is refused with the server's reason.
    notes = tmp_path / "notes.txt"
    notes.write_text("Our shop opens at nine in the morning.", encoding="utf-8")
    page.get_by_test_id("chat-file-input").set_input_files(str(notes))
    expect(page.get_by_test_id("chat-attachment")).to_contain_text("notes.txt")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (model_server.settings.chat_file_max_bytes + 1))
    page.get_by_test_id("chat-file-input").set_input_files(str(big))
    expect(page.locator(".ant-message")).to_contain_text("Could not attach big.txt")
    expect(page.get_by_test_id("chat-attachment")).to_have_count(1)

    # Stop: a long answer is cut short and kept as "stopped".
    ask(page, "Write a very long story about a dragon who runs a bakery, with many chapters.")
    expect(page.get_by_test_id("chat-question").last.get_by_test_id("chat-message-file")).to_contain_text("notes.txt")
    answer = page.get_by_test_id("chat-answer").last
    expect(answer.get_by_test_id("markdown")).not_to_be_empty(timeout=60_000)
    page.get_by_test_id("chat-stop").click()
    expect(answer).to_have_attribute("data-status", "stopped", timeout=15_000)
    expect(page.get_by_test_id("chat-stopped")).to_have_text("Stopped")
    shot(page, "chat-stopped-en")

    # A phone: the history folds into a drawer, the conversation uses the whole width.
    page.set_viewport_size({"width": 390, "height": 800})
    expect(page.get_by_test_id("chat-history")).to_have_count(0)
    expect(question_box(page)).to_be_visible()
    # (the menu folds away with an animation: wait until it has)
    page.wait_for_function("document.querySelector('[data-testid=chat-view]').getBoundingClientRect().width > 330")
    shot(page, "chat-phone-en")
    page.get_by_test_id("chat-history-toggle").click()
    expect(page.get_by_test_id("chat-history-item").first).to_be_visible()
    shot(page, "chat-phone-history-en")
    api.close()
