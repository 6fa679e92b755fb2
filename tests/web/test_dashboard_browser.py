"""The Dashboard in a real browser: the box's hardware from /api/hardware, live charts, and the model workers."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer
from tests.web.browser import shot, sign_in, switch_language

MODEL = "smollm2-135m-instruct"


def hardware(server: LiveServer) -> dict[str, Any]:
    api = server.admin()
    try:
        r = api.get("/api/hardware")
        assert r.status_code == 200, r.text
        return dict(r.json())
    finally:
        api.close()


def expect_chart_drawn(chart: Locator) -> None:
    """The chart's canvas is there, has a size, and something is painted on it."""
    canvas = chart.locator("canvas")
    expect(canvas).to_have_count(1)
    chart.page.wait_for_function(
        """(el) => {
          const c = el.querySelector("canvas");
          if (!c || c.width === 0 || c.height === 0) return false;
          const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
          return false;
        }""",
        arg=chart.element_handle(),
    )


def expect_tooltip(page: Page, chart: Locator, *texts: str) -> None:
    """Hovers near the right end of a chart, where the newest samples are, until its tooltip shows `texts`.

    The chart is redrawn with every refresh (5 s), which closes an open tooltip, so the mouse moves again.
    """
    box = chart.bounding_box()
    assert box is not None
    for attempt in range(8):
        page.mouse.move(0, 0)
        page.mouse.move(box["x"] + box["width"] - 24 - 4 * attempt, box["y"] + box["height"] / 2, steps=4)
        last = attempt == 7
        try:
            for text in texts:
                expect(chart).to_contain_text(text, timeout=5000 if last else 1500)
            return
        except AssertionError:
            if last:
                raise


def test_dashboard_shows_the_box_and_its_model_workers(model_server: LiveServer, page: Page) -> None:
    hw = hardware(model_server)
    cpu = hw["inventory"]["cpu"]
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    for lang, labels in (
        ("zh-CN", {"memory": "已用内存", "running": "运行中", "instances": "模型实例", "no_gpu": "无 GPU"}),
        ("en", {"memory": "Memory used", "running": "Running", "instances": "Model instances", "no_gpu": "No GPU"}),
    ):
        if lang == "en":
            switch_language(page, "en")
        # The summary cards: the CPU as /api/hardware names it, with its instruction sets.
        expect(page.get_by_test_id("dash-cpu-model")).to_have_text(cpu["model"])
        for feature in cpu["features"]:
            expect(page.get_by_test_id("dash-cpu-features")).to_contain_text(feature)
        expect(page.get_by_test_id("dash-memory")).to_contain_text("GiB")
        expect(page.get_by_test_id("dash-disk")).to_contain_text("GiB")
        if hw["inventory"]["gpus"]:
            expect(page.get_by_test_id("dash-chart-gpu-util")).to_be_visible()
        else:
            # No GPU is a fact about the box, not an error.
            expect(page.get_by_test_id("dash-accelerators")).to_contain_text(labels["no_gpu"])
            expect(page.get_by_test_id("dash-no-gpu")).to_be_visible()
            expect(page.get_by_test_id("dash-chart-gpu-util")).to_have_count(0)
            expect(page.locator(".ant-alert-error")).to_have_count(0)

        # The charts draw, and their tooltips speak the page's language.
        cpu_chart = page.get_by_test_id("dash-chart-cpu-chart")
        memory_chart = page.get_by_test_id("dash-chart-memory-chart")
        expect_chart_drawn(cpu_chart)
        expect_chart_drawn(memory_chart)
        expect_tooltip(page, memory_chart, labels["memory"], "GiB")

        # The model workers, with their deployment status and what each process uses.
        instances = page.get_by_test_id("dash-instances")
        expect(instances).to_contain_text(labels["instances"])
        row = page.get_by_test_id(f"dash-instance-{MODEL}-0")
        expect(row).to_contain_text(MODEL)
        expect(row).to_contain_text(labels["running"])
        # A worker's usage shows from the first sample after it started (the server samples every 5 s).
        expect(row).to_contain_text("MiB", timeout=20_000)
        expect(page.get_by_test_id("dash-instance-all-minilm-l6-v2-0")).to_be_visible()
        shot(page, f"dashboard-{lang}", full_page=True)

    # Another window asks for that much history and draws it.
    with page.expect_response(lambda r: "/api/hardware/history?minutes=15" in r.url) as response:
        page.get_by_test_id("dash-span-m15").click()
    assert response.value.status == 200
    expect_chart_drawn(page.get_by_test_id("dash-chart-cpu-chart"))

    # The page follows the server: it asks again every few seconds.
    with page.expect_response(lambda r: r.url.endswith("/api/hardware"), timeout=15_000):
        pass


def test_dashboard_without_running_models(live_server: LiveServer, page: Page) -> None:
    admin = live_server.admin()
    user = admin.create_user()
    admin.close()
    # Any signed-in user may look at the box.
    sign_in(page, live_server.url, user["username"], "password-123")
    switch_language(page, "en")
    page.goto(f"{live_server.url}/dashboard")
    expect(page.get_by_test_id("dash-cpu-model")).to_have_text(hardware(live_server)["inventory"]["cpu"]["model"])
    expect(page.get_by_test_id("dash-instances")).to_contain_text("No model is running")
    expect_chart_drawn(page.get_by_test_id("dash-chart-cpu-chart"))
