"""Fixtures shared by the knowledge tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.knowledge.embedders import import_cls_minilm


@pytest.fixture(scope="session")
def second_embedder(model_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A second embedding model on the model server, imported once per run (a file is imported only once)."""
    admin = model_server.admin()
    try:
        return import_cls_minilm(admin, tmp_path_factory.mktemp("cls"))
    finally:
        admin.close()
