"""Weighted fusion's vector weight, as a query gets it: the caller's weight, lowered when the vector ranking's best
hit hardly stands out from the rest (what an embedding model gives for a language it does not read)."""

from __future__ import annotations

import pytest

from hezi.knowledge.retrieval import SPREAD, Hit, effective_vector_weight, fuse_weighted


def ranking(*cosines: float) -> list[Hit]:
    return [Hit(i, c, {"vector": c}) for i, c in enumerate(cosines)]


def test_a_vector_ranking_whose_best_hit_stands_out_keeps_the_asked_weight() -> None:
    standout = ranking(0.82, 0.41, 0.40, 0.38, 0.35, *[0.3] * 15)
    assert effective_vector_weight(0.5, standout) == 0.5
    assert effective_vector_weight(0.7, standout) == pytest.approx(0.7)


def test_a_flat_vector_ranking_counts_for_less() -> None:
    flat = ranking(0.66, 0.65, 0.65, 0.64, 0.64, *[0.62] * 15)  # every chunk alike: noise, not an answer
    used = effective_vector_weight(0.5, flat)
    assert 0 < used < 0.15
    # The best stands out by half of SPREAD: the vector counts half as much as asked (0.25 against full text's 0.5).
    halfway = ranking(0.75, *[0.75 - SPREAD / 2 * 20 / 19] * 19)
    assert effective_vector_weight(0.5, halfway) == pytest.approx(0.25 / 0.75)


def test_all_or_nothing_weights_and_tiny_rankings_are_kept() -> None:
    flat = ranking(0.5, 0.5, 0.5)
    assert effective_vector_weight(1.0, flat) == 1.0 and effective_vector_weight(0.0, flat) == 0.0
    assert effective_vector_weight(0.5, ranking(0.9)) == 0.5


def test_fused_scores_stay_in_zero_to_one_and_follow_the_weight() -> None:
    hits = [Hit(1, 0, {"vector": 0.9, "full_text": 0.2}), Hit(2, 0, {"vector": 0.3, "full_text": 1.0})]
    assert [h.chunk_id for h in fuse_weighted(hits, 0.8, 2)] == [1, 2]
    assert [h.chunk_id for h in fuse_weighted(hits, 0.2, 2)] == [2, 1]
    assert all(0 <= h.score <= 1 for h in fuse_weighted(hits, 0.5, 2))
