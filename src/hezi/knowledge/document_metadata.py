"""A document's free key → value metadata: what a valid set looks like, checked once for every way it arrives."""

from __future__ import annotations

import json
import math
from typing import Any

from hezi.errors import InvalidInput

MAX_KEYS = 32
MAX_KEY_CHARS = 64
MAX_STRING_CHARS = 1000
MAX_JSON_BYTES = 8 * 1024  # kept small: it is copied into every retrieval result and filtered with a GIN index


class InvalidMetadata(InvalidInput):
    code = "invalid_metadata"


def parse_metadata_json(raw: str) -> dict[str, Any]:
    """Metadata given as a JSON object in a query parameter (uploads, whose body is the file)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidMetadata(f"metadata is not valid JSON: {exc.msg}", details={"position": exc.pos}) from exc
    return validate_metadata(value)


def validate_metadata(value: object) -> dict[str, Any]:
    """Flat string keys to strings, finite numbers or booleans; nesting and nulls are refused so filters stay simple."""
    if not isinstance(value, dict):
        raise InvalidMetadata("metadata must be a JSON object of key → value")
    if len(value) > MAX_KEYS:
        raise InvalidMetadata(f"metadata has {len(value)} keys (limit {MAX_KEYS})", details={"keys": len(value)})
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_CHARS or not key.isprintable():
            raise InvalidMetadata(
                f"metadata key {key!r} must be 1–{MAX_KEY_CHARS} printable characters", details={"key": str(key)}
            )
        if isinstance(item, str):
            if len(item) > MAX_STRING_CHARS:
                raise InvalidMetadata(
                    f"metadata value of {key!r} is longer than {MAX_STRING_CHARS} characters", details={"key": key}
                )
        elif isinstance(item, bool | int) or (isinstance(item, float) and math.isfinite(item)):
            pass
        else:
            raise InvalidMetadata(
                f"metadata value of {key!r} must be a string, a number or a boolean, not {type(item).__name__}",
                details={"key": key},
            )
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > MAX_JSON_BYTES:
        raise InvalidMetadata(f"metadata is {size} bytes as JSON (limit {MAX_JSON_BYTES})", details={"bytes": size})
    return dict(value)
