"""Agent templates: five or more, in zh-CN and English, each making an agent that the bundled model can run."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hezi.agents import templates
from hezi.agents.spec import VARIABLE, AgentConfig, check_inputs, render_prompt
from hezi.serving.bundled import SMOLLM2_NAME
from tests.conftest import LiveServer
from tests.helpers import Api, unique

REQUIRED = {"document-qa", "customer-service", "policy-qa", "translator", "data-helper"}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_template_has_both_languages_and_fits_the_bundled_model() -> None:
    found = templates.templates()
    assert {t.id for t in found} >= REQUIRED
    assert len({t.id for t in found}) == len(found)
    for t in found:
        en, zh = t.agent_config("en"), t.agent_config("zh-CN")
        for lang, config in (("en", en), ("zh-CN", zh)):
            assert t.name(lang) and t.description(lang), (t.id, lang)
            assert config.system_prompt and config.opening_statement and config.suggested_questions, (t.id, lang)
            # SmolLM2-135M reads a few hundred tokens at best: short prompts, low temperature, short answers
            assert config.model == SMOLLM2_NAME
            assert len(config.system_prompt) <= 300, (t.id, lang)
            assert config.model_params.temperature <= 0.3 and config.model_params.max_tokens <= 256, t.id
            # every {{variable}} of the prompt comes from the input form, so none is left unfilled
            form = {spec.variable for _, spec in config.form_fields()}
            assert set(VARIABLE.findall(config.system_prompt)) <= form, (t.id, lang)
            assert not VARIABLE.search(render_prompt(config.system_prompt, check_inputs(config, {})))
        assert has_chinese(t.name("zh-CN") + zh.system_prompt + zh.opening_statement), t.id
        assert not has_chinese(t.name("en") + en.system_prompt + en.opening_statement), t.id
        # the two languages differ only in words
        words = {"system_prompt", "opening_statement", "suggested_questions", "user_input_form"}
        assert en.model_dump(exclude=words) == zh.model_dump(exclude=words), t.id
        assert [s.variable for _, s in en.form_fields()] == [s.variable for _, s in zh.form_fields()], t.id


def test_templates_use_what_the_issue_asks_of_them() -> None:
    by_id = {t.id: t.agent_config("en") for t in templates.templates()}
    assert {(ref.provider, ref.name) for ref in by_id["data-helper"].tools} == {
        ("builtin", "calculator"),
        ("builtin", "code_interpreter"),
    }
    for kb_agent in ("document-qa", "policy-qa"):
        assert by_id[kb_agent].citations and by_id[kb_agent].knowledge.retrieval.top_k <= 4
    translator = by_id["translator"]
    kind, target = translator.form_fields()[0]
    assert kind == "select" and target.options == ["Chinese", "English"] and target.default == "Chinese"
    assert translator.memory_window == 0


def test_languages_are_normalised() -> None:
    assert templates.normalize_lang("zh") == "zh-CN"
    assert templates.normalize_lang("zh_CN.UTF-8") == "zh-CN"
    assert templates.normalize_lang("zh-cn") == "zh-CN"
    assert templates.normalize_lang("en-GB") == "en"
    assert templates.normalize_lang("fr") == "en"
    assert templates.normalize_lang(None) == "en"


def test_the_api_lists_templates_in_each_language(admin: Api) -> None:
    ws = admin.create_workspace()["id"]
    url = f"/api/workspaces/{ws}/agent-templates"
    en = admin.get(url).json()
    zh = admin.get(url, params={"lang": "zh-CN"}).json()
    assert en["count"] == len(en["data"]) == zh["count"] >= 5
    assert [t["id"] for t in en["data"]] == [t["id"] for t in zh["data"]]
    first_en, first_zh = en["data"][0], zh["data"][0]
    assert first_en["id"] == "document-qa" and set(first_en) == {"id", "name", "icon", "description", "config"}
    assert first_en["name"] == "Document Q&A" and first_zh["name"] == "文档问答"
    assert has_chinese(first_zh["config"]["system_prompt"]) and not has_chinese(first_en["config"]["system_prompt"])
    assert admin.get(url, params={"lang": "zh"}).json() == zh


def test_workflow_templates_are_listed_beside_them_and_make_workflows_that_publish(admin: Api) -> None:
    """The issue's three workflow templates come through the same list (the workflow editor's dialog shows them),
    in each language, and each makes a workflow agent whose graph has no problems and publishes."""
    ws = admin.create_workspace()["id"]
    listed = admin.get(f"/api/workspaces/{ws}/agent-templates", params={"lang": "zh-CN"}).json()["data"]
    modes = {t["id"]: t["config"]["mode"] for t in listed}
    assert {k: modes.get(k) for k in ("document-qa-flow", "ticket-triage", "batch-translation")} == {
        "document-qa-flow": "chatflow", "ticket-triage": "chatflow", "batch-translation": "workflow",
    }  # fmt: skip
    assert set(modes) >= REQUIRED and all(modes[k] == "agent" for k in REQUIRED)
    for template in ("document-qa-flow", "ticket-triage", "batch-translation"):
        r = admin.post(f"/api/workspaces/{ws}/agents", json={"template": template, "lang": "zh-CN"})
        assert r.status_code == 201, r.text
        agent = r.json()
        assert agent["problems"] == [] and has_chinese(agent["name"])
        assert all(has_chinese(n["title"]) for n in agent["config"]["workflow"]["nodes"]), agent["config"]["workflow"]
        published = admin.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish", json={})
        assert published.status_code == 201, published.text
    batch = next(t for t in listed if t["id"] == "batch-translation")
    assert batch["config"]["user_input_form"], "the Start node's variables are the template's input form"


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_template_makes_an_agent(admin: Api, lang: str) -> None:
    ws = admin.create_workspace()["id"]
    listed = admin.get(f"/api/workspaces/{ws}/agent-templates", params={"lang": lang}).json()["data"]
    for t in listed:
        r = admin.post(f"/api/workspaces/{ws}/agents", json={"template": t["id"], "lang": lang})
        assert r.status_code == 201, r.text
        agent = r.json()
        assert (agent["name"], agent["icon"], agent["description"]) == (t["name"], t["icon"], t["description"])
        assert agent["config"] == t["config"]
    # a name, icon or config given wins over the template's
    named = admin.post(
        f"/api/workspaces/{ws}/agents",
        json={"template": "translator", "lang": lang, "name": unique("mine"), "icon": "🦉", "description": "d"},
    ).json()
    assert named["icon"] == "🦉" and named["description"] == "d" and named["config"]["memory_window"] == 0
    assert admin.get(f"/api/workspaces/{ws}/agents").json()["count"] == len(listed) + 1
    # the template's name is taken now
    again = admin.post(f"/api/workspaces/{ws}/agents", json={"template": "translator", "lang": lang})
    assert again.status_code == 409 and again.json()["error"]["code"] == "agent_exists"


def test_the_bundled_model_answers_each_template(model_server: LiveServer) -> None:
    """Each template's prompt, settings and first suggested question, asked of the bundled model as the agent
    would ask it: an answer in words comes back (its first 64 tokens: what matters is that it starts)."""
    admin = model_server.admin()
    key = admin.create_key(admin.default_workspace(), name="template tests")["key"]
    with httpx.Client(base_url=model_server.url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        for t in templates.templates():
            for lang in templates.LANGS:
                config = t.agent_config(lang)
                r = http.post("/v1/chat/completions", json=_request(config))
                assert r.status_code == 200, (t.id, lang, r.text)
                answer = r.json()
                assert answer["choices"][0]["message"]["content"].strip(), (t.id, lang)
                assert answer["usage"]["completion_tokens"] <= 64
    admin.close()


def _request(config: AgentConfig) -> dict[str, Any]:
    system = render_prompt(config.system_prompt, check_inputs(config, {}))
    p = config.model_params
    return {
        "model": config.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": config.suggested_questions[0]}],
        "temperature": p.temperature,
        "top_p": p.top_p,
        "max_tokens": min(p.max_tokens, 64),
    }
