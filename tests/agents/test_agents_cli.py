"""`hezi agents …`: a script deploys agents to a running hezi over HTTP with an API key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import LiveServer, free_port
from tests.helpers import Api, unique


def hezi(server_url: str, key: str | None, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEZI_")}
    env.update({"HEZI_URL": server_url, "HEZI_LOG_LEVEL": "WARNING", "LANG": "C.UTF-8"})
    if key is not None:
        env["HEZI_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "hezi", "agents", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """stderr of a command that failed as the CLI promises: non-zero exit, one `error: …` line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.fixture
def key(admin: Api) -> str:
    """An API key of a fresh workspace (the workspace the commands act in)."""
    return str(admin.create_key(admin.create_workspace()["id"])["key"])


def test_templates_create_list_publish(live_server: LiveServer, key: str) -> None:
    url = live_server.url
    listing = ok(hezi(url, key, "templates"))
    for template in ("document-qa", "customer-service", "policy-qa", "translator", "data-helper"):
        assert template in listing
    assert "Translator" in listing
    assert "中英翻译" in ok(hezi(url, key, "templates", "--lang", "zh-CN"))

    name = unique("trans")
    created = ok(hezi(url, key, "create", "--template", "translator", "--name", name))
    assert name in created
    blank = ok(hezi(url, key, "create", "--name", unique("blank")))
    assert "created agent" in blank

    lines = ok(hezi(url, key, "list")).splitlines()
    assert len(lines) == 2 and lines[1].split()[0] == name and "draft" in lines[1]
    assert "smollm2-135m-instruct" in lines[1]

    assert "version 1" in ok(hezi(url, key, "publish", name, "--note", "first"))
    assert "v1" in next(line for line in ok(hezi(url, key, "list")).splitlines() if line.startswith(name))


def test_export_then_import_deploys_an_agent_elsewhere(live_server: LiveServer, admin: Api, key: str,
                                                       tmp_path: Path) -> None:  # fmt: skip
    url = live_server.url
    name = unique("support")
    ok(hezi(url, key, "create", "--template", "customer-service", "--name", name, "--lang", "zh-CN"))
    text = ok(hezi(url, key, "export", name))
    doc = yaml.safe_load(text)
    assert doc["hezi"] == "agent/1" and doc["name"] == name and "{{company}}" in doc["config"]["system_prompt"]
    file = tmp_path / "support.yaml"
    file.write_text(text, encoding="utf-8")

    # the same workspace already has it
    assert "already has an agent named" in failed(hezi(url, key, "import", str(file)))
    doc["config"]["opening_statement"] = "Hello from the file"
    file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert name in ok(hezi(url, key, "import", str(file), "--replace"))
    assert "Hello from the file" in ok(hezi(url, key, "export", name))

    # another workspace, another key: the agent is re-created there, from stdin this time
    other = admin.create_key(admin.create_workspace()["id"])["key"]
    assert name in ok(hezi(url, other, "import", "-", stdin=file.read_text(encoding="utf-8")))
    assert ok(hezi(url, other, "export", name)) == ok(hezi(url, key, "export", name))


def test_errors_are_one_clear_line_and_a_non_zero_exit(live_server: LiveServer, key: str, tmp_path: Path) -> None:
    url = live_server.url
    bad = tmp_path / "bad.yaml"
    bad.write_text("hezi: agent/1\nname: hot\nconfig:\n  model_params:\n    temperature: 3\n", encoding="utf-8")
    err = failed(hezi(url, key, "import", str(bad)))
    assert err == "error: config.model_params.temperature: Input should be less than or equal to 2\n"
    bad.write_text("hezi: agent/1\nname: [oops\n", encoding="utf-8")
    assert "not valid YAML: line 3" in failed(hezi(url, key, "import", str(bad)))
    assert "cannot read" in failed(hezi(url, key, "import", str(tmp_path / "missing.yaml")))
    assert "no agent named 'ghost'" in failed(hezi(url, key, "export", "ghost"))
    assert "no agent named 'ghost'" in failed(hezi(url, key, "publish", "ghost"))
    assert "unknown_template" not in failed(hezi(url, key, "create", "--template", "nope"))
    assert "template: there is no agent template 'nope'" in failed(hezi(url, key, "create", "--template", "nope"))

    assert "HEZI_API_KEY" in failed(hezi(url, None, "list"))
    assert "API key" in failed(hezi(url, "hzk_not_a_real_key", "list"))
    nowhere = f"http://127.0.0.1:{free_port()}"
    assert f"cannot reach hezi at {nowhere}" in failed(hezi(nowhere, key, "list"))
    assert ok(hezi(url, key, "list")) == ""  # nothing was made by any of it
