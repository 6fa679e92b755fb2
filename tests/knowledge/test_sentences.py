from __future__ import annotations

from hezi.knowledge.sentences import hard_split, join_sentences, split_sentences
from hezi.knowledge.tokens import estimate_tokens


def test_chinese_sentence_ends() -> None:
    assert split_sentences("天气很好。我们去公园吧！你去吗？好；走") == [
        "天气很好。",
        "我们去公园吧！",
        "你去吗？",
        "好；",
        "走",
    ]


def test_english_sentence_ends_but_not_decimals() -> None:
    text = 'Pi is 3.14. He said "stop." Really? Yes!'
    assert split_sentences(text) == ["Pi is 3.14.", 'He said "stop."', "Really?", "Yes!"]


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert split_sentences("他说：「好的。」然后走了。") == ["他说：「好的。」", "然后走了。"]


def test_join_restores_mixed_text() -> None:
    text = "第一句。第二句！Then English. 再来中文。"
    assert join_sentences(split_sentences(text)) == text


def test_hard_split_respects_budget_without_cutting_words() -> None:
    text = "没有标点的很长的句子" * 5 + " and some English words at the end"
    pieces = hard_split(text, 8, estimate_tokens)
    assert all(estimate_tokens(p) <= 8 for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == text.replace(" ", "")
