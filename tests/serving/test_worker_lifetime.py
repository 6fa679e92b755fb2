"""A model worker ends with the process that started it, even when that process is killed outright."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

from hezi.serving import bundled
from tests.helpers import wait_for

# A stand-in for `hezi serve`: starts one worker, says its pid, then waits to be killed.
_PARENT = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-m", "hezi.serving.llamacpp.worker", "--model", sys.argv[1],
                           "--name", "lifetime", "--socket", sys.argv[2], "--parallel", "1", "--threads", "1"])
print(worker.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_worker_does_not_outlive_a_killed_server(tmp_path: Path) -> None:
    model = bundled.smollm2_path()
    assert model is not None, "the bundled chat model is installed by make install"
    socket = tmp_path / "worker.sock"
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(model), str(socket)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    try:
        wait_for(socket.exists, timeout=120, what="the worker to load its model and listen")
        parent.kill()  # SIGKILL: the parent can stop nothing
        parent.wait(timeout=30)
        wait_for(lambda: _gone(worker), timeout=30, what="the orphaned worker to end")
    finally:
        if not _gone(worker):
            psutil.Process(worker).kill()
