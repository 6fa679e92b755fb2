"""A chatflow that asks a person, in a real browser: its answer pauses on a Human input node and shows the node's
form under it, in the console's Chat page and in the published web app; the form is still there when the
conversation is opened again; a button sends the fields and the run goes on by that button's branch; a form
answered meanwhile elsewhere is refused with a message, and the conversation shows what happened."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.apps.helpers import make_app
from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.web.browser import shot, sign_in, switch_language
from tests.web.test_webapp_browser import CHANNELS
from tests.workflows.test_workflow_api import edge, node, start, stream

ANSWER_MS = 60_000
PRIMARY = re.compile(r"\bant-btn-primary\b")


def refund_chatflow() -> dict[str, Any]:
    """Says what it will do, asks a person (Approve or Reject, with a comment), answers by the button chosen."""
    form = {
        "form_content": "Refund {{#sys.query#}}?",
        "inputs": [{"type": "paragraph", "output_variable_name": "comment"}],
        "user_actions": [
            {"id": "approve", "title": "Approve", "button_style": "primary"},
            {"id": "reject", "title": "Reject"},
        ],
    }
    nodes = [
        start(), node("said", "answer", {"answer": "Checking: {{#sys.query#}}. "}), node("ask", "human-input", form),
        node("yes", "answer", {"answer": "Refunded ({{#ask.comment#}})."}),
        node("no", "answer", {"answer": "Refused."}),
    ]  # fmt: skip
    edges = [edge("start", "said"), edge("said", "ask"), edge("ask", "yes", "approve"), edge("ask", "no", "reject")]
    return {"mode": "chatflow", "nodes": nodes, "edges": edges}


def published_chatflow(api: Api, ws: str) -> dict[str, Any]:
    config = {"mode": "chatflow", "workflow": refund_chatflow()}
    r = api.post(f"/api/workspaces/{ws}/agents", json={"name": unique("Refunds"), "config": config})
    assert r.status_code == 201, r.text
    agent = dict(r.json())
    r = api.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={})
    assert r.status_code == 201, r.text
    return agent


def ask(page: Page, text: str) -> None:
    box = page.get_by_test_id("chat-sender").locator("textarea")
    box.fill(text)
    box.press("Enter")


def paused_form(page: Page, query: str) -> None:
    """The last answer has paused with the node's form under it, rendered for `query`."""
    answer = page.get_by_test_id("chat-answer").last
    expect(answer).to_have_attribute("data-status", "paused", timeout=ANSWER_MS)
    expect(answer).to_contain_text(f"Checking: {query}.")
    form = page.get_by_test_id("chat-human-input")
    expect(form).to_have_count(1)
    expect(form.get_by_test_id("chat-human-input-content")).to_have_text(f"Refund {query}?")
    expect(form.get_by_test_id("chat-human-input-field-comment")).to_be_visible()
    expect(form.get_by_test_id("chat-human-input-action-approve")).to_have_class(PRIMARY)
    expect(form.get_by_test_id("chat-human-input-action-reject")).not_to_have_class(PRIMARY)


def answered(page: Page, text: str) -> None:
    """The run went on: its answer to the form is the last one, and no form is left."""
    answer = page.get_by_test_id("chat-answer").last
    expect(answer).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    expect(answer).to_have_text(text)
    expect(page.get_by_test_id("chat-human-input")).to_have_count(0)


def test_the_console_chat_shows_the_form_and_goes_on_with_the_button_chosen(
    live_server: LiveServer, page: Page
) -> None:
    api = live_server.admin()
    ws = api.default_workspace()
    agent = published_chatflow(api, ws)
    sign_in(page, live_server.url, live_server.admin_username, live_server.admin_password)
    switch_language(page, "en")
    page.goto(f"{live_server.url}/chat?agent={agent['id']}")
    ask(page, "order 42")
    paused_form(page, "order 42")
    page.wait_for_url("**/chat/*")  # the conversation's address, which the reload opens

    # Opened again: the form is still there.
    page.reload()
    paused_form(page, "order 42")
    form = page.get_by_test_id("chat-human-input")
    form.get_by_test_id("chat-human-input-field-comment").fill("within 30 days")
    shot(page, "human-input-console-en")
    form.get_by_test_id("chat-human-input-action-approve").click()
    answered(page, "Refunded (within 30 days).")
    expect(page.get_by_test_id("chat-question").last).to_have_text("Approve")
    shot(page, "human-input-console-answered-en")

    # Answered meanwhile elsewhere (through the API): the button is refused with a message, and the conversation
    # shows the answer given there.
    ask(page, "order 43")
    paused_form(page, "order 43")
    conversation = page.url.rsplit("/", 1)[1]
    reply = {"query": "Reject", "conversation_id": conversation, "human_input": {"action": "reject", "values": {}}}
    events = stream(api, f"/api/workspaces/{ws}/agents/{agent['id']}/chat", reply)
    assert "".join(e["text"] for e in events if e["event"] == "text") == "Refused."
    page.get_by_test_id("chat-human-input-action-approve").click()
    expect(page.locator(".ant-message")).to_contain_text("already been answered", timeout=ANSWER_MS)
    answered(page, "Refused.")
    expect(page.get_by_test_id("chat-answer")).to_have_count(4)


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    """An anonymous visitor whose browser speaks Chinese."""
    context = browser.new_context(viewport={"width": 1366, "height": 820}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def test_a_visitor_answers_the_form_in_the_web_app(live_server: LiveServer, visitor: Page) -> None:
    api = live_server.admin()
    ws = str(api.create_workspace()["id"])
    agent = published_chatflow(api, ws)
    app = make_app(api, ws, agent_id=agent["id"], name=unique("Refund desk"), channels=CHANNELS)

    page = visitor
    page.goto(live_server.url + app["web_app_path"])
    expect(page.get_by_test_id("webapp-name")).to_have_text(app["name"])
    ask(page, "order 7")
    paused_form(page, "order 7")
    expect(page.get_by_test_id("chat-human-input")).to_contain_text("工作流正在等待你的回复")

    # Back later: the conversation, opened from the history, still waits on its form.
    page.reload()
    page.get_by_test_id("webapp-history-item").click()
    paused_form(page, "order 7")
    form = page.get_by_test_id("chat-human-input")
    form.get_by_test_id("chat-human-input-field-comment").fill("不符合退款条件")
    shot(page, "human-input-webapp-zh-CN")
    form.get_by_test_id("chat-human-input-action-reject").click()
    answered(page, "Refused.")
    expect(page.get_by_test_id("chat-question").last).to_have_text("Reject")
    # A fixed reply that no model wrote shows its time, not "0 tokens".
    stats = page.get_by_test_id("chat-answer-actions").last
    expect(stats).to_contain_text("秒")
    expect(stats).not_to_contain_text("词元")
    shot(page, "human-input-webapp-answered-zh-CN")

    # Opened again, the answered form is gone for good.
    page.reload()
    page.get_by_test_id("webapp-history-item").click()
    answered(page, "Refused.")
