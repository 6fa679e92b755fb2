"""Which hezi model stands in for a model a Dify file names by provider and name.

Dify names a model as `{provider, name}`: `openai` / `gpt-4o` in DSL 0.1.x, `langgenius/openai/openai` / `gpt-4o`
since plugins (0.2.0). hezi names local models by their deployment name (`qwen2.5-7b-instruct`) and a workspace's
remote ones as `provider/model` (`openai/gpt-4o`). A name found neither way becomes the box's default chat model,
which the import reports as a warning: the workflow still runs, on a different model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelChoice:
    name: str
    substituted: bool  # True: the file's model was not found here and `name` is the default instead


class ModelMap:
    def __init__(self, available: Iterable[str], default: str) -> None:
        self.available = list(dict.fromkeys([*available, default]))
        self.default = default
        self._lower = {n.lower(): n for n in self.available}

    def choose(self, provider: str, name: str) -> ModelChoice:
        """The hezi model for Dify's `provider`/`name`: the same name, `provider/name`, or a unique `*/name`."""
        name = (name or "").strip()
        if not name:  # a node whose model was never chosen in Dify's editor
            return ModelChoice(self.default, True)
        short = (provider or "").strip().rstrip("/").split("/")[-1].lower()
        for candidate in (name, f"{short}/{name}" if short else None):
            if candidate is not None and candidate.lower() in self._lower:
                return ModelChoice(self._lower[candidate.lower()], False)
        tail = [n for n in self.available if "/" in n and n.rsplit("/", 1)[1].lower() == name.lower()]
        if len(tail) == 1:
            return ModelChoice(tail[0], False)
        return ModelChoice(self.default, True)
