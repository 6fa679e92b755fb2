"""The code sandbox (hezi.agents.sandbox): a normal program works and its output and errors come back; each
escape attempt is stopped with a clear error or ends harmlessly; and the server goes on serving while a sandboxed
program spins."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import httpx
import psutil
import pytest

from hezi.agents.context import RunContext
from hezi.agents.sandbox import SandboxLimits, SandboxResult, SandboxUnavailable, command, run_python, runner
from hezi.agents.tools.base import ToolFailed
from hezi.agents.tools.builtin import BUILTIN_TOOLS
from hezi.serving.usage import Attribution
from tests.conftest import LiveServer
from tests.helpers import wait_for

LIMITS = SandboxLimits(wall_seconds=20)


def run(code: str, limits: SandboxLimits = LIMITS) -> SandboxResult:
    return asyncio.run(run_python(code, limits))


def sandbox_processes(marker: str) -> list[psutil.Process]:
    """Processes on the host whose command line carries `marker` (a sandboxed program re-execs itself with it)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if marker in (p.info["cmdline"] or []):
            found.append(p)
    return found


def both_spinning(marker: str) -> list[psutil.Process] | None:
    found = sandbox_processes(marker)
    return found if len(found) == 2 else None


# A program that makes itself findable from the host: it re-execs Python with a marker in its arguments, starts a
# child (so the test can see the whole sandbox go, not only its first process) and then spins for ever.
SPIN = """\
import os, sys
if len(sys.argv) == 1:
    os.execv(sys.executable, [sys.executable, "main.py", "{marker}"])
if os.fork() == 0:
    os.execv(sys.executable, [sys.executable, "-c", "while True: pass", "{marker}"])
while True:
    pass
"""


# --- what a program gets -------------------------------------------------------------------------------------------


def test_a_normal_program_runs_and_its_output_comes_back() -> None:
    result = run(
        "import json, math\n"
        "squares = sum(i * i for i in range(1, 11))\n"
        "print(json.dumps({'squares': squares, 'root': math.sqrt(squares)}))\n"
    )
    assert result.exit_code == 0 and result.error is None and result.limit is None
    assert result.stdout == '{"squares": 385, "root": 19.621416870348583}\n'
    assert result.stderr == ""


def test_stdout_stderr_and_a_traceback_come_back() -> None:
    result = run("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n\nraise ValueError('boom')\n")
    assert result.exit_code == 1 and result.limit is None and result.error is None
    assert result.stdout == "to stdout\n"
    assert result.stderr.startswith("to stderr\nTraceback (most recent call last):\n")
    assert 'File "/tmp/main.py", line 5, in <module>' in result.stderr  # the program's own line numbers
    assert result.stderr.rstrip().endswith("ValueError: boom")
    syntax = run("print('unclosed'\n")
    assert syntax.exit_code == 1 and "SyntaxError" in syntax.stderr


def test_the_program_runs_as_nobody_in_an_empty_environment_without_hezi() -> None:
    result = run(
        "import os, sys\n"
        "print(os.getuid(), os.getgid())\n"
        "print(sorted(os.environ))\n"
        "print(os.getcwd(), sys.prefix)\n"
        "try:\n"
        "    import hezi\n"
        "except ImportError:\n"
        "    print('no hezi')\n"
        "print(sorted(os.listdir('/')))\n"
    )
    uid, env, where, hezi, root = result.stdout.splitlines()
    assert uid == "65534 65534"
    assert set(eval(env)) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_CTYPE", "PWD"}, env  # no HEZI_* or anything else
    cwd, prefix = where.split()
    assert cwd == "/tmp" and ".venv" not in prefix
    assert hezi == "no hezi"  # hezi's virtual environment is not there
    assert "etc" not in eval(root) and "home" not in eval(root) and "work" not in eval(root)


# --- escapes -------------------------------------------------------------------------------------------------------


def test_no_network_outside_or_to_the_host(live_server: LiveServer) -> None:
    port = live_server.settings.port
    assert httpx.get(f"{live_server.url}/readyz").status_code == 200  # the host does answer on that port
    result = run(
        "import socket\n"
        f"for address in [('1.1.1.1', 80), ('127.0.0.1', {port}), ('10.0.0.1', 80), ('169.254.169.254', 80)]:\n"
        "    try:\n"
        "        socket.create_connection(address, timeout=3)\n"
        "        print('connected', address)\n"
        "    except OSError as exc:\n"
        "        print('refused', address, exc.errno)\n"
        "try:\n"
        "    socket.getaddrinfo('example.com', 80)\n"
        "    print('resolved')\n"
        "except OSError:\n"
        "    print('no name service')\n"
        "print([name for _, name in socket.if_nameindex()])\n"
    )
    lines = result.stdout.splitlines()
    assert result.exit_code == 0, result.stderr
    assert all(line.startswith("refused") for line in lines[:4]), lines
    assert lines[4] == "no name service"
    assert lines[5] == "['lo']"  # a network namespace of its own, with only its own loopback


def test_host_files_are_not_there(live_server: LiveServer) -> None:
    data_dir = live_server.settings.resolved_data_dir
    secret_key = data_dir / "secret.key"  # SecretBox.from_settings keeps the generated key here
    assert secret_key.is_file() and Path("/etc/shadow").is_file()  # they exist on the host
    venv = Path(__file__).resolve().parents[2] / ".venv"
    paths = ["/etc/shadow", "/etc/passwd", str(secret_key), str(data_dir), str(venv), "/proc/1/root/etc/shadow"]
    result = run(
        "import os\n"
        f"for path in {paths!r}:\n"
        "    try:\n"
        "        print('read', path, os.listdir(path) if os.path.isdir(path) else open(path).read()[:20])\n"
        "    except OSError as exc:\n"
        "        print('no', path, type(exc).__name__)\n"
        "for home in ['/root', '/home']:\n"
        "    print(sorted(os.listdir(home)) if os.path.isdir(home) else [])\n"
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[: len(paths)] == [f"no {path} FileNotFoundError" for path in paths]
    # /root or /home hold at most the way down to the interpreter's prefix (pyenv lives there), nothing of their own
    prefix = command.interpreter(None, command.NOBODY if os.geteuid() == 0 else None).parent.parent
    for listing in lines[len(paths) :]:
        assert set(eval(listing)) <= set(prefix.parts), listing
    assert secret_key.read_text() not in result.stdout


def test_writes_stay_in_the_private_tmp(tmp_path: Path) -> None:
    name = f"sandbox-{uuid.uuid4().hex}"
    repo = Path(__file__).resolve().parents[2]
    targets = [f"/{name}", f"/usr/{name}", f"/etc/{name}", f"/dev/{name}", f"{tmp_path}/{name}", f"{repo}/{name}"]
    result = run(
        f"for path in {targets!r}:\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        print('wrote', path)\n"
        "    except OSError as exc:\n"
        "        print('no', path, type(exc).__name__)\n"
        f"open('/tmp/{name}', 'w').write('inside')\n"
        f"print(open('/tmp/{name}').read())\n"
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("no ") for line in lines[:-1]), lines
    assert lines[-1] == "inside"  # its own /tmp works
    for path in [*targets, f"/tmp/{name}"]:
        assert not Path(path).exists(), path  # nothing reached the host, not even the host's /tmp


def test_a_fork_bomb_hits_the_process_limit() -> None:
    result = run("import os\nwhile True:\n    os.fork()\n", LIMITS.replace(processes=32))
    assert result.limit == "processes", result
    assert result.error == "Process limit: the program may run at most 32 processes and threads."
    threads = run(
        "import threading\n"
        "for _ in range(100):\n"
        "    threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
    )
    assert threads.limit == "processes", threads


def test_a_limit_is_read_from_interleaved_tracebacks() -> None:
    """A fork bomb's children go on writing their tracebacks after the first process has died: the limit is read
    from the last exception line, not from whatever line came last (as CI once saw)."""
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/main.py", line 3, in <module>\n'
        "Traceback (most recent call last):\n"
        "    os.fork()\n"
        "BlockingIOError: [Errno 11] Resource temporarily unavailable\n"
        "Traceback (most recent call last):\n"
        '  File "/tmp/main.py", line 3, in <module>\n'
    )
    assert runner._limit_of(1, stderr) == "processes"
    assert runner._limit_of(1, "Traceback (most recent call last):\n    x = 1\nValueError: boom\n") is None


def test_allocating_10_gib_hits_the_memory_limit() -> None:
    result = run("data = bytearray(10 * 1024**3)\n")
    assert result.limit == "memory" and result.exit_code == 1
    assert result.error == "Memory limit: the program tried to use more than 512 MiB."
    chunks = run("chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024**2))\n")
    assert chunks.limit == "memory", chunks


def test_100_mb_of_output_is_cut_at_the_limit() -> None:
    result = run("import sys\nsys.stdout.write('x' * 100_000_000)\n")
    assert result.limit == "output" and result.exit_code is None
    assert result.error == "Output limit: the program printed more than 1 MiB and was stopped."
    assert result.stdout == "x" * 1024**2
    lines = run("while True:\n    print('line of output', flush=True)\n", LIMITS.replace(output_bytes=4096))
    assert lines.limit == "output" and len(lines.stdout) == 4096


def test_filling_the_disk_is_stopped() -> None:
    result = run("open('/tmp/big', 'wb').write(b'x' * 100 * 1024**2)\n", LIMITS.replace(disk_bytes=16 * 1024**2))
    assert result.limit in ("disk", "file_size"), result
    assert result.error is not None and "16 MiB" in result.error


def test_cpu_time_is_limited() -> None:
    result = run("while True:\n    pass\n", LIMITS.replace(cpu_seconds=1))
    assert result.limit == "cpu" and result.error == (
        "CPU limit: a process used more than 1 s of CPU time and was stopped."
    )


def test_an_endless_loop_is_stopped_while_the_server_keeps_serving(live_server: LiveServer) -> None:
    marker = f"sandbox-{uuid.uuid4().hex}"
    limits = LIMITS.replace(wall_seconds=6, cpu_seconds=60)
    services = live_server.app.state.services
    # On the server's own event loop, like an agent's tool call.
    running = asyncio.run_coroutine_threadsafe(run_python(SPIN.format(marker=marker), limits), services.loop)
    spinning = wait_for(lambda: both_spinning(marker), "the program and its child to spin")
    if os.geteuid() == 0:
        assert {p.uids().real for p in spinning} == {65534}  # not root on the host either
    # Meanwhile the same event loop serves HTTP and runs another tool.
    assert httpx.get(f"{live_server.url}/readyz", timeout=5).status_code == 200
    ctx = RunContext(
        workspace_id=uuid.uuid4(), who=Attribution(None), models=services.models, retriever=services.retriever,
        egress=services.egress, secrets=services.secrets, settings=services.settings,
    )  # fmt: skip
    assert live_server.run(BUILTIN_TOOLS["calculator"].call({"expression": "6*7"}, ctx)).value == "42"
    assert not running.done()  # both answered while the program was still running
    result = running.result(timeout=30)
    assert result.limit == "timeout" and result.exit_code is None
    assert result.error == "Time limit: the program ran longer than 6 s and was stopped."
    wait_for(lambda: not sandbox_processes(marker), "every process of the sandbox to be gone", timeout=10)


def test_a_cancelled_run_leaves_no_process_behind() -> None:
    marker = f"sandbox-{uuid.uuid4().hex}"

    async def cancel_once_spinning() -> None:
        task = asyncio.create_task(run_python(SPIN.format(marker=marker), LIMITS.replace(cpu_seconds=60)))
        await asyncio.to_thread(wait_for, lambda: both_spinning(marker), "the program and its child to spin")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_once_spinning())
    wait_for(lambda: not sandbox_processes(marker), "every process of the cancelled sandbox to be gone", timeout=10)


# --- no sandbox, no run --------------------------------------------------------------------------------------------


def test_without_bubblewrap_code_is_refused_not_run_unsandboxed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, live_server: LiveServer
) -> None:
    witness = tmp_path / "ran"
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine where bwrap is not installed
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        run(f"open({str(witness)!r}, 'w').write('ran')\n")
    services = live_server.app.state.services
    ctx = RunContext(
        workspace_id=uuid.uuid4(), who=Attribution(None), models=services.models, retriever=services.retriever,
        egress=services.egress, secrets=services.secrets, settings=services.settings,
    )  # fmt: skip
    with pytest.raises(ToolFailed) as failed:
        asyncio.run(BUILTIN_TOOLS["code_interpreter"].call({"code": "print(1)"}, ctx))
    assert failed.value.code == "sandbox_unavailable" and "make bubblewrap" in failed.value.message
    assert not witness.exists()


def test_an_interpreter_the_sandbox_user_cannot_reach_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match="HEZI_SANDBOX_PYTHON"):
        run("print(1)\n", LIMITS.replace(python=tmp_path / "no-such-python"))


def test_long_code_is_refused_before_anything_runs() -> None:
    with pytest.raises(Exception, match="longer than 100 characters"):
        run("x = 1\n" * 50, LIMITS.replace(max_code_chars=100))


def test_runs_do_not_see_each_other() -> None:
    async def both() -> list[SandboxResult]:
        first = run_python("open('/tmp/mine', 'w').write('first')\nprint(open('/tmp/mine').read())\n", LIMITS)
        second = run_python("import os\nprint(os.path.exists('/tmp/mine'), sorted(os.listdir('/tmp')))\n", LIMITS)
        return list(await asyncio.gather(first, second))

    first, second = asyncio.run(both())
    assert first.stdout == "first\n"
    assert second.stdout == "False ['main.py']\n"  # a fresh /tmp each, holding only its own program
