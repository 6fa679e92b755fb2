"""/v1/embeddings with the bundled all-MiniLM-L6-v2, through the official SDK."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import openai
import pytest

from hezi.serving.bundled import MINILM_NAME, SMOLLM2_NAME
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def client(model_server: LiveServer) -> openai.OpenAI:
    admin = model_server.admin()
    key: dict[str, Any] = admin.create_key(admin.default_workspace(), name="embedding tests")
    return openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=key["key"], max_retries=0, timeout=120)


def test_embeddings_are_normalised_and_meaningful(client: openai.OpenAI) -> None:
    texts = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]
    r = client.embeddings.create(model=MINILM_NAME, input=texts)
    assert [d.index for d in r.data] == [0, 1, 2]
    vecs = np.array([d.embedding for d in r.data])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.3
    assert r.usage.prompt_tokens == r.usage.total_tokens > 10


def test_base64_encoding_matches_floats_and_batches_match_singles(client: openai.OpenAI) -> None:
    texts = [f"document number {i} about {topic}" for i, topic in enumerate(["cats", "tax law", "rockets"] * 6)]
    floats = client.embeddings.create(model=MINILM_NAME, input=texts)
    b64 = client.embeddings.with_raw_response.create(model=MINILM_NAME, input=texts, encoding_format="base64")
    raw = b64.http_response.json()["data"]
    for f, b in zip(floats.data, raw, strict=True):
        decoded = np.frombuffer(base64.b64decode(b["embedding"]), dtype="<f4")
        assert np.allclose(decoded, f.embedding, atol=1e-6)
    single = client.embeddings.create(model=MINILM_NAME, input=texts[4])
    assert np.allclose(single.data[0].embedding, floats.data[4].embedding, atol=1e-4)


def test_embedding_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as wrong:
        client.embeddings.create(model=SMOLLM2_NAME, input="hello")
    assert wrong.value.code == "wrong_model_kind"
    with pytest.raises(openai.BadRequestError) as long:
        client.embeddings.create(model=MINILM_NAME, input=["short", "word " * 2000])
    assert long.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model=MINILM_NAME, input="x", dimensions=128)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model=MINILM_NAME, input=[])
    with pytest.raises(openai.BadRequestError) as chat_on_embedder:
        client.chat.completions.create(model=MINILM_NAME, messages=[{"role": "user", "content": "hi"}])
    assert chat_on_embedder.value.code == "wrong_model_kind"
