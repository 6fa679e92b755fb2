"""What a GGUF file says about itself: architecture, size, quantization, context, template, chat or embedding."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hezi.serving.errors import InvalidModelFile

GGUF_MAGIC = b"GGUF"

# Encoder-only architectures llama.cpp runs as embedding models.
_EMBEDDING_ARCHS = {
    "bert",
    "nomic-bert",
    "nomic-bert-moe",
    "jina-bert-v2",
    "jina-bert-v3",
    "modern-bert",
    "t5encoder",
}
_LAYER = re.compile(r"^blk\.(\d+)\.")


@dataclass
class GgufInfo:
    architecture: str
    name: str
    kind: str  # "chat" or "embedding"
    parameter_count: int
    quantization: str
    context_length: int
    embedding_length: int
    block_count: int
    head_count: int
    head_count_kv: int
    chat_template: str | None
    size_bytes: int
    # Bytes of weights per repeating layer, and outside the layers (embeddings, output head): what
    # placing N layers on a device costs.
    layer_bytes: list[int] = field(default_factory=list)
    other_bytes: int = 0
    token_embd_bytes: int = 0  # the token embeddings stay in CPU memory even when every layer is offloaded
    # The output head that goes to the GPU with the last layer: output.weight, or a copy of the token
    # embeddings when the model ties them (no output.weight), plus the output norm.
    head_bytes: int = 0
    vocab_size: int = 0
    key_length: int = 0  # per-head K width when the file states it (else embedding_length / head_count)
    value_length: int = 0
    # Embedding models trained to read a prefix before questions and documents (E5's "query: " / "passage: "),
    # as hezi's converters write them (hezi.embedding.<role>_prefix); the worker adds them.
    embedding_prefixes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Tensor:
    name: str
    n_elements: int
    n_bytes: int


@dataclass
class _Header:
    """A GGUF's key/values and tensor table. Arrays of strings (a vocabulary) are counted, not kept: gguf's
    GGUFReader builds an object per element and spent 16 s on a 250k-token vocabulary."""

    fields: dict[str, Any]
    tensors: list[_Tensor]


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_KEEP_ARRAY = 4096  # numeric arrays up to this long are kept (per-layer head counts); longer ones are counted


def _read_header(path: Path) -> _Header:
    import mmap
    import struct

    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        pos = 0

        def take(fmt: str) -> Any:
            nonlocal pos
            value = struct.unpack_from(fmt, buf, pos)[0]
            pos += struct.calcsize(fmt)
            return value

        def string() -> str:
            nonlocal pos
            length = take("<Q")
            pos += length
            return bytes(buf[pos - length : pos]).decode("utf-8", "replace")

        def value(vtype: int) -> Any:
            nonlocal pos
            if vtype == _STRING:
                return string()
            if vtype in _SCALARS:
                return take(_SCALARS[vtype])
            if vtype != _ARRAY:
                raise ValueError(f"unknown value type {vtype}")
            etype, count = take("<I"), take("<Q")
            if etype in _SCALARS and count <= _KEEP_ARRAY:
                return [take(_SCALARS[etype]) for _ in range(count)]
            if etype in _SCALARS:
                pos += count * struct.calcsize(_SCALARS[etype])
            else:
                for _ in range(count):
                    value(etype)
            return _Counted(count)

        if take("<4s") != GGUF_MAGIC or take("<I") < 2:
            raise ValueError("not a GGUF v2+ file")
        n_tensors, n_kv = take("<Q"), take("<Q")
        fields = {}
        for _ in range(n_kv):
            key = string()
            fields[key] = value(take("<I"))
        tensors = []
        for _ in range(n_tensors):
            name = string()
            dims = [take("<Q") for _ in range(take("<I"))]
            qtype = GGMLQuantizationType(take("<I"))
            take("<Q")  # offset
            n = 1
            for d in dims:
                n *= d
            block, size = GGML_QUANT_SIZES[qtype]
            tensors.append(_Tensor(name, n, n // block * size))
    return _Header(fields, tensors)


class _Counted(int):
    """A long array, by its length only."""


def read_gguf(path: Path) -> GgufInfo:
    """Parse the header and tensor table. Raises InvalidModelFile for anything that is not a usable GGUF."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise InvalidModelFile(f"Cannot read {path.name}: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise InvalidModelFile(f"{path.name} is not a GGUF file (it does not start with the GGUF magic bytes).")
    from gguf import LlamaFileType  # numpy-heavy; only when a file is actually read

    try:
        reader = _read_header(path)
    except Exception as exc:  # a truncated or corrupt file fails anywhere in the header
        raise InvalidModelFile(f"{path.name} is not a valid GGUF file: {exc}") from exc

    arch = str(reader.fields.get("general.architecture") or "")
    if not arch:
        raise InvalidModelFile(f"{path.name} has no general.architecture; llama.cpp cannot load it.")

    def arch_int(key: str, default: int = 0) -> int:
        value = reader.fields.get(f"{arch}.{key}")
        if isinstance(value, list):  # per-layer head counts: take the largest
            value = max(value) if value else default
        return int(value) if value is not None else default

    layers: dict[int, int] = {}
    other = 0
    token_embd = 0
    params = 0
    for tensor in reader.tensors:
        params += int(tensor.n_elements)
        m = _LAYER.match(tensor.name)
        if m:
            layers[int(m.group(1))] = layers.get(int(m.group(1)), 0) + int(tensor.n_bytes)
        else:
            other += int(tensor.n_bytes)
            if tensor.name == "token_embd.weight":
                token_embd = int(tensor.n_bytes)
    names = {t.name: int(t.n_bytes) for t in reader.tensors if not _LAYER.match(t.name)}
    head = sum(b for n, b in names.items() if n.startswith("output")) + (0 if "output.weight" in names else token_embd)
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    vocab = arch_int("vocab_size") or (int(tokens) if isinstance(tokens, _Counted) else len(tokens or []))
    file_type = reader.fields.get("general.file_type")
    try:
        quant = (
            LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_").removeprefix("ALL_")
            if file_type is not None
            else "unknown"
        )
    except ValueError:
        quant = f"type-{file_type}"
    pooling = reader.fields.get(f"{arch}.pooling_type")
    kind = "embedding" if arch in _EMBEDDING_ARCHS or (pooling is not None and int(pooling) > 0) else "chat"
    template = reader.fields.get("tokenizer.chat_template")
    head_count = arch_int("attention.head_count")
    return GgufInfo(
        architecture=arch,
        name=str(reader.fields.get("general.name") or path.stem),
        kind=kind,
        parameter_count=params,
        quantization=quant,
        context_length=arch_int("context_length"),
        embedding_length=arch_int("embedding_length"),
        block_count=arch_int("block_count"),
        head_count=head_count,
        head_count_kv=arch_int("attention.head_count_kv", head_count),
        chat_template=str(template) if template else None,
        size_bytes=path.stat().st_size,
        layer_bytes=[layers[i] for i in sorted(layers)],
        other_bytes=other,
        token_embd_bytes=token_embd,
        head_bytes=head,
        vocab_size=vocab,
        key_length=arch_int("attention.key_length"),
        value_length=arch_int("attention.value_length"),
        embedding_prefixes={
            role: str(value)
            for role in ("query", "document")
            if (value := reader.fields.get(f"hezi.embedding.{role}_prefix"))
        },
    )
