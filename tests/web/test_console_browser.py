"""The web console in a real browser (Debian's Chromium): sign in, switch language, create an API key."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.web.browser import shot, switch_language


def test_sign_in_switch_language_and_create_an_api_key(live_server: LiveServer, page: Page) -> None:
    # Opening the console without a session lands on the login page, in Chinese.
    page.goto(live_server.url)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(page, "login-zh-CN")

    # A wrong password shows the server's error, and we stay on the login page.
    page.get_by_test_id("login-username").fill(live_server.admin_username)
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))

    page.get_by_test_id("login-password").fill(live_server.admin_password)
    page.get_by_test_id("login-submit").click()

    # The console shell, zh-CN by default.
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("仪表盘")
    expect(page.get_by_test_id("nav-settings")).to_have_text("设置")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("workspace-switcher")).to_be_visible()
    shot(page, "shell-zh-CN")

    # Switching to English re-labels everything, and the choice survives a reload.
    switch_language(page, "en")
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("Dashboard")
    assert page.evaluate("localStorage.getItem('hezi.lang')") == "en"
    shot(page, "shell-en")

    # Settings → API keys → create one.
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("settings-tab-api-keys").click()
    expect(page).to_have_url(re.compile(r"/settings/api-keys$"))
    name = f"browser-test-{uuid.uuid4().hex[:8]}"
    page.get_by_test_id("apikey-create").click()
    page.get_by_test_id("apikey-name-input").fill(name)
    # With limits: 30 requests a minute and 50,000 tokens a day (empty would mean unlimited).
    expect(page.get_by_test_id("apikey-rpm-input")).to_have_attribute("placeholder", "Unlimited")
    page.get_by_test_id("apikey-rpm-input").fill("30")
    page.get_by_test_id("apikey-tokens-input").fill("50000")
    shot(page, "apikey-create-form-en")
    page.get_by_test_id("apikey-create-form-submit").click()

    # The full key is shown once.
    shown = page.get_by_test_id("apikey-created-key")
    expect(shown).to_have_value(re.compile(r"^hzk_"))
    key = shown.input_value()
    expect(page.get_by_test_id("apikey-create-form")).to_have_count(0)
    shot(page, "apikey-created-en")
    page.get_by_test_id("apikey-created-close").click()
    expect(page.get_by_test_id("apikey-created-modal")).to_be_hidden()
    expect(page.get_by_test_id("apikey-created-key")).to_have_count(0)

    # …and afterwards only its prefix is listed, never the secret.
    row = page.get_by_test_id("apikey-table").locator("tr", has_text=name)
    expect(row).to_have_count(1)
    prefix = row.get_by_test_id("apikey-prefix").inner_text().rstrip("…")
    assert len(prefix) >= 6 and key.startswith(prefix) and prefix != key
    expect(page.get_by_text(key, exact=False)).to_have_count(0)
    expect(row.get_by_test_id("apikey-limits")).to_have_text("30 req/min50,000 tokens/day")
    shot(page, "apikeys-en")

    # The limits were stored with the key (the console works in the remembered workspace, else the first).
    admin = live_server.admin()
    try:
        ws = page.evaluate("localStorage.getItem('hezi.workspace')") or admin.default_workspace()
        listed = admin.get(f"/api/workspaces/{ws}/api-keys")
        assert listed.status_code == 200, listed.text
        stored = next(k for k in listed.json()["data"] if k["name"] == name)
        assert stored["rate_limit_rpm"] == 30
        assert stored["token_limit_per_day"] == 50_000
        assert key.startswith(stored["prefix"])
    finally:
        admin.close()

    # The key works against the HTTP API.
    me = httpx.get(f"{live_server.url}/api/auth/me", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert me.status_code == 200, me.text
    assert me.json()["user"]["username"] == live_server.admin_username

    # The same page in Chinese, then log out through the user menu.
    switch_language(page, "zh-CN")
    expect(page.get_by_test_id("settings-tab-api-keys")).to_have_text("API 密钥")
    expect(row.get_by_test_id("apikey-limits")).to_have_text("30 次/分钟50,000 Token/天")
    shot(page, "apikeys-zh-CN")
    page.get_by_test_id("apikey-create").click()
    expect(page.get_by_test_id("apikey-tokens-input")).to_have_attribute("placeholder", "不限")
    shot(page, "apikey-create-form-zh-CN")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("apikey-create-form")).to_have_count(0)
    switch_language(page, "en")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("user-menu-logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_test_id("login-submit")).to_have_text(re.compile("Sign in"))
    shot(page, "login-en")

    # Signed out: the console sends us back to the login page.
    page.goto(f"{live_server.url}/settings/api-keys")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings%2Fapi-keys"))
