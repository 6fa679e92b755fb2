"""Token counting for chunk budgets: pluggable, with a cheap default that needs no tokenizer files."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

# Han, kana, Hangul and full-width forms: one token each in the tokenizers of multilingual embedding models.
CJK_CHAR = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]")
WORDS_TO_TOKENS = 1.3
LONG_WORD = 12  # longer "words" (run-together PDF text, URLs, identifiers) are cut into many sub-word tokens
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """CJK characters count one each; other text counts 1.3 per whitespace-separated word, rounded up.

    Why an estimate: chunking runs before (and apart from) any model, must be deterministic across machines and
    fast on 1M chunks. Sub-word tokenizers (bge-m3, MiniLM, Qwen) spend about one token per Chinese character and
    about 1.3 per English word (a word over 12 characters, one per 4 characters: a PDF whose spaces were lost reads
    "savespacewhilerelaxing" as one word), so this stays close while never needing a tokenizer file; pass the
    embedding model's own counter where the budget must be exact. It is also additive-safe: joining pieces with
    whitespace never counts more than the sum of the pieces, so a budget checked on pieces holds for the joined
    chunk.
    """
    cjk = len(CJK_CHAR.findall(text))
    words = CJK_CHAR.sub(" ", text).split()
    long = [len(w) for w in words if len(w) > LONG_WORD]
    return cjk + math.ceil((len(words) - len(long)) * WORDS_TO_TOKENS + sum(long) / CHARS_PER_TOKEN)
