"""The procrastinate app bound to hezi's database, with every task registered."""

from __future__ import annotations

import procrastinate

from hezi.db.urls import libpq_url
from hezi.jobs import knowledge, maintenance


def build_job_app(database_url: str) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq_url(database_url)))
    maintenance.register(app)
    knowledge.register(app)
    return app
