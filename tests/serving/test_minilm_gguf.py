"""all-MiniLM-L6-v2, converted to GGUF and run by llama.cpp, embeds as sentence-transformers does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf
import llama_cpp
import numpy as np
import numpy.typing as npt
import pytest

from hezi.serving.minilm_gguf import GGUF_FILENAME, convert, ensure_minilm_gguf, find_minilm_dir

REFERENCE_PATH = Path(__file__).parent / "fixtures" / "minilm_reference.json"
REFERENCE = json.loads(REFERENCE_PATH.read_text(encoding="utf-8"))
SENTENCES: list[str] = [s["text"] for s in REFERENCE["sentences"]]


@pytest.fixture(scope="module")
def gguf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_minilm_gguf(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def llm(gguf_path: Path) -> Iterator[llama_cpp.Llama]:
    model = llama_cpp.Llama(
        model_path=str(gguf_path),
        embedding=True,
        pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
        n_ctx=512,
        verbose=False,
    )
    yield model
    model.close()


@pytest.fixture(scope="module")
def embeddings(llm: llama_cpp.Llama) -> dict[str, npt.NDArray[np.float64]]:
    vectors = np.asarray(llm.embed(SENTENCES), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return dict(zip(SENTENCES, vectors, strict=True))


def test_embeddings_match_sentence_transformers(embeddings: dict[str, npt.NDArray[np.float64]]) -> None:
    cosines = {}
    for entry in REFERENCE["sentences"]:
        reference = np.asarray(entry["embedding"], dtype=np.float64)
        cosines[entry["text"]] = float(embeddings[entry["text"]] @ (reference / np.linalg.norm(reference)))
    assert {text: c for text, c in cosines.items() if c < 0.99} == {}
    # Same weights, same tokens: anything short of near-identical means the conversion lost something.
    assert min(cosines.values()) > 0.9999


def test_wordpiece_tokens_match_hugging_face(llm: llama_cpp.Llama) -> None:
    # [CLS] … [SEP], the same pieces for lowercasing, accents, CJK, punctuation, URLs, an emoji ([UNK]).
    for entry in REFERENCE["sentences"]:
        assert llm.tokenize(entry["text"].encode()) == entry["token_ids"], entry["text"]


def test_similar_sentences_are_closer(embeddings: dict[str, npt.NDArray[np.float64]]) -> None:
    def sim(a: str, b: str) -> float:
        return float(embeddings[a] @ embeddings[b])

    food = "A man is eating food."
    assert sim(food, "A man is eating a piece of bread.") > sim(food, "The girl is carrying a baby.") + 0.3
    assert sim(food, "A man is eating a piece of bread.") > sim(food, "A man is riding a horse.")
    password = "How do I reset my password?"
    assert sim(password, "The quick brown fox jumps over the lazy dog.") < 0.2
    # No Chinese ranking here: all-MiniLM-L6-v2 was trained on English and scores any two Chinese sentences
    # ~0.5-0.8 (in sentence-transformers too); its Chinese vectors are checked against the reference above.


def test_gguf_metadata_reads_back(gguf_path: Path, llm: llama_cpp.Llama) -> None:
    reader = gguf.GGUFReader(gguf_path)

    def field(key: str) -> Any:
        f = reader.fields[key]
        return f.contents()

    assert field("general.architecture") == "bert"
    assert field("bert.embedding_length") == 384
    assert field("bert.block_count") == 6
    assert field("bert.context_length") == 512
    assert field("bert.attention.head_count") == 12
    assert field("bert.attention.causal") is False
    assert field("bert.pooling_type") == gguf.PoolingType.MEAN
    assert field("tokenizer.ggml.model") == "bert"
    tokens = field("tokenizer.ggml.tokens")
    assert len(tokens) == 30522
    assert tokens[101] == "[CLS]"
    assert tokens[1996] == "\u2581the"  # word-initial pieces carry the phantom space
    assert all(not t.startswith("##") for t in tokens)  # continuations are stored bare
    assert {t.name for t in reader.tensors} >= {"token_embd.weight", "blk.5.layer_output_norm.bias"}
    assert llm.n_embd() == 384


def test_ensure_converts_once_and_replaces_a_broken_file(tmp_path: Path) -> None:
    path = ensure_minilm_gguf(tmp_path)
    assert path == tmp_path / GGUF_FILENAME
    first = path.stat()
    assert ensure_minilm_gguf(tmp_path) == path
    assert path.stat().st_mtime_ns == first.st_mtime_ns and path.stat().st_ino == first.st_ino

    path.write_bytes(b"GGUF" + b"\0" * 20)  # e.g. a copy cut short
    ensure_minilm_gguf(tmp_path)
    assert path.stat().st_size == first.st_size
    assert [p.name for p in tmp_path.iterdir()] == [GGUF_FILENAME]  # no temp files left behind


def test_convert_refuses_a_model_llama_cpp_would_run_wrongly(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    config = json.loads((find_minilm_dir() / "config.json").read_text(encoding="utf-8"))
    (model_dir / "config.json").write_text(json.dumps({**config, "position_embedding_type": "relative_key"}))
    with pytest.raises(ValueError, match="position_embedding_type"):
        convert(model_dir, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()
