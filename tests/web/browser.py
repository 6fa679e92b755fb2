"""What the browser tests share: Debian's Chromium, screenshots, signing in, switching language."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Saves what a person would see, once menus and modals have finished moving (`full_page`: scrolled too)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.wait_for_timeout(400)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", full_page=full_page)


def switch_language(page: Page, lang: str) -> None:
    """Pick a language from the header's menu; the choice is what the console remembers."""
    chosen = "lang => window.localStorage.getItem('hezi.lang') === lang"
    # A modal closing a moment ago (its mask fading, focus going back) can swallow the click that opens the menu or
    # picks the option: as a person would, open and pick again until the console has taken the choice.
    for _ in range(5):
        option = page.get_by_test_id(f"lang-option-{lang}")
        try:
            if not option.is_visible():
                page.get_by_test_id("lang-switch").click(timeout=5000)
            option.click(timeout=5000)
            page.wait_for_function(chosen, arg=lang, timeout=5000)
            break
        except PlaywrightTimeoutError:
            continue
    page.wait_for_function(chosen, arg=lang)
    option = page.get_by_test_id(f"lang-option-{lang}")
    if option.is_visible():  # a page re-rendering under the menu (live charts) can keep it open a moment longer
        page.keyboard.press("Escape")
    expect(option).to_be_hidden()


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()


def open_tab(page: Page, tab: str) -> None:
    """Click the tab whose label has test id `tab` until it is the selected one. A click that lands while a modal
    is still zooming open (a loaded machine drops animation frames) can miss; a person would simply click again."""
    selected = page.get_by_role("tab").filter(has=page.get_by_test_id(tab))
    for attempt in range(3):
        page.get_by_test_id(tab).click()
        try:
            expect(selected).to_have_attribute("aria-selected", "true", timeout=5_000)
            return
        except (AssertionError, PlaywrightError):
            if attempt == 2:
                raise
