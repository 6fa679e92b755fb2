"""Weighted fusion as a query gets it: each vector hit's cosine relative to the question's own vector ranking
(so models whose cosines sit on different scales count alike), and the caller's weight raised when the knowledge
base lacks most of the question's words (a question in another language than the documents)."""

from __future__ import annotations

import pytest

from hezi.knowledge.retrieval import (
    FLOOR_RANK,
    Hit,
    effective_vector_weight,
    fuse_weighted,
    relative_cosines,
    vector_floor,
)


def ranking(*cosines: float) -> list[Hit]:
    return [Hit(i, c, {"vector": c}) for i, c in enumerate(cosines)]


def test_cosines_count_from_the_rankings_own_floor() -> None:
    # multilingual-e5-small puts every chunk near 0.85; its answer stands out by a few hundredths
    e5 = ranking(0.93, 0.90, 0.89, *[0.87] * (FLOOR_RANK - 4), 0.85, 0.80, 0.70)
    assert vector_floor(e5) == 0.85
    relative_cosines(e5, vector_floor(e5))
    assert [h.scores["vector"] for h in e5[:2]] == pytest.approx([(0.93 - 0.85) / 0.15, (0.90 - 0.85) / 0.15])
    assert all(h.scores["vector"] == 0 for h in e5[FLOOR_RANK - 1 :])  # the floor and below it: no opinion
    assert e5[0].score == 0.93  # the ranking's own cosines stay as they were


def test_a_short_ranking_counts_from_its_worst_hit() -> None:
    few = ranking(0.7, 0.5, 0.3)
    assert vector_floor(few) == 0.3 and vector_floor([]) == 0.0
    relative_cosines(few, vector_floor(few))
    assert [h.scores["vector"] for h in few] == pytest.approx([0.4 / 0.7, 0.2 / 0.7, 0.0])


def test_the_weight_rises_as_far_as_the_knowledge_base_lacks_the_question() -> None:
    assert effective_vector_weight(0.5, 1.0) == 0.5  # every word known: as asked
    assert effective_vector_weight(0.5, 0.5) == pytest.approx(0.5 / 0.75)
    assert effective_vector_weight(0.5, 0.0) == 1.0  # no word known: the vector alone
    assert effective_vector_weight(1.0, 0.3) == 1.0 and effective_vector_weight(0.0, 0.0) == 0.0  # kept as asked


def test_fused_scores_stay_in_zero_to_one_and_follow_the_weight() -> None:
    hits = [Hit(1, 0, {"vector": 0.9, "full_text": 0.2}), Hit(2, 0, {"vector": 0.3, "full_text": 1.0})]
    assert [h.chunk_id for h in fuse_weighted(hits, 0.8, 2)] == [1, 2]
    assert [h.chunk_id for h in fuse_weighted(hits, 0.2, 2)] == [2, 1]
    assert all(0 <= h.score <= 1 for h in fuse_weighted(hits, 0.5, 2))
