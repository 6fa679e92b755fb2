"""The workflow editor in a real browser: a chatflow built on the canvas by clicks and drags (start → knowledge
retrieval → LLM → answer), configured through its side panels with variable pickers, autosaved (a reload shows the
same graph), undo and redo, copy and paste, a problem shown on its node; then run with a question, each node's
status and time on the canvas and in the trace, and published."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import LiveServer
from tests.helpers import Api, unique, wait_for
from tests.web.browser import shot, sign_in, switch_language

LEAVE = (
    "Annual leave policy. Every employee has twenty-five days of paid annual leave per year. "
    "Unused leave days can be carried over until the end of March."
)
# The bundled model on a CPU shared with the rest of the suite.
RUN_MS = 300_000


def make_kb(api: Api, ws: str) -> dict[str, Any]:
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


def node(page: Page, type_: str) -> Locator:
    return page.locator(f'.wf-node[data-type="{type_}"]')


def edges(page: Page) -> Locator:
    return page.locator(".react-flow__edge")


def wait_saved(page: Page) -> None:
    expect(page.get_by_test_id("builder-save-status")).to_have_attribute("data-state", "saved", timeout=15_000)


def canvas_still(page: Page) -> None:
    """Wait until the canvas has stopped moving: twelve frames alike, counted from now. A node added from the
    palette is scrolled into view 60 ms later, in 200 ms, and React Flow's fit view waits a frame or two for its
    queue; a click aimed before either lands where something else has moved to (CI once deleted the LLM node
    instead of an edge, and twice missed the edge when a count left from the last wait ended this one at once)."""
    page.evaluate("() => { window.__hzVp = null; window.__hzStill = 0; }")
    page.wait_for_function(
        """() => {
            const v = document.querySelector('.react-flow__viewport');
            const t = v ? getComputedStyle(v).transform : '';
            const w = window;
            if (w.__hzVp === t) w.__hzStill += 1;
            else { w.__hzVp = t; w.__hzStill = 0; }
            return w.__hzStill >= 12;
        }""",
        polling="raf",
    )


# Half way along an edge's line, in the page's pixels, if the edge is what a click there would reach.
EDGE_MIDPOINT = """(id) => {
    const g = document.querySelector(`[data-testid="${id}"]`);
    const path = g && g.querySelector('path.react-flow__edge-path');
    const m = path && path.getScreenCTM();
    if (!m) return false;
    const p = path.getPointAtLength(path.getTotalLength() / 2);
    const x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
    const hit = document.elementFromPoint(x, y);
    window.__hzEdgeHit = hit ? `${hit.tagName}.${hit.getAttribute('class')}` : 'nothing';
    return hit && g.contains(hit) ? [x, y] : false;
}"""


def click_edge(page: Page, edge: Locator) -> None:
    """Click an edge on its line, half way along, as a person does, once the canvas is still and nothing covers
    that point."""
    canvas_still(page)
    testid = edge.get_attribute("data-testid")
    try:
        point = page.wait_for_function(EDGE_MIDPOINT, arg=testid, polling="raf", timeout=10_000).json_value()
    except PlaywrightTimeout:
        raise AssertionError(f"the edge's midpoint stayed covered by {page.evaluate('window.__hzEdgeHit')}") from None
    page.mouse.click(point[0], point[1])


def select_node(page: Page, type_: str) -> None:
    """Click a node by its title bar and wait for its side panel."""
    canvas_still(page)
    node(page, type_).first.locator(".wf-node-header").click()
    expect(page.get_by_test_id("wf-panel")).to_have_attribute("data-type", type_)


def pick_option(page: Page, select_test_id: str, label: str) -> None:
    page.get_by_test_id(select_test_id).click()
    page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text=label).first.click()
    page.keyboard.press("Escape")


def pick_variable(page: Page, picker_test_id: str, group: str, variable: str) -> None:
    """Choose `[group, variable]` in a variable picker (a cascader: the node, then its output)."""
    page.get_by_test_id(picker_test_id).click()
    page.locator(f'.ant-cascader-dropdown:visible [data-testid="wf-var-group-{group}"]').click()
    page.locator(f'.ant-cascader-dropdown:visible [data-testid="wf-var-{group}-{variable}"]').click()


def insert_variable(page: Page, text_test_id: str, group: str, variable: str) -> None:
    """Insert `{{#group.variable#}}` into a prompt through its variable menu."""
    page.get_by_test_id(f"{text_test_id}-insert").click()
    page.locator(f'[data-testid="wf-insert-group-{group}"]:visible').hover()
    # the node's variables open in a submenu of their own
    page.locator(f'[data-testid="wf-insert-{group}-{variable}"]:visible').click()


def node_id(page: Page, type_: str) -> str:
    testid = node(page, type_).first.get_attribute("data-testid")
    assert testid is not None
    return testid.removeprefix("wf-node-")


def drag_connect(page: Page, source: Locator, target: Locator) -> None:
    """Drag from one handle to another, as a person does with the mouse."""
    a = source.bounding_box()
    b = target.bounding_box()
    assert a is not None and b is not None
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2 + 20, steps=8)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()


def create_chatflow(page: Page, url: str, name: str) -> str:
    page.goto(f"{url}/agents")
    page.get_by_test_id("workflow-create").click()
    page.get_by_test_id("wf-create-kind-chatflow").click()
    page.get_by_test_id("wf-create-name").fill(name)
    page.get_by_test_id("wf-create-form-submit").click()
    expect(page).to_have_url(re.compile(r"/agents/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("wf-editor")).to_be_visible()
    return page.url.rsplit("/", 1)[1]


def build_start_knowledge_llm_answer(page: Page, kb_name: str) -> dict[str, str]:
    """From the starter chatflow (start → LLM → answer) to start → knowledge retrieval → LLM → answer."""
    expect(node(page, "start")).to_have_count(1)
    expect(edges(page)).to_have_count(2)
    # Take the starter's LLM and answer away with the Delete key; the edges go with them.
    for type_ in ("answer", "llm"):
        select_node(page, type_)
        page.keyboard.press("Delete")
        expect(node(page, type_)).to_have_count(0)
    expect(edges(page)).to_have_count(0)

    # With a node selected, a click on the palette adds the next node after it and joins them.
    select_node(page, "start")
    page.get_by_test_id("wf-palette-knowledge-retrieval").click()
    expect(node(page, "knowledge-retrieval")).to_have_count(1)
    expect(page.get_by_test_id("wf-panel")).to_have_attribute("data-type", "knowledge-retrieval")
    # A chatflow's retrieval asks with the user's message (sys.query) unless told otherwise.
    expect(page.get_by_test_id("wf-kr-query")).to_contain_text("query")
    pick_option(page, "wf-kr-datasets", kb_name)
    page.get_by_test_id("wf-palette-llm").click()
    expect(node(page, "llm")).to_have_count(1)
    page.get_by_test_id("wf-palette-answer").click()
    expect(node(page, "answer")).to_have_count(1)
    expect(edges(page)).to_have_count(3)

    ids = {t: node_id(page, t) for t in ("start", "knowledge-retrieval", "llm", "answer")}
    # The edge between retrieval and LLM again, by dragging from handle to handle.
    kr_llm = page.locator(f'[data-testid="rf__edge-{ids["knowledge-retrieval"]}-source-{ids["llm"]}"]')
    expect(kr_llm).to_have_count(1)
    # Adding the answer scrolled the canvas to it; the whole graph in view again, so the edge is there to click.
    canvas_still(page)
    page.locator(".react-flow__controls-fitview").click()
    click_edge(page, kr_llm)
    expect(kr_llm).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Delete")
    expect(edges(page)).to_have_count(2)
    drag_connect(
        page,
        node(page, "knowledge-retrieval").get_by_test_id("wf-handle-source"),
        node(page, "llm").get_by_test_id("wf-handle-target"),
    )
    expect(edges(page)).to_have_count(3)
    expect(kr_llm).to_have_count(1)

    # The LLM: the retrieved passages as its context, a system prompt, short answers.
    select_node(page, "llm")
    pick_variable(page, "wf-llm-context", ids["knowledge-retrieval"], "result")
    expect(page.get_by_test_id("wf-llm-context")).to_contain_text("result")
    page.get_by_test_id("wf-llm-prompt-system").fill("Answer in one short sentence from the context. ")
    page.get_by_test_id("wf-llm-model-max-tokens").fill("24")
    page.get_by_test_id("wf-llm-model-max-tokens").blur()
    # The answer quotes the LLM's text, inserted from the variable menu.
    select_node(page, "answer")
    insert_variable(page, "wf-answer-text", ids["llm"], "text")
    expect(page.get_by_test_id("wf-answer-text")).to_have_value(f"{{{{#{ids['llm']}.text#}}}}")
    return ids


def test_build_a_chatflow_on_the_canvas(model_server: LiveServer, page: Page) -> None:
    live_server = model_server  # a knowledge base needs the bundled embedding model
    api = live_server.admin()
    ws = api.default_workspace()
    r = api.post(f"/api/workspaces/{ws}/knowledge-bases", json={"name": unique("手册")})
    assert r.status_code == 201, r.text
    kb = r.json()
    sign_in(page, live_server.url, live_server.admin_username, live_server.admin_password)
    name = unique("请假问答")
    agent_id = create_chatflow(page, live_server.url, name)
    expect(page.get_by_test_id("wf-mode")).to_have_text("对话流")
    ids = build_start_knowledge_llm_answer(page, kb["name"])
    page.get_by_test_id("wf-layout").click()
    wait_saved(page)
    shot(page, "workflow-editor-zh-CN")

    # Saved as the agent's draft: config.mode and config.workflow, with Dify's field names.
    agent = api.get(f"/api/workspaces/{ws}/agents/{agent_id}").json()
    graph = agent["config"]["workflow"]
    assert agent["config"]["mode"] == "chatflow"
    assert {n["type"] for n in graph["nodes"]} == {"start", "knowledge-retrieval", "llm", "answer"}
    assert {(e["source"], e["target"]) for e in graph["edges"]} == {
        (ids["start"], ids["knowledge-retrieval"]),
        (ids["knowledge-retrieval"], ids["llm"]),
        (ids["llm"], ids["answer"]),
    }
    by_type = {n["type"]: n for n in graph["nodes"]}
    assert by_type["knowledge-retrieval"]["data"]["dataset_ids"] == [kb["id"]]
    assert by_type["knowledge-retrieval"]["data"]["query_variable_selector"] == ["sys", "query"]
    assert by_type["llm"]["data"]["context"] == {
        "enabled": True,
        "variable_selector": [ids["knowledge-retrieval"], "result"],
    }
    assert by_type["llm"]["data"]["model"]["completion_params"]["max_tokens"] == 24
    assert by_type["answer"]["data"]["answer"] == f"{{{{#{ids['llm']}.text#}}}}"

    # A reload shows the same graph.
    page.reload()
    expect(node(page, "answer")).to_have_count(1)
    expect(page.locator(".wf-node")).to_have_count(4)
    expect(edges(page)).to_have_count(3)
    select_node(page, "answer")
    expect(page.get_by_test_id("wf-answer-text")).to_have_value(f"{{{{#{ids['llm']}.text#}}}}")

    # Undo and redo (buttons and keys): a node added from the palette with nothing selected stands alone.
    page.get_by_test_id("wf-panel-close").click()
    page.get_by_test_id("wf-palette-code").click()
    expect(node(page, "code")).to_have_count(1)
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    expect(node(page, "code")).to_have_count(0)
    page.get_by_test_id("wf-redo").click()
    expect(node(page, "code")).to_have_count(1)
    # The lone node is a problem the server reports; the canvas marks it in red with the message.
    wait_saved(page)
    badge = node(page, "code").get_by_test_id("wf-node-problems")
    expect(badge).to_be_visible(timeout=15_000)
    badge.hover()
    expect(page.locator(".ant-tooltip:visible").filter(has_text=re.compile(r"reach|start", re.I))).to_have_count(1)
    expect(node(page, "code")).to_have_class(re.compile("wf-has-problems"))
    shot(page, "workflow-editor-problem-zh-CN")

    # Copy and paste: Ctrl+C, Ctrl+V makes a second one beside it; undo takes it back.
    select_node(page, "code")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    expect(node(page, "code")).to_have_count(2)
    page.keyboard.press("Control+z")
    expect(node(page, "code")).to_have_count(1)
    select_node(page, "code")
    page.keyboard.press("Delete")
    expect(node(page, "code")).to_have_count(0)
    wait_saved(page)
    expect(page.locator(".wf-has-problems")).to_have_count(0, timeout=15_000)

    # In English: the palette, the panel and the canvas.
    switch_language(page, "en")
    expect(page.get_by_test_id("wf-mode")).to_have_text("Chatflow")
    expect(page.get_by_test_id("wf-palette-knowledge-retrieval")).to_contain_text("Knowledge retrieval")
    select_node(page, "llm")
    shot(page, "workflow-editor-en")


def test_run_a_chatflow_and_see_the_trace(model_server: LiveServer, page: Page) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    kb = make_kb(api, ws)
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    create_chatflow(page, model_server.url, unique("请假问答"))
    ids = build_start_knowledge_llm_answer(page, kb["name"])
    page.get_by_test_id("wf-layout").click()
    wait_saved(page)

    # Run with a question: each node shows its status and time on the canvas as the events come in.
    page.get_by_test_id("wf-run-open").click()
    page.get_by_test_id("wf-run-query").fill("How many days of annual leave?")
    page.get_by_test_id("wf-run-submit").click()
    expect(page.get_by_test_id("wf-run-status")).to_have_attribute("data-status", "succeeded", timeout=RUN_MS)
    for type_ in ("start", "knowledge-retrieval", "llm", "answer"):
        expect(node(page, type_)).to_have_attribute("data-run", "succeeded")
        expect(node(page, type_).get_by_test_id("wf-node-time")).to_have_text(re.compile(r"^\d+(\.\d+)? (ms|s)$"))
    expect(page.get_by_test_id("wf-run-text")).not_to_be_empty()
    page.get_by_test_id("wf-run-tab-trace").click()
    for id_ in ids.values():
        expect(page.get_by_test_id(f"wf-trace-{id_}")).to_have_attribute("data-status", "succeeded")
    shot(page, "workflow-run-zh-CN")

    # A node's inputs and outputs of the run, in its panel.
    page.get_by_test_id(f"wf-trace-{ids['knowledge-retrieval']}").click()
    page.get_by_test_id("wf-panel-tab-run").click()
    expect(page.get_by_test_id("wf-run-outputs")).to_contain_text("twenty-five")

    # Published like any agent.
    page.get_by_test_id("builder-publish").click()
    page.get_by_test_id("builder-publish-submit").click()
    expect(page.get_by_test_id("builder-published")).to_contain_text("1")

    switch_language(page, "en")
    page.get_by_test_id("wf-run-open").click()
    page.get_by_test_id("wf-run-tab-trace").click()
    shot(page, "workflow-run-en")
