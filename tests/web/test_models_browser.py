"""The Models page in a real browser: the bundled model, deploy settings, logs, imports, and the playground."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.conftest import LiveServer
from tests.helpers import unique, wait_for
from tests.web.browser import shot, sign_in, switch_language

MODEL = "smollm2-135m-instruct"
# Long enough that the reply is still streaming when we look at it.
LONG_PROMPT = "Write a long story about a dragon who learns to cook, with many chapters."


def bundled_model(server: LiveServer, name: str = MODEL) -> dict[str, Any]:
    api = server.admin()
    try:
        models = api.get("/api/models").json()["data"]
    finally:
        api.close()
    return next(m for m in models if m["name"] == name)


def last_reply_streaming_with_text(page: Page, chars: int) -> None:
    """Waits until the newest reply is still streaming and has at least `chars` characters."""
    page.wait_for_function(
        """(chars) => {
          const replies = document.querySelectorAll('[data-testid="playground-reply"]');
          const last = replies[replies.length - 1];
          return last && last.dataset.status === "streaming" && last.innerText.trim().length >= chars;
        }""",
        arg=chars,
        timeout=120_000,
    )


def stream_then_stop(page: Page, lang: str) -> None:
    page.get_by_test_id("playground-input").fill(LONG_PROMPT)
    page.get_by_test_id("playground-send").click()
    last_reply_streaming_with_text(page, 80)
    expect(page.get_by_test_id("playground-stop")).to_be_visible()
    shot(page, f"playground-{lang}")
    # Stop aborts the request: the partial reply stays, marked as stopped, and we can send again.
    page.get_by_test_id("playground-stop").click()
    reply = page.get_by_test_id("playground-reply").last
    expect(reply).to_have_attribute("data-status", "stopped")
    assert reply.inner_text().strip()
    expect(page.get_by_test_id("playground-stopped").last).to_be_visible()
    expect(page.get_by_test_id("playground-send")).to_be_visible()


def test_models_page_and_playground(model_server: LiveServer, page: Page) -> None:
    model = bundled_model(model_server)
    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    page.get_by_test_id("nav-models").click()
    expect(page).to_have_url(re.compile(r"/models$"))

    # The bundled chat model is listed, running, with what its file says about it.
    row = page.get_by_test_id(f"model-row-{MODEL}")
    expect(row.get_by_test_id("model-status")).to_have_attribute("data-state", "ready")
    expect(row.get_by_test_id("model-status")).to_contain_text("运行中")
    expect(row).to_contain_text("135M")
    expect(row).to_contain_text("对话")
    # The bundled multilingual embedding model too: running, bundled, its parameters (117M, most of them its 250k-token
    # vocabulary) and its kind.
    e5 = page.get_by_test_id("model-row-multilingual-e5-small")
    expect(e5.get_by_test_id("model-status")).to_have_attribute("data-state", "ready")
    expect(e5).to_contain_text("117M")
    expect(e5).to_contain_text("向量")
    expect(e5).to_contain_text("内置")
    shot(page, "models-zh-CN")

    for lang in ("zh-CN", "en"):
        if lang == "en":
            switch_language(page, "en")
            expect(row.get_by_test_id("model-status")).to_contain_text("Running")
            shot(page, "models-en")

        # Deploy: the form starts from how the model runs now; cancelling changes nothing.
        row.get_by_test_id(f"model-deploy-{MODEL}").click()
        form = page.get_by_test_id("deploy-form")
        expect(page.get_by_test_id("deploy-context")).to_have_value(str(model["deployment"]["context_size"]))
        expect(page.get_by_test_id("deploy-parallel")).to_have_value(str(model["deployment"]["parallel"]))
        shot(page, f"deploy-{lang}")
        page.keyboard.press("Escape")
        expect(form).to_have_count(0)

        # Logs: the worker's own lines, in a drawer.
        row.get_by_test_id(f"model-logs-{MODEL}").click()
        expect(page.get_by_test_id("logs-lines")).to_contain_text("[0]")
        shot(page, f"logs-{lang}")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("logs-lines")).to_have_count(0)

    # Import by path: a file that is not a GGUF is refused, and the server's own words are shown.
    api = model_server.admin()
    refused = api.post("/api/models/import-path", json={"path": "/etc/hostname"})
    api.close()
    assert refused.status_code == 400, refused.text
    page.get_by_test_id("model-import").click()
    shot(page, "import-en")
    page.get_by_test_id("import-tab-path").click()
    page.get_by_test_id("import-path-input").fill("/etc/hostname")
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-error")).to_have_text(refused.json()["error"]["message"])
    shot(page, "import-error-en")

    # Upload: a file that does not start like a GGUF is caught before gigabytes are sent…
    modal = page.get_by_test_id("import-modal")
    page.get_by_test_id("import-tab-upload").click()
    modal.locator("input[type=file]").set_input_files(
        files=[{"name": "notes.gguf", "mimeType": "application/octet-stream", "buffer": b"not a model"}]
    )
    expect(page.get_by_test_id("import-file-error")).to_contain_text("notes.gguf")
    # …and a real one is streamed to the server, which answers that it already has this file.
    modal.locator("input[type=file]").set_input_files(model["path"])
    expect(page.get_by_test_id("import-file-name")).to_have_text(re.compile(r"\.gguf$"))
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-error")).to_contain_text(MODEL, timeout=60_000)
    page.get_by_test_id("import-cancel").click()
    expect(modal).to_be_hidden()

    # The playground, opened from the model's row, in Chinese first.
    switch_language(page, "zh-CN")
    row.get_by_test_id(f"model-try-{MODEL}").click()
    expect(page).to_have_url(re.compile(rf"/models/playground\?model={MODEL}$"))
    expect(page.get_by_test_id("playground-model")).to_contain_text(MODEL)
    page.get_by_test_id("playground-input").fill("Hello")
    page.get_by_test_id("playground-send").click()
    expect(page.get_by_test_id("playground-message-user").first).to_have_text("Hello")
    reply = page.get_by_test_id("playground-reply").first
    expect(reply).to_have_attribute("data-status", "done", timeout=120_000)
    assert reply.inner_text().strip(), "the assistant's reply is empty"
    expect(page.get_by_test_id("playground-stats")).to_contain_text("tokens")
    stream_then_stop(page, "zh-CN")

    switch_language(page, "en")
    page.get_by_test_id("playground-clear").click()
    expect(page.get_by_test_id("playground-reply")).to_have_count(0)
    stream_then_stop(page, "en")

    # A refusal (OpenAI's error shape) is shown in the server's words.
    api = model_server.admin()
    refused = api.post(
        "/v1/chat/completions", json={"model": "no-such-model", "messages": [{"role": "user", "content": "Hi"}]}
    )
    api.close()
    assert refused.status_code == 404, refused.text
    page.goto(f"{model_server.url}/models/playground?model=no-such-model")
    page.get_by_test_id("playground-input").fill("Hi")
    page.get_by_test_id("playground-input").press("Enter")
    expect(page.get_by_test_id("playground-error")).to_have_text(refused.json()["error"]["message"])


def test_regular_users_see_models_but_cannot_change_them(model_server: LiveServer, page: Page) -> None:
    admin = model_server.admin()
    user = admin.create_user()
    admin.close()
    sign_in(page, model_server.url, user["username"], "password-123")
    page.goto(f"{model_server.url}/models")
    row = page.get_by_test_id(f"model-row-{MODEL}")
    expect(row.get_by_test_id("model-status")).to_have_attribute("data-state", "ready")
    expect(row.get_by_test_id(f"model-logs-{MODEL}")).to_be_visible()
    expect(row.get_by_test_id(f"model-try-{MODEL}")).to_be_enabled()
    expect(page.get_by_test_id("model-import")).to_have_count(0)
    expect(row.get_by_test_id(f"model-deploy-{MODEL}")).to_have_count(0)
    expect(row.get_by_test_id(f"model-more-{MODEL}")).to_have_count(0)


def test_upload_deploy_stop_and_delete_a_model(
    make_server: Callable[..., LiveServer], model_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    # A server of its own, with no models; the file is the bundled embedding model plus a few bytes,
    # so that its checksum is new.
    server = make_server()
    file = tmp_path / "MiniLM-variant.gguf"
    shutil.copyfile(bundled_model(model_server, "all-minilm-l6-v2")["path"], file)
    with file.open("ab") as fh:
        fh.write(bytes(64))

    sign_in(page, server.url, server.admin_username, server.admin_password)
    switch_language(page, "en")
    page.goto(f"{server.url}/models")
    expect(page.get_by_test_id("model-table")).to_contain_text("No models yet")

    page.get_by_test_id("model-import").click()
    page.get_by_test_id("import-modal").locator("input[type=file]").set_input_files(str(file))
    page.get_by_test_id("import-upload-name").fill("minilm-uploaded")
    page.get_by_test_id("import-submit").click()

    # Imported: the deploy form opens for it, with the server's defaults.
    form = page.get_by_test_id("deploy-form")
    expect(form).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("import-modal")).to_be_hidden()
    expect(page.get_by_test_id("deploy-context")).to_have_value("512")
    page.get_by_test_id("deploy-parallel").fill("2")
    page.get_by_test_id("deploy-form-submit").click()
    expect(form).to_have_count(0)

    # The list follows the deployment until it is ready.
    row = page.get_by_test_id("model-row-minilm-uploaded")
    expect(row).to_contain_text("Embedding")
    expect(row.get_by_test_id("model-status")).to_have_attribute("data-state", "ready", timeout=120_000)
    row.locator(".ant-table-row-expand-icon").click()
    details = page.get_by_test_id("model-details-minilm-uploaded")
    expect(details).to_contain_text("parallel 2")
    expect(details.get_by_test_id("model-instances")).to_contain_text("Running")

    # Stop, then delete, each after a confirmation.
    row.get_by_test_id("model-more-minilm-uploaded").click()
    page.get_by_test_id("model-stop-minilm-uploaded").click()
    page.get_by_test_id("model-stop-confirm").click()
    expect(row.get_by_test_id("model-status")).to_have_attribute("data-state", "stopped")
    row.get_by_test_id("model-more-minilm-uploaded").click()
    page.get_by_test_id("model-delete-minilm-uploaded").click()
    page.get_by_test_id("model-delete-confirm").click()
    expect(row).to_have_count(0)
    api = server.admin()
    assert api.get("/api/models").json()["count"] == 0
    api.close()


def test_deploy_dialog_checks_the_fit(model_server: LiveServer, page: Page) -> None:
    model = bundled_model(model_server)
    dep = model["deployment"]
    api = model_server.admin()
    fit_url = f"/api/models/{model['id']}/fit"
    settings = model_server.app.state.settings
    saved_budget = settings.model_memory_budget_bytes
    try:
        now = api.get(fit_url, params={"context_size": dep["context_size"], "parallel": dep["parallel"]}).json()
        assert now["fits"], now
        huge = {"context_size": 8192, "parallel": 64}
        big = api.get(fit_url, params=huge).json()
        if big["fits"]:
            # This machine has room even for 8192 × 64 sequences (about 11 GiB of KV cache): let deployments
            # count on only half of that, so the dialog has something that does not fit to show.
            settings.model_memory_budget_bytes = big["total"] // 2
            big = api.get(fit_url, params=huge).json()
        assert not big["fits"] and big["suggestions"], big
        refused = api.put(f"/api/models/{model['id']}/deployment", json={**huge, "replicas": dep["replicas"]})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "model_does_not_fit"

        sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
        page.goto(f"{model_server.url}/models")
        row = page.get_by_test_id(f"model-row-{MODEL}")
        reasons = {
            "zh-CN": "这台机器没有 GPU，因此在 CPU 上运行。",
            "en": "No GPU on this machine, so it runs on the CPU.",
        }
        for lang, fits, does_not_fit in (("zh-CN", "可以运行", "内存不足"), ("en", "Fits", "Does not fit")):
            if lang == "en":
                switch_language(page, "en")
            row.get_by_test_id(f"model-deploy-{MODEL}").click()
            panel = page.get_by_test_id("fit-panel")

            # How the model runs now fits, on the device hezi chose, with the parts of the estimate.
            expect(panel).to_have_attribute("data-fits", "true")
            expect(page.get_by_test_id("fit-verdict")).to_have_text(fits)
            for need in now["devices"]:
                expect(panel.get_by_test_id(f"fit-device-{need['device']}")).to_have_attribute("data-fits", "true")
            if not now["placement"]["gpu_name"]:  # this box has no GPU: the reason comes from its code, translated
                expect(page.get_by_test_id("fit-reason")).to_have_text(reasons[lang])
            else:
                expect(page.get_by_test_id("fit-reason")).not_to_be_empty()
            expect(page.get_by_test_id("fit-suggestions")).to_have_count(0)
            shot(page, f"deploy-fit-{lang}")

            # A huge context × parallel does not, and the panel says what would.
            page.get_by_test_id("deploy-context").fill(str(huge["context_size"]))
            page.get_by_test_id("deploy-parallel").fill(str(huge["parallel"]))
            expect(panel).to_have_attribute("data-fits", "false")
            expect(page.get_by_test_id("fit-verdict")).to_have_text(does_not_fit)
            expect(page.get_by_test_id("fit-suggestion")).to_have_count(len(big["suggestions"]))
            shot(page, f"deploy-does-not-fit-{lang}")

            if lang == "en":
                # Deploying anyway is refused with the server's reason, and forcing it is offered, never assumed.
                page.get_by_test_id("deploy-form-submit").click()
                expect(page.get_by_test_id("deploy-error")).to_have_text(refused.json()["error"]["message"])
                expect(page.get_by_test_id("deploy-force")).to_be_visible()
                shot(page, "deploy-refused-en")

                # A suggestion fills the form, and then it fits (and the refusal no longer applies).
                first = big["suggestions"][0]
                page.get_by_test_id("fit-suggestion").first.click()
                expect(page.get_by_test_id("deploy-context")).to_have_value(str(first["context_size"]))
                expect(page.get_by_test_id("deploy-parallel")).to_have_value(str(first["parallel"]))
                expect(panel).to_have_attribute("data-fits", "true")
                expect(page.get_by_test_id("deploy-does-not-fit")).to_have_count(0)

                # GPU layers set by hand override hezi's placement; clearing them hands it back.
                override = -1 if now["placement"]["gpu_layers"] != -1 else 0
                page.get_by_test_id("deploy-gpu-layers").fill(str(override))
                expect(page.get_by_test_id("fit-placement")).to_have_attribute("data-overridden", "true")
                page.get_by_test_id("fit-automatic").click()
                expect(page.get_by_test_id("deploy-gpu-layers")).to_have_value("")
                expect(page.get_by_test_id("fit-placement")).to_have_attribute("data-overridden", "false")
                expect(page.get_by_test_id("fit-placement")).to_contain_text("Automatic")

            page.keyboard.press("Escape")
            expect(page.get_by_test_id("deploy-form")).to_have_count(0)
    finally:
        settings.model_memory_budget_bytes = saved_budget
        api.close()

    # Nothing was deployed: the model runs as before.
    assert bundled_model(model_server)["deployment"]["context_size"] == dep["context_size"]
    assert bundled_model(model_server)["deployment"]["parallel"] == dep["parallel"]


def prefix_cache_of(api: Any) -> dict[str, Any] | None:
    model = next(m for m in api.get("/api/models").json()["data"] if m["name"] == MODEL)
    return model["deployment"]["prefix_cache"]


def shown(block: Locator, field: str) -> int:
    """A prefix-cache reading as the page holds it (the raw number; the text is formatted)."""
    value = block.get_by_test_id(f"prefix-cache-{field}")
    expect(value).to_have_attribute("data-value", re.compile(r"^\d+$"))
    return int(value.get_attribute("data-value") or "")


def test_models_page_shows_the_prefix_cache(model_server: LiveServer, page: Page) -> None:
    api = model_server.admin()
    try:
        # A published agent's opening prompts are computed ahead into the chat model's pinned sequences.
        ws = api.default_workspace()
        agent = {"template": "customer-service", "name": unique("prefix"), "lang": "en"}
        r = api.post(f"/api/workspaces/{ws}/agents", json=agent)
        assert r.status_code == 201, r.text
        r = api.post(f"/api/workspaces/{ws}/agents/{r.json()['id']}/publish", json={})
        assert r.status_code == 201, r.text
        wait_for(lambda: (c := prefix_cache_of(api)) and c["pinned"] >= 1, "the agent's prefix pinned", timeout=120)
        # Requests that arrive together and start alike: the prompt they share is computed once, and copied.
        system = "You are a terse assistant for a bakery. " * 12

        def ask(question: str) -> int:
            messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
            r = api.post("/v1/chat/completions", json={"model": MODEL, "messages": messages, "max_tokens": 4})
            return r.status_code

        with ThreadPoolExecutor(3) as pool:
            questions = ("What time do you open?", "Do you sell rye bread?", "Is there parking?")
            assert list(pool.map(ask, questions)) == [200, 200, 200]
        cache: dict[str, Any] = wait_for(
            lambda: (c := prefix_cache_of(api)) and c["prefix_hits"] > 0 and c["tokens_reused"] > 0 and c,
            "a prefix copied and prompt tokens reused",
        )
        embedding = bundled_model(model_server, "multilingual-e5-small")
        assert embedding["deployment"]["prefix_cache"] is None
        dep = bundled_model(model_server)["deployment"]
    finally:
        api.close()
    assert cache["pinned_capacity"] == dep["pinned_prefixes"] * len(dep["instances"]), cache
    assert cache["pinned_bytes"] > 0 and cache["pinned_reserved_bytes"] >= cache["pinned_bytes"], cache

    sign_in(page, model_server.url, model_server.admin_username, model_server.admin_password)
    page.goto(f"{model_server.url}/models")
    row = page.get_by_test_id(f"model-row-{MODEL}")
    expect(row.get_by_test_id("model-status")).to_have_attribute("data-state", "ready")
    bytes_text = re.compile(r"^\d+(\.\d+)? (B|KiB|MiB|GiB)$")
    n = dep["pinned_prefixes"]
    in_summary = {"zh-CN": f"+ 固定前缀 {n}）", "en": f"+ {n} pinned)"}  # context × (parallel + pinned)
    for lang, title in (("zh-CN", "前缀缓存"), ("en", "Prefix cache")):
        if lang == "en":
            switch_language(page, "en")
            page.get_by_test_id("models-refresh").click()
        else:
            row.locator(".ant-table-row-expand-icon").click()
        block = page.get_by_test_id(f"model-details-{MODEL}").get_by_test_id("prefix-cache")
        expect(block).to_have_attribute("data-available", "true")
        expect(block).to_contain_text(title)
        # Every reading is there. The counters only grow, so the page shows at least what the API said a moment ago.
        for field in ("prefix_hits", "tokens_reused", "tokens_copied", "pinned", "pinned_tokens", "warmed"):
            assert shown(block, field) >= cache[field] > 0, field
        assert shown(block, "pinned_hits") >= cache["pinned_hits"]
        assert shown(block, "evicted") >= 0
        assert shown(block, "pinned_capacity") == cache["pinned_capacity"]
        expect(block.get_by_test_id("prefix-cache-pinned_capacity")).to_have_text(str(cache["pinned_capacity"]))
        for field in ("pinned_bytes", "pinned_reserved_bytes"):
            assert shown(block, field) > 0, field
            expect(block.get_by_test_id(f"prefix-cache-{field}")).to_have_text(bytes_text)
        # Embedding models have no prefix cache, and say nothing of one.
        e5 = page.get_by_test_id("model-row-multilingual-e5-small")
        if lang == "zh-CN":
            e5.locator(".ant-table-row-expand-icon").click()
        e5_details = page.get_by_test_id("model-details-multilingual-e5-small")
        expect(e5_details).to_be_visible()
        expect(e5_details.get_by_test_id("prefix-cache")).to_have_count(0)
        block.scroll_into_view_if_needed()
        shot(page, "models-prefix-cache" if lang == "zh-CN" else "models-prefix-cache-en")

        # The deploy form offers pinned prefixes for the chat model, starting from how it runs now…
        row.get_by_test_id(f"model-deploy-{MODEL}").click()
        pinned = page.get_by_test_id("deploy-pinned-prefixes")
        expect(pinned).to_have_value(str(dep["pinned_prefixes"]))
        expect(page.get_by_test_id("deploy-context")).to_have_value(str(dep["context_size"]))
        expect(page.get_by_test_id("deploy-parallel")).to_have_value(str(dep["parallel"]))
        # The unified KV cache is offered, off as the deployment runs now.
        unified = page.get_by_test_id("deploy-kv-unified")
        expect(unified).to_be_visible()
        expect(unified).to_be_checked(checked=bool(dep["kv_unified"]))
        panel = page.get_by_test_id("fit-panel")
        expect(panel).to_be_visible()
        # …and the fit estimate counts their KV memory (their share of the KV cache)…
        expect(panel).to_contain_text(in_summary[lang])
        expect(panel.get_by_test_id("fit-pinned_kv").first).to_have_text(bytes_text)
        shot(page, f"deploy-pinned-prefixes-{lang}")
        # …for the number in the form.
        with page.expect_request(lambda r: "/fit?" in r.url and "pinned_prefixes=0" in r.url):
            pinned.fill("0")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("deploy-form")).to_have_count(0)
        # Not for the embedding model.
        e5.get_by_test_id("model-deploy-multilingual-e5-small").click()
        # (its own settings, not those of the model whose form was open before)
        expect(page.get_by_test_id("deploy-context")).to_have_value(str(embedding["deployment"]["context_size"]))
        expect(page.get_by_test_id("deploy-pinned-prefixes")).to_have_count(0)
        expect(page.get_by_test_id("deploy-kv-unified")).to_have_count(0)
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("deploy-form")).to_have_count(0)
