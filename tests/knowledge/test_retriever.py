"""The Retriever agents and apps call: several knowledge bases of one workspace searched at once, their scores
comparable, hits numbered and named for citations, bases of other workspaces refused, rerank across bases, and
bases that use different embedding models searched together."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hezi.knowledge.access import KnowledgeBaseNotFound
from hezi.knowledge.retriever import Retriever
from hezi.knowledge.schemas import MetadataCondition, Retrieval, RetrievalSettings
from tests.conftest import LiveServer
from tests.helpers import Api
from tests.knowledge.test_knowledge_api import add_text, base
from tests.knowledge.test_retrieval import _Reranker, reranker  # noqa: F401  (the fixture, asked for by name)

HR = {
    "leave.txt": "Annual leave: every employee has twenty-five days of paid annual leave per year. "
    "Unused leave can be carried over until March.",
    "travel.txt": "Travel expenses are reimbursed within thirty days when receipts are attached.",
}
IT = {
    "servers.txt": "The data centre has forty servers. Backups of every server run nightly at two o'clock.",
    "vpn.txt": "Forgot it? To reset the VPN password, open the self-service portal and follow the mail it sends.",
    "door.txt": "Leave the door of the server room closed; the alarm rings after one minute.",
}
QUESTIONS = [
    "How many days of annual leave does an employee get?",
    "When do the server backups run?",
    "reset VPN password",
    "are travel receipts reimbursed",
]


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def retriever(model_server: LiveServer) -> Retriever:
    retriever: Retriever = model_server.app.state.services.retriever
    return retriever


@pytest.fixture(scope="module")
def bases(admin: Api) -> dict[str, dict[str, Any]]:
    """HR and IT knowledge bases in one workspace, and a third holding both's documents."""
    ws = admin.create_workspace()["id"]
    out = {name: admin.create_knowledge_base(ws, name=name) for name in ("HR", "IT", "HR+IT")}
    for name, docs in (("HR", HR), ("IT", IT)):
        for doc, text in docs.items():
            add_text(admin, out[name], doc, text)
            add_text(admin, out["HR+IT"], doc, text)
    return out


def ids(*kbs: dict[str, Any]) -> list[uuid.UUID]:
    return [uuid.UUID(kb["id"]) for kb in kbs]


def ws_of(kb: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(kb["ws"])


def retrieve(
    server: LiveServer, retriever: Retriever, kbs: list[dict[str, Any]], query: str, **settings: Any
) -> Retrieval:
    filters = [MetadataCondition(**f) for f in settings.pop("filters", [])]
    s = RetrievalSettings(**settings)
    return server.run(retriever.retrieve(ws_of(kbs[0]), ids(*kbs), query, s, filters))


def test_one_retrieve_searches_every_base_and_names_each_hit(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]]
) -> None:
    hr, it = bases["HR"], bases["IT"]
    leave = retrieve(model_server, retriever, [hr, it], QUESTIONS[0], top_k=5)
    first = leave.hits[0]
    assert (first.document_name, first.knowledge_base_name) == ("leave.txt", "HR")
    assert str(first.knowledge_base_id) == hr["id"]
    assert "twenty-five days" in first.text and first.passage == first.text
    assert [h.position for h in leave.hits] == [1, 2, 3, 4, 5]  # every chunk of both bases, numbered for [n]
    assert {h.knowledge_base_name for h in leave.hits} == {"HR", "IT"}
    assert [h.score for h in leave.hits] == sorted((h.score for h in leave.hits), reverse=True)
    by_name = {h.document_name: h for h in leave.hits}
    assert by_name["servers.txt"].knowledge_base_name == "IT" and by_name["servers.txt"].document_id
    backups = retrieve(model_server, retriever, [hr, it], QUESTIONS[1], top_k=2)
    assert backups.hits[0].document_name == "servers.txt" and backups.hits[0].knowledge_base_name == "IT"
    assert list(backups.vector_weights) == ["multilingual-e5-small"]
    # the order the bases are named in changes nothing
    assert retrieve(model_server, retriever, [it, hr], QUESTIONS[1], top_k=2) == backups
    # threshold and top_k apply to the fused list, not per base
    strict = retrieve(model_server, retriever, [hr, it], QUESTIONS[0], top_k=5, score_threshold=leave.hits[1].score)
    assert [h.chunk_id for h in strict.hits] == [h.chunk_id for h in leave.hits[:2]]


def test_bases_searched_together_rank_as_one_base_holding_both(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]]
) -> None:
    """Scores are comparable across bases: full-text term weights count both bases' documents, proximity is
    measured against the densest chunk of both, and one vector weight is set from the merged vector ranking."""

    def ranking(r: Retrieval) -> list[tuple[float, str]]:
        return sorted((-round(h.score, 5), h.document_name) for h in r.hits)

    for settings in ({"mode": "hybrid"}, {"mode": "full_text"}, {"mode": "vector"}, {"fusion": "rrf"}):
        for q in QUESTIONS:
            apart = retrieve(model_server, retriever, [bases["HR"], bases["IT"]], q, top_k=5, **settings)
            together = retrieve(model_server, retriever, [bases["HR+IT"]], q, top_k=5, **settings)
            assert ranking(apart) == ranking(together), (settings, q)
            assert apart.vector_weights == together.vector_weights


def test_a_base_knowing_only_a_common_word_of_the_question_does_not_win(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]], admin: Api
) -> None:
    """Searched alone, the IT base knows only "leave" of the question, so door.txt holds all of the question it
    knows and scores 1 in full text; searched with HR, where "annual" and "days" count too, it scores far less."""
    q = QUESTIONS[0]
    alone = admin.post(f"{base(bases['IT'])}/retrieve", json={"query": q, "mode": "full_text"}).json()["data"]
    assert [h["document_name"] for h in alone] == ["door.txt"] and alone[0]["score"] == 1.0
    both = retrieve(model_server, retriever, [bases["HR"], bases["IT"]], q, mode="full_text", top_k=5)
    door = next(h for h in both.hits if h.document_name == "door.txt")
    assert both.hits[0].document_name == "leave.txt" and door.score < 0.5


def test_metadata_filters_narrow_every_base(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]], admin: Api
) -> None:
    hr = admin.create_knowledge_base(bases["HR"]["ws"])
    doc = add_text(admin, hr, "leave-2023.txt", "Annual leave in 2023: employees had twenty days of paid leave.")
    assert admin.patch(f"{base(hr)}/documents/{doc['id']}", json={"metadata": {"year": 2023}}).status_code == 200
    found = retrieve(model_server, retriever, [bases["IT"], hr], QUESTIONS[0], top_k=5,
                     filters=[{"key": "year", "value": 2023}])  # fmt: skip
    assert [h.document_name for h in found.hits] == ["leave-2023.txt"] and found.hits[0].metadata == {"year": 2023}


def test_a_knowledge_base_of_another_workspace_is_refused(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]], admin: Api
) -> None:
    elsewhere = admin.create_knowledge_base()  # in a workspace of its own
    add_text(admin, elsewhere, "secret.txt", "The launch code is hidden under the annual leave calendar.")
    ws = ws_of(bases["HR"])
    for asked in ([bases["HR"], elsewhere], [elsewhere]):
        with pytest.raises(KnowledgeBaseNotFound) as refused:
            model_server.run(retriever.retrieve(ws, ids(*asked), QUESTIONS[0]))
        assert refused.value.details == {"knowledge_bases": [elsewhere["id"]]}
    with pytest.raises(KnowledgeBaseNotFound):
        model_server.run(retriever.retrieve(ws, [uuid.uuid4()], QUESTIONS[0]))
    assert model_server.run(retriever.retrieve(ws, [], QUESTIONS[0])).hits == []


def test_a_reranker_reorders_candidates_from_every_base(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]], admin: Api,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    url = request.getfixturevalue("reranker")  # test_retrieval's loopback reranker (Jina/Cohere shape)
    ws = bases["HR"]["ws"]
    r = admin.post(f"/api/workspaces/{ws}/providers", json={"name": "rr", "base_url": url, "models": ["rank-1"]})
    assert r.status_code == 201, r.text
    q = "server backups run nightly"
    found = retrieve(model_server, retriever, [bases["HR"], bases["IT"]], q, top_k=2, rerank_model="rr/rank-1")
    call = _Reranker.calls[-1]
    assert call["query"] == q and len(call["documents"]) == 5  # every candidate of both bases, in one call
    assert [h.document_name for h in found.hits] == ["servers.txt", "door.txt"]
    assert [h.position for h in found.hits] == [1, 2]
    top = found.hits[0]
    assert top.score == top.scores.rerank == 1.0 and top.scores.vector is not None  # every word of the query
    assert found.hits[1].score == 0.25  # "server"


def test_bases_with_different_embedding_models_are_searched_together(
    model_server: LiveServer, retriever: Retriever, bases: dict[str, dict[str, Any]], admin: Api,
    second_embedder: dict[str, Any],
) -> None:  # fmt: skip
    """The question is embedded once per model and each base searched with its own model's vector. Cosines of two
    models are not on one scale (CLS pooling scores unrelated passages 0.5–0.8, mean pooling 0.1–0.3), so mixed
    models are promised in hybrid, where full-text scores compare and a flat vector ranking weighs less."""
    model = second_embedder["name"]  # the bundled MiniLM converted with CLS pooling
    other = admin.create_knowledge_base(bases["HR"]["ws"], embedding_model=model, name="Facilities")
    add_text(admin, other, "parking.txt", "Parking is free for visitors on level two of the garage.")
    add_text(admin, other, "canteen.txt", "The canteen serves lunch from noon until two in the afternoon.")
    for q, doc, kb in ((QUESTIONS[0], "leave.txt", "HR"), ("where can visitors park", "parking.txt", "Facilities"),
                       ("when is lunch served in the canteen", "canteen.txt", "Facilities")):  # fmt: skip
        found = retrieve(model_server, retriever, [bases["HR"], other], q, top_k=3)
        assert (found.hits[0].document_name, found.hits[0].knowledge_base_name) == (doc, kb), (q, found)
        assert set(found.vector_weights) == {"multilingual-e5-small", model}
