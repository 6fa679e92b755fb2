"""Conversation variables in the workflow editor, in a real browser: a chatflow declares `turns` (a number, 0) in the
toolbar's Conversation variables panel, a Variable assigner after Start adds 1 to it (its target picked from the
conversation's variables) and an Answer says "Turn {{#conversation.turns#}}"; autosaved (a reload shows it all, the
stored graph declares the variable and has no problems), and a test run answers "Turn 1". Deleting the variable
makes its reads a problem; renaming it renames them; undo takes either back."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.helpers import unique
from tests.web.browser import shot, sign_in, switch_language
from tests.web.test_workflow_editor_browser import (
    create_chatflow,
    edges,
    node,
    pick_option,
    pick_variable,
    select_node,
    wait_saved,
)

RUN_MS = 120_000


def add_variable(page: Page, name: str, type_: str, value: str) -> None:
    """Add a conversation variable through the panel's dialog."""
    page.get_by_test_id("wf-convvar-add").click()
    dialog = page.locator(".ant-modal:visible")
    expect(dialog).to_have_count(1)
    page.get_by_test_id("wf-convvar-name").fill(name)
    page.get_by_test_id("wf-convvar-type").click()
    page.locator(f'.ant-select-dropdown:visible [data-testid="wf-convvar-type-{type_}"]').click()
    page.get_by_test_id("wf-convvar-value").fill(value)
    page.get_by_test_id("wf-convvar-description").fill("How many questions this conversation has asked")
    page.get_by_test_id("wf-convvar-submit").click()
    expect(dialog).to_have_count(0)


def test_a_chatflow_counts_its_turns_in_a_conversation_variable(live_server: LiveServer, page: Page) -> None:
    api = live_server.admin()
    ws = api.default_workspace()
    sign_in(page, live_server.url, live_server.admin_username, live_server.admin_password)
    switch_language(page, "en")
    agent_id = create_chatflow(page, live_server.url, unique("counter"))

    # The panel: empty at first; a bad or taken name is refused in the form.
    page.get_by_test_id("wf-convvars-open").click()
    panel = page.get_by_test_id("wf-convvars-panel")
    expect(panel).to_contain_text("No conversation variables yet")
    add_variable(page, "turns", "number", "0")
    expect(page.get_by_test_id("wf-convvar-turns")).to_contain_text("number")
    expect(page.get_by_test_id("wf-convvar-turns").get_by_test_id("wf-convvar-default")).to_contain_text("0")
    page.get_by_test_id("wf-convvar-add").click()
    errors = page.locator(".ant-modal:visible .ant-form-item-explain-error")
    page.get_by_test_id("wf-convvar-name").fill("turns")
    page.get_by_test_id("wf-convvar-submit").click()
    expect(errors.filter(has_text="already")).to_have_count(1)
    page.get_by_test_id("wf-convvar-name").fill("2turns")
    expect(errors.filter(has_text="letters")).to_have_count(1)
    # An object's default is JSON of that type.
    page.get_by_test_id("wf-convvar-name").fill("profile")
    page.get_by_test_id("wf-convvar-type").click()
    page.locator('.ant-select-dropdown:visible [data-testid="wf-convvar-type-object"]').click()
    page.get_by_test_id("wf-convvar-value").fill("[1, 2]")
    page.get_by_test_id("wf-convvar-submit").click()
    expect(errors.filter(has_text="type object")).to_have_count(1)
    shot(page, "workflow-conversation-var-dialog-en")
    page.get_by_test_id("wf-convvar-cancel").click()
    expect(page.locator(".ant-modal:visible")).to_have_count(0)
    expect(panel.locator('[data-testid^="wf-convvar-"].wf-row-card')).to_have_count(1)
    expect(page.get_by_test_id("wf-convvars-open")).to_contain_text("Conversation variables")
    shot(page, "workflow-conversation-vars-en")

    # Start → Variable assigner (turns += 1) → Answer, from the starter's Start → LLM → Answer.
    for type_ in ("answer", "llm"):
        select_node(page, type_)
        page.keyboard.press("Delete")
        expect(node(page, type_)).to_have_count(0)
    select_node(page, "start")
    page.get_by_test_id("wf-palette-variable-assigner").click()
    expect(node(page, "variable-assigner")).to_have_count(1)
    expect(page.get_by_test_id("wf-panel")).to_have_attribute("data-type", "variable-assigner")
    page.get_by_test_id("wf-assign-add").click()
    pick_variable(page, "wf-assign-target-0", "conversation", "turns")
    expect(page.get_by_test_id("wf-assign-target-0")).to_contain_text("turns")
    pick_option(page, "wf-assign-op-0", "+=")
    expect(page.get_by_test_id("wf-assign-input-type-0")).to_contain_text("Constant")
    page.get_by_test_id("wf-assign-value-0").fill("1")
    page.get_by_test_id("wf-assign-value-0").blur()
    expect(node(page, "variable-assigner")).to_contain_text("turns += 1")
    shot(page, "workflow-conversation-assigner-en")
    page.get_by_test_id("wf-palette-answer").click()
    expect(node(page, "answer")).to_have_count(1)
    expect(edges(page)).to_have_count(2)
    # The answer's variable menu offers the conversation's variables beside sys.
    page.get_by_test_id("wf-answer-text-insert").click()
    expect(page.locator('[data-testid="wf-insert-group-conversation"]:visible')).to_contain_text("Conversation")
    page.keyboard.press("Escape")
    page.get_by_test_id("wf-answer-text").fill("Turn {{#conversation.turns#}}")
    page.get_by_test_id("wf-layout").click()
    wait_saved(page)

    # Stored as the agent's draft, with no problems.
    agent = api.get(f"/api/workspaces/{ws}/agents/{agent_id}").json()
    graph = agent["config"]["workflow"]
    assert graph["conversation_variables"] == [
        {"name": "turns", "type": "number", "value": 0, "description": "How many questions this conversation has asked"}
    ]
    by_type = {n["type"]: n for n in graph["nodes"]}
    assert set(by_type) == {"start", "variable-assigner", "answer"}
    assert by_type["variable-assigner"]["data"]["items"] == [
        {"variable_selector": ["conversation", "turns"], "input_type": "constant", "operation": "+=", "value": 1}
    ]
    assert by_type["answer"]["data"]["answer"] == "Turn {{#conversation.turns#}}"
    assert not agent.get("problems")
    r = api.post(f"/api/workspaces/{ws}/agents/{agent_id}/workflow/validate", json={"graph": graph})
    assert r.status_code == 200, r.text
    assert r.json()["problems"] == []

    # A reload shows the variable and the nodes.
    page.reload()
    expect(page.locator(".wf-node")).to_have_count(3)
    expect(edges(page)).to_have_count(2)
    page.get_by_test_id("wf-convvars-open").click()
    expect(page.get_by_test_id("wf-convvar-turns")).to_contain_text("number")
    select_node(page, "variable-assigner")
    expect(page.get_by_test_id("wf-assign-target-0")).to_contain_text("turns")
    expect(page.get_by_test_id("wf-assign-value-0")).to_have_value("1")

    # A test run starts a conversation: turns goes from 0 to 1.
    page.get_by_test_id("wf-run-open").click()
    page.get_by_test_id("wf-run-query").fill("hello")
    page.get_by_test_id("wf-run-submit").click()
    expect(page.get_by_test_id("wf-run-status")).to_have_attribute("data-status", "succeeded", timeout=RUN_MS)
    expect(page.get_by_test_id("wf-run-text")).to_have_text("Turn 1")
    expect(node(page, "variable-assigner")).to_have_attribute("data-run", "succeeded")

    # Deleting the variable leaves the reads of it unbound: the server's problem shows on the answer.
    page.get_by_test_id("wf-convvars-open").click()
    page.get_by_test_id("wf-convvar-delete-turns").click()
    expect(page.get_by_test_id("wf-convvar-turns")).to_have_count(0)
    wait_saved(page)
    expect(node(page, "answer").get_by_test_id("wf-node-problems")).to_be_visible(timeout=15_000)
    # Undo brings it back.
    page.get_by_test_id("wf-undo").click()
    expect(page.get_by_test_id("wf-convvar-turns")).to_be_visible()
    wait_saved(page)
    expect(page.locator(".wf-has-problems")).to_have_count(0, timeout=15_000)

    # A new name follows into the nodes that read and write it; undo takes it back.
    page.get_by_test_id("wf-convvar-edit-turns").click()
    expect(page.get_by_test_id("wf-convvar-value")).to_have_value("0")
    page.get_by_test_id("wf-convvar-name").fill("count")
    page.get_by_test_id("wf-convvar-submit").click()
    expect(page.get_by_test_id("wf-convvar-count")).to_be_visible()
    expect(node(page, "variable-assigner")).to_contain_text("count += 1")
    expect(node(page, "answer")).to_contain_text("conversation.count")
    page.get_by_test_id("wf-undo").click()
    expect(page.get_by_test_id("wf-convvar-turns")).to_be_visible()
    expect(node(page, "answer")).to_contain_text("conversation.turns")
    wait_saved(page)

    switch_language(page, "zh-CN")
    expect(page.get_by_test_id("wf-convvars-open")).to_contain_text("会话变量")
    expect(page.get_by_test_id("wf-convvars-panel")).to_contain_text("会话变量")
    shot(page, "workflow-conversation-vars-zh-CN")
