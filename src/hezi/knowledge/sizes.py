"""How much text documents and knowledge bases hold: characters and estimated tokens, summed over their chunks.

Callers check access through the services first; these read-only sums take ids the caller may already see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.knowledge.tokens import CJK_CHAR, WORDS_TO_TOKENS


@dataclass(frozen=True, slots=True)
class TextSize:
    characters: int = 0
    tokens: int = 0


# tokens.estimate_tokens in SQL, so a listing does not pull every chunk's text: one token per CJK character,
# WORDS_TO_TOKENS per other whitespace-separated word, rounded up per chunk. PostgreSQL's regular expressions read
# the same \uXXXX / \UXXXXXXXX class as Python's.
_TOKENS = (
    "char_length(regexp_replace(c.text, :not_cjk, '', 'g')) + ceil(:per_word * coalesce(array_length("
    "regexp_split_to_array(nullif(regexp_replace(regexp_replace(c.text, :cjk, ' ', 'g'), '^\\s+|\\s+$', '', 'g'),"
    " ''), '\\s+'), 1), 0))"
)
_PARAMS = {"cjk": CJK_CHAR.pattern, "not_cjk": "[^" + CJK_CHAR.pattern[1:], "per_word": WORDS_TO_TOKENS}


async def _sums(db: AsyncSession, column: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, TextSize]:
    if not ids:
        return {}
    rows = await db.execute(
        text(
            f"SELECT c.{column}, sum(char_length(c.text)), sum({_TOKENS}) FROM chunks c "  # noqa: S608
            f"WHERE c.{column} = ANY(:ids) GROUP BY c.{column}"
        ),
        {"ids": ids, **_PARAMS},
    )
    found = {r[0]: TextSize(int(r[1] or 0), int(r[2] or 0)) for r in rows.all()}
    return {i: found.get(i, TextSize()) for i in ids}


async def by_document(db: AsyncSession, doc_ids: list[uuid.UUID]) -> dict[uuid.UUID, TextSize]:
    return await _sums(db, "document_id", doc_ids)


async def by_knowledge_base(db: AsyncSession, kb_ids: list[uuid.UUID]) -> dict[uuid.UUID, TextSize]:
    return await _sums(db, "knowledge_base_id", kb_ids)
