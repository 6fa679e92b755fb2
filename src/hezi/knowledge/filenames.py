"""Uploaded file names are user input: clean them before they reach a path, a log line or a header."""

from __future__ import annotations

import re
import unicodedata

from hezi.knowledge.errors import UnsafeFilename

MAX_FILENAME_CHARS = 200
_RESERVED_WINDOWS = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE_CHARS = re.compile(r'[<>:"|?*\\/]')


def safe_filename(name: str, *, max_chars: int = MAX_FILENAME_CHARS) -> str:
    """Return the base name of `name` with path parts, control characters and reserved names removed.

    Directory parts (`../`, `C:\\`, absolute paths) are dropped rather than refused, because browsers and clients
    legitimately send full paths; what is left must be a plain, printable name or `UnsafeFilename` is raised.
    """
    name = unicodedata.normalize("NFC", name)
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")  # control, format, unassigned
    base = _UNSAFE_CHARS.sub("_", base).strip().strip(".").strip()
    if not base or set(base) <= {"_", " "}:
        raise UnsafeFilename(f"file name {name!r} has nothing usable left after cleaning", details={"name": name})
    stem, dot, ext = base.rpartition(".")
    if (stem if dot else base).lower() in _RESERVED_WINDOWS:
        base = f"_{base}"
    if len(base) > max_chars:
        stem, dot, ext = base.rpartition(".")
        keep_ext = f".{ext}" if dot and len(ext) <= 10 else ""
        base = base[: max_chars - len(keep_ext)] + keep_ext
    return base
