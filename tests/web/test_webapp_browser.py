"""A published app as people meet it, in a real browser: the web app at /app/{token} opened by an anonymous visitor
(desktop and phone, English and Chinese), by password and by workspace sign-in, switched off; and the widget's
snippet on a static page served from another origin, chatting through the bubble — or showing nothing where the
app does not allow that origin."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer, free_port
from tests.helpers import Api, unique
from tests.web.browser import shot
from tests.web.test_agents_ui import ANSWER_MS

CONFIG = {
    "model_params": {"temperature": 0, "max_tokens": 24},
    "system_prompt": "Answer in one short sentence.",
    "opening_statement": "Hello! I answer questions about **annual leave**.",
    "suggested_questions": ["How many days of annual leave do I get?", "Can I carry leave over?"],
    "user_input_form": [
        {"text-input": {"variable": "name", "label": "Your name", "required": False}},
        {"select": {"variable": "team", "label": "Team", "options": ["Sales", "Support"], "default": "Sales"}},
    ],
}
CHANNELS = {"web_app": True, "widget": True, "api": False, "openai": False, "mcp": False}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


@pytest.fixture(scope="module")
def agent(admin: Api, ws: str) -> dict[str, Any]:
    return published_agent(admin, ws, config=CONFIG)


def new_app(admin: Api, ws: str, agent: dict[str, Any], **settings: Any) -> dict[str, Any]:
    create = {k: settings.pop(k) for k in ("access", "password") if k in settings}
    app = make_app(admin, ws, agent_id=agent["id"], name=unique("Leave helper"), channels=CHANNELS, **create)
    if settings:
        r = admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json=settings)
        assert r.status_code == 200, r.text
        app = r.json()
    return dict(app)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[tuple[BrowserContext, list[str]]]]:
    """Extra browser contexts a test opens (another visitor, a phone); closed after it, with no page errors."""
    made: list[tuple[BrowserContext, list[str]]] = []
    yield made
    for context, _ in made:
        context.close()
    assert [e for _, errors in made for e in errors] == [], "uncaught errors in a page"


Contexts = list[tuple[BrowserContext, list[str]]]


def visitor(browser: Browser, contexts: Contexts, *, locale: str = "en-US", phone: bool = False) -> Page:
    context = browser.new_context(
        viewport=PHONE if phone else {"width": 1366, "height": 820}, locale=locale, is_mobile=phone, has_touch=phone
    )
    errors: list[str] = []
    contexts.append((context, errors))
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def ask(scope: Page | FrameLocator, text: str) -> None:
    box = scope.get_by_test_id("chat-sender").locator("textarea")
    box.fill(text)
    box.press("Enter")


def last_answer(scope: Page | FrameLocator) -> str:
    answer = scope.get_by_test_id("chat-answer").last
    expect(answer).to_have_attribute("data-status", "ok", timeout=ANSWER_MS)
    text = answer.inner_text().strip()
    assert text
    return text


def stored_answers(server: LiveServer, app_id: str) -> list[tuple[str, str]]:
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT c.end_user, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.app_id = %s AND m.role = 'assistant' ORDER BY m.created_at", (app_id,),
        ).fetchall()  # fmt: skip
    return [(r[0], r[1]) for r in rows]


def test_an_anonymous_visitor_opens_the_web_app_and_chats(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], page: Page
) -> None:
    app = new_app(admin, ws, agent)
    page.goto(model_server.url + app["web_app_path"])
    expect(page.get_by_test_id("webapp-name")).to_have_text(app["name"])
    expect(page.get_by_test_id("chat-opening")).to_contain_text("annual leave")
    expect(page.get_by_test_id("chat-suggested")).to_contain_text("Can I carry leave over?")
    expect(page.get_by_test_id("chat-view")).to_contain_text("Your name")  # the input form
    expect(page.get_by_test_id("chat-attach")).to_have_count(0)
    assert page.title() == app["name"]
    shot(page, "webapp-desktop-en")

    page.get_by_test_id("chat-input-name").fill("Ada")
    ask(page, "Hello there")
    answer = last_answer(page)
    expect(page.get_by_test_id("chat-regenerate")).to_have_count(0)  # no branches in a web app
    expect(page.get_by_test_id("webapp-history-item")).to_have_count(1)
    expect(page.get_by_test_id("chat-inputs-summary")).to_contain_text("name: Ada")
    stored = stored_answers(model_server, app["id"])
    assert len(stored) == 1 and stored[0][0].startswith("web-") and stored[0][1].split()[0] in answer
    shot(page, "webapp-desktop-answer-en")

    # Back later (the cookie kept): the conversation is listed and opens; a new chat starts fresh.
    page.reload()
    expect(page.get_by_test_id("webapp-history-item")).to_have_count(1)
    page.get_by_test_id("webapp-history-item").click()
    expect(page.get_by_test_id("chat-question")).to_have_text("Hello there")
    page.get_by_test_id("webapp-new").click()
    expect(page.get_by_test_id("chat-opening")).to_be_visible()

    # Chinese, chosen in the page.
    page.get_by_test_id("webapp-lang").click()
    page.get_by_test_id("webapp-lang-zh-CN").click()
    expect(page.get_by_test_id("webapp-new")).to_contain_text("新对话")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(page, "webapp-desktop-zh")


def test_a_phone_in_chinese_gets_the_chinese_page_and_chats(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], browser: Browser,
    contexts: Contexts,
) -> None:  # fmt: skip
    app = new_app(admin, ws, agent)
    phone = visitor(browser, contexts, locale="zh-CN", phone=True)
    phone.goto(model_server.url + app["web_app_path"])
    expect(phone.get_by_test_id("webapp-history-toggle")).to_have_attribute("aria-label", "对话记录")
    expect(phone.get_by_test_id("chat-opening")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is wider than the phone: {width}px"
    shot(phone, "webapp-phone-zh")

    phone.get_by_test_id("chat-suggested").get_by_text("How many days of annual leave do I get?").click()
    last_answer(phone)
    shot(phone, "webapp-phone-answer-zh")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_test_id("webapp-history-toggle").click()
    expect(phone.get_by_test_id("webapp-history-item")).to_have_count(1)
    shot(phone, "webapp-phone-history-zh")

    # Another visitor (another browser) sees none of it.
    other = visitor(browser, contexts, phone=True)
    other.goto(model_server.url + app["web_app_path"])
    expect(other.get_by_test_id("chat-opening")).to_be_visible()
    other.get_by_test_id("webapp-history-toggle").click()
    expect(other.get_by_test_id("webapp-history")).to_contain_text("No conversations yet")
    expect(other.get_by_test_id("webapp-history-item")).to_have_count(0)
    shot(other, "webapp-phone-history-empty-en")


def test_a_password_app_asks_for_its_password(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], page: Page
) -> None:
    app = new_app(admin, ws, agent, access="password", password="leave-2026")
    page.goto(model_server.url + app["web_app_path"])
    expect(page.get_by_test_id("webapp-password")).to_be_visible()
    expect(page.get_by_test_id("chat-view")).to_have_count(0)
    page.get_by_test_id("webapp-password-input").fill("guess")
    page.get_by_test_id("webapp-password-submit").click()
    expect(page.get_by_test_id("webapp-password-error")).to_have_text("Wrong password. Try again.")
    shot(page, "webapp-password-en")
    page.get_by_test_id("webapp-password-input").fill("leave-2026")
    page.get_by_test_id("webapp-password-submit").click()
    expect(page.get_by_test_id("chat-opening")).to_be_visible()
    ask(page, "Hi")
    last_answer(page)


def test_a_workspace_app_wants_its_members_signed_in(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], page: Page
) -> None:
    app = new_app(admin, ws, agent, access="workspace")
    page.goto(model_server.url + app["web_app_path"])
    expect(page.get_by_test_id("webapp-sign-in")).to_be_visible()
    page.get_by_test_id("webapp-sign-in-username").fill(model_server.admin_username)
    page.get_by_test_id("webapp-sign-in-password").fill(model_server.admin_password)
    page.get_by_test_id("webapp-sign-in-submit").click()
    expect(page.get_by_test_id("chat-opening")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_count(0)  # the app, not the console


def test_a_switched_off_app_says_so(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], page: Page
) -> None:
    app = new_app(admin, ws, agent)
    admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json={"enabled": False})
    page.goto(model_server.url + app["web_app_path"])
    expect(page.get_by_test_id("webapp-unavailable")).to_have_attribute("data-code", "app_unavailable")
    expect(page.get_by_test_id("webapp-unavailable")).to_contain_text("This app is not available")
    shot(page, "webapp-unavailable-en")
    page.goto(f"{model_server.url}/app/no-such-app")
    expect(page.get_by_test_id("webapp-unavailable")).to_have_attribute("data-code", "app_not_found")


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static site on another origin: http://localhost:PORT (another site than hezi's 127.0.0.1)."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Acme intranet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;margin:40px;background:#f6f7f9}} button{{background:red!important}}</style>
</head><body><h1>Acme intranet</h1><p>Questions about leave? Use the chat in the corner.</p>
{snippet}
</body></html>"""


def test_the_widget_on_another_origin_opens_a_bubble_and_chats(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], page: Page,
    other_origin: tuple[str, Path],
) -> None:  # fmt: skip
    origin, root = other_origin
    app = new_app(admin, ws, agent, allowed_origins=[origin])
    snippet = f'<script src="{model_server.url}{app["web_app_path"]}/widget.js" defer></script>'
    (root / "index.html").write_text(PAGE.format(snippet=snippet))
    page.goto(f"{origin}/index.html")
    bubble = page.get_by_test_id("hezi-widget-bubble")
    expect(bubble).to_be_visible()
    expect(bubble).to_have_attribute("aria-label", app["name"])
    bubble.click()
    chat = page.frame_locator("iframe[name=hezi-widget]")
    expect(chat.get_by_test_id("chat-opening")).to_contain_text("annual leave")
    expect(chat.get_by_test_id("webapp")).to_have_attribute("data-embed", "1")
    shot(page, "widget-open-en")
    ask(chat, "Hello from the intranet")
    last_answer(chat)
    shot(page, "widget-answer-en")
    assert len(stored_answers(model_server, app["id"])) == 1

    # The visitor is the same on the next visit, though the iframe (another site, plain http) keeps no cookie.
    page.reload()
    page.get_by_test_id("hezi-widget-bubble").click()
    chat = page.frame_locator("iframe[name=hezi-widget]")
    chat.get_by_test_id("webapp-history-toggle").click()
    expect(chat.get_by_test_id("webapp-history-item")).to_have_count(1)
    chat.get_by_test_id("webapp-history-item").click()
    expect(chat.get_by_test_id("chat-question")).to_have_text("Hello from the intranet")
    # The panel's own close button closes it.
    chat.get_by_test_id("webapp-close").click()
    expect(page.get_by_test_id("hezi-widget-panel")).to_be_hidden()


def test_the_widget_on_a_phone_fills_the_screen(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], browser: Browser,
    contexts: Contexts, other_origin: tuple[str, Path],
) -> None:  # fmt: skip
    origin, root = other_origin
    app = new_app(admin, ws, agent, allowed_origins=[origin])
    snippet = f'<script src="{model_server.url}{app["web_app_path"]}/widget.js" data-lang="zh-CN" defer></script>'
    (root / "index.html").write_text(PAGE.format(snippet=snippet))
    phone = visitor(browser, contexts, locale="en-US", phone=True)
    phone.goto(f"{origin}/index.html")
    phone.get_by_test_id("hezi-widget-bubble").click()
    chat = phone.frame_locator("iframe[name=hezi-widget]")
    expect(chat.get_by_test_id("webapp-history-toggle")).to_have_attribute("aria-label", "对话记录")  # data-lang
    box = phone.get_by_test_id("hezi-widget-panel").bounding_box()
    assert box is not None and box["width"] == PHONE["width"] and box["height"] == PHONE["height"]
    shot(phone, "widget-phone-zh")


def test_an_origin_not_allowed_gets_no_bubble_and_no_frame(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any], page: Page,
    other_origin: tuple[str, Path],
) -> None:  # fmt: skip
    origin, root = other_origin
    app = new_app(admin, ws, agent, allowed_origins=["https://intranet.example"])
    url = model_server.url + app["web_app_path"]
    (root / "index.html").write_text(PAGE.format(snippet=f'<script src="{url}/widget.js" defer></script>'))
    with page.expect_console_message(lambda m: "hezi widget: this page may not embed the app" in m.text):
        page.goto(f"{origin}/index.html")
    expect(page.get_by_test_id("hezi-widget-bubble")).to_have_count(0)

    # The iframe alternative, pasted anyway: the browser refuses to show it (frame-ancestors).
    (root / "frame.html").write_text(PAGE.format(snippet=f'<iframe src="{url}?embed=1" name="pasted"></iframe>'))
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.goto(f"{origin}/frame.html")
    expect(page.frame_locator("iframe[name=pasted]").get_by_test_id("webapp")).to_have_count(0)
