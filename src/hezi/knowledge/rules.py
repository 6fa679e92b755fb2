"""Chunking settings as stored on a knowledge base (JSON) ↔ the rule objects chunking.py takes."""

from __future__ import annotations

from typing import Any

from hezi.knowledge.chunking import AutomaticRules, ChunkingRules, CustomRules, ParentChildRules
from hezi.knowledge.errors import InvalidChunkingRules

# Small enough for all-MiniLM-L6-v2, which reads 256 word pieces (decision 0005); the token count is an estimate.
DEFAULT = {"mode": "automatic", "max_tokens": 200, "overlap_tokens": 30}

_MODES: dict[str, type[AutomaticRules] | type[CustomRules] | type[ParentChildRules]] = {
    "automatic": AutomaticRules,
    "custom": CustomRules,
    "parent_child": ParentChildRules,
}


def rules_from(settings: dict[str, Any]) -> ChunkingRules:
    """Build (and so validate) chunking rules from a knowledge base's settings."""
    values = {**DEFAULT, **settings} if settings.get("mode", "automatic") == "automatic" else dict(settings)
    mode = values.pop("mode", "automatic")
    cls = _MODES.get(mode)
    if cls is None:
        raise InvalidChunkingRules(f"unknown chunking mode {mode!r}; use one of {', '.join(_MODES)}")
    try:
        return cls(**values)
    except TypeError as exc:
        raise InvalidChunkingRules(f"chunking settings for {mode!r}: {exc}") from None
