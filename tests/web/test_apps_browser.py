"""The Apps pages in a real browser: publish an agent as an app, switch a channel on, create a key (its secret shown
once), see an end user's conversation in the logs (and save its answer as an annotation), see the analytics charts
drawn; screenshots in Chinese and English."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.apps.helpers import published_agent
from tests.conftest import LiveServer
from tests.helpers import unique
from tests.web.browser import open_tab, shot, sign_in, switch_language

CONFIG = {"model_params": {"temperature": 0, "max_tokens": 16}, "system_prompt": "Answer in one short sentence."}
ANSWER_MS = 300_000


def test_publish_an_agent_use_it_and_read_its_logs_and_analytics(model_server: LiveServer, page: Page) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = published_agent(api, ws, name=unique("请假助手"), config=CONFIG)
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)

    # Publish: the Apps page is real now, and the agent's published version becomes an app.
    page.get_by_test_id("nav-apps").click()
    expect(page).to_have_url(re.compile(r"/apps$"))
    expect(page.get_by_test_id("coming-soon-apps")).to_have_count(0)
    page.get_by_test_id("app-publish").click()
    page.get_by_test_id("app-publish-agent").click()
    page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text=agent["name"]).first.click()
    expect(page.get_by_test_id("app-publish-name")).to_have_value(agent["name"])
    name = unique("请假应用")
    page.get_by_test_id("app-publish-name").fill(name)
    shot(page, "apps-publish-zh-CN")
    page.get_by_test_id("app-publish-form-submit").click()
    expect(page).to_have_url(re.compile(r"/apps/[0-9a-f-]{36}$"))
    app_id = page.url.rsplit("/", 1)[1]
    base = f"/api/workspaces/{ws}/apps/{app_id}"
    expect(page.get_by_test_id("app-title")).to_have_text(name)
    app = api.get(base).json()
    expect(page.get_by_test_id("app-code-web-app")).to_have_text(f"{model_server.url}{app['web_app_path']}")
    expect(page.get_by_test_id("app-code-widget")).to_contain_text(f"{app['web_app_path']}/widget.js")
    expect(page.get_by_test_id("app-code-dify")).to_contain_text("/v1/chat-messages")
    expect(page.get_by_test_id("app-code-openai")).to_contain_text(app["model"])
    expect(page.get_by_test_id("app-code-mcp")).to_contain_text(f"/v1/apps/{app['slug']}/mcp")
    shot(page, "apps-use-zh-CN", full_page=True)

    # Settings: the widget channel switched on takes effect at once.
    open_tab(page, "app-tab-settings")
    widget = page.get_by_test_id("app-channel-widget")
    expect(widget).to_have_attribute("aria-checked", "false")
    widget.click()
    expect(widget).to_have_attribute("aria-checked", "true")
    assert api.get(base).json()["channels"]["widget"] is True
    shot(page, "apps-settings-zh-CN", full_page=True)

    # Keys: the secret is shown once, then only its prefix.
    open_tab(page, "app-tab-keys")
    page.get_by_test_id("app-key-create").click()
    page.get_by_test_id("app-key-name").fill("官网后端")
    page.get_by_test_id("app-key-form-submit").click()
    secret = page.get_by_test_id("apikey-created-key")
    expect(secret).to_have_value(re.compile(r"^hzk_"))
    key = secret.input_value()
    shot(page, "apps-key-created-zh-CN")
    page.get_by_test_id("apikey-created-close").click()
    expect(page.get_by_test_id("app-key-list")).to_contain_text("官网后端")
    expect(page.get_by_test_id("app-key-list")).not_to_contain_text(key)

    # An end user asks through Dify's API with that key, and likes the answer.
    dify = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=300)
    asked = dify.post("/chat-messages", json={"query": "年假有几天？", "user": "访客甲", "response_mode": "blocking"})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    dify.post(f"/messages/{answer['id']}/feedbacks", json={"rating": "like", "user": "访客甲"})

    # Logs: the conversation, its end user and feedback; opened in full; its answer saved as an annotation.
    open_tab(page, "app-tab-logs")
    expect(page.get_by_test_id("logs-row-user")).to_have_text("访客甲", timeout=ANSWER_MS)
    shot(page, "apps-logs-zh-CN")
    page.get_by_test_id("logs-row-user").click()
    drawer = page.get_by_test_id("log-drawer")
    expect(drawer.get_by_test_id("log-question")).to_have_text("年假有几天？")
    expect(drawer.get_by_test_id("log-answer")).to_contain_text(answer["answer"].strip()[:10])
    shot(page, "apps-log-detail-zh-CN")
    drawer.get_by_test_id("log-annotate").click()
    expect(page.get_by_test_id("annotation-question")).to_have_value("年假有几天？")
    page.get_by_test_id("annotation-answer").fill("每位员工每年有二十五天带薪年假。")
    page.get_by_test_id("annotation-form-submit").click()
    expect(page.get_by_test_id("annotation-form")).to_have_count(0)
    assert api.get(f"{base}/annotations").json()["data"][0]["question"] == "年假有几天？"
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()

    # Analytics: today's numbers, and the charts drawn.
    open_tab(page, "app-tab-analytics")
    expect(page.get_by_test_id("analytics-total-messages")).to_contain_text("1")
    expect(page.get_by_test_id("analytics-total-satisfaction")).to_contain_text("100.0%")
    for metric in ("conversations", "messages", "end_users", "tokens", "mean_latency_ms", "satisfaction"):
        expect(page.get_by_test_id(f"analytics-chart-{metric}").locator("canvas")).to_have_count(1)
    shot(page, "apps-analytics-zh-CN", full_page=True)

    # The same pages in English.
    switch_language(page, "en")
    open_tab(page, "app-tab-analytics")
    expect(page.get_by_test_id("app-tab-analytics")).to_have_text("Analytics")
    shot(page, "apps-analytics-en", full_page=True)
    open_tab(page, "app-tab-annotations")
    expect(page.get_by_test_id("annotation-list")).to_contain_text("年假有几天？")
    shot(page, "apps-annotations-en")
    open_tab(page, "app-tab-logs")
    expect(page.get_by_test_id("logs-row-user")).to_have_text("访客甲")
    shot(page, "apps-logs-en")
    open_tab(page, "app-tab-use")
    shot(page, "apps-use-en", full_page=True)
    page.get_by_test_id("nav-apps").click()
    expect(page.get_by_test_id(f"app-row-{app['slug']}")).to_have_text(name)
    shot(page, "apps-list-en")
