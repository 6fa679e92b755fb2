from __future__ import annotations

from hezi.knowledge.tokens import estimate_tokens


def test_cjk_characters_count_one_each_and_words_one_point_three() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("中文测试") == 4
    assert estimate_tokens("one two three four five six seven eight nine ten") == 13
    assert estimate_tokens("中文 and English") == 2 + 3


def test_joining_never_counts_more_than_the_parts() -> None:
    parts = ["Hello there.", "这是一句话。", "One more sentence here."]
    assert estimate_tokens(" ".join(parts)) <= sum(estimate_tokens(p) for p in parts)


def test_run_together_words_count_by_their_length() -> None:
    """A PDF whose text layer lost its spaces gives 'words' a sub-word tokenizer cuts into many tokens."""
    run_together = "savespacewhilerelaxingthepackagerequirements"  # 44 characters, about 10 word pieces
    assert estimate_tokens(run_together) == 11
    assert estimate_tokens("internationalisation") == 5
    assert estimate_tokens("ordinary words stay cheap") == 6
