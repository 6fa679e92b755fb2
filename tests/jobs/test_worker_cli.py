"""`hezi worker` runs jobs on its own, next to (or instead of) the worker inside `hezi serve`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable

import psycopg

from tests.helpers import wait_for
from tests.jobs.test_maintenance import _defer


def test_standalone_worker_runs_a_deferred_job_and_stops_on_ctrl_c(new_database: Callable[[], str]) -> None:
    url = new_database()
    env = {**os.environ, "HEZI_DATABASE_URL": url, "HEZI_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-m", "hezi", "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        # The worker migrates the database itself on start; wait for the queue to exist.
        def queue_exists() -> bool:
            with psycopg.connect(url) as conn:
                return conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone() != (None,)

        wait_for(queue_exists, "the worker to create the job queue", timeout=60)
        job_id = asyncio.run(_defer(url))

        def finished() -> str | None:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone()
            return row[0] if row and row[0] in ("succeeded", "failed") else None

        assert wait_for(finished, "the deferred job to finish", timeout=60) == "succeeded"
    finally:
        worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
