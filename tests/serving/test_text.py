"""Streaming text: split UTF-8 characters and stop strings across token boundaries."""

from __future__ import annotations

from hezi.serving.llamacpp.text import StreamText


def feed_all(stream: StreamText, pieces: list[bytes]) -> str:
    return "".join(stream.feed(p) for p in pieces) + stream.flush()


def test_chinese_split_across_tokens_is_never_emitted_half() -> None:
    data = "你好，世界".encode()
    pieces = [data[i : i + 1] for i in range(len(data))]  # one byte per "token"
    stream = StreamText()
    emitted = [stream.feed(p) for p in pieces]
    assert all("\ufffd" not in e for e in emitted)
    assert "".join(emitted) + stream.flush() == "你好，世界"


def test_stop_string_spanning_tokens_is_cut_and_never_shown() -> None:
    stream = StreamText(stop=["<END>"])
    out = [stream.feed(b"Hello <E"), stream.feed(b"N"), stream.feed(b"D> ignored")]
    assert out == ["Hello ", "", ""]
    assert stream.stopped and stream.flush() == ""


def test_a_false_alarm_is_released() -> None:
    stream = StreamText(stop=["###"])
    assert stream.feed(b"a ##") == "a "  # "##" might still become "###"
    assert stream.feed(b"c") == "##c"
    assert stream.flush() == ""


def test_partial_stop_at_the_end_is_plain_text() -> None:
    stream = StreamText(stop=["Observation:"])
    assert feed_all(stream, [b"The answer. Obs"]) == "The answer. Obs"
    assert not stream.stopped


def test_earliest_of_several_stops_wins() -> None:
    stream = StreamText(stop=["\n\n", "User:"])
    assert feed_all(stream, [b"one User: two\n\nthree"]) == "one "
