"""Replay weighted hybrid fusion offline on the scores bench/knowledge.py dumped, to compare settings without
ingesting again.

    .venv/bin/python bench/knowledge.py --skip-latency --dump /tmp/scores.json
    .venv/bin/python bench/knowledge_replay.py /tmp/scores.json [--grid]

The dump holds, for every question of both sets (the Debian FAQ, on which constants are chosen, and the held-out
Debian Reference), both models and every language pair: the vector and full-text rankings (top 100), both scores
of every chunk in either, and the share of the question the knowledge base knows. This replays what hezi's search
does for top 5 (hezi.knowledge.search._first_stage: each list cut at 20, their union, cosines relative to the
vector ranking's FLOOR_RANK-th best, the vector weight raised by the share of the question the base lacks) and
prints recall@1 / @5 beside vector and full text alone. It first checks that the replay of hezi's own settings
puts the same chunks first as the API did. --grid tries neighbouring settings: choose on the FAQ, then read the
Reference's line for the same setting (docs/decisions/0021).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hezi.knowledge import retrieval  # noqa: E402

TOP_K = 5
WIDE = max(TOP_K * 4, 20)  # what search asks each list for before fusing
PAIRS = ("en → en", "zh → zh", "zh → en")
Row = dict[str, Any]


@dataclass(frozen=True)
class Fusion:
    """The settings a weighted hybrid search depends on."""

    vector_weight: float = 0.5  # RetrieveRequest's default
    floor_rank: int = retrieval.FLOOR_RANK  # at most 20: below the 20th best, the dump's relative cosines are 0
    coverage: bool = True  # raise the vector weight by the share of the question the base lacks

    def __str__(self) -> str:
        return f"w {self.vector_weight:.2f}, floor {self.floor_rank}" + ("" if self.coverage else ", no coverage")


def ranked(pairs: list[list[float]]) -> list[int]:
    return [int(i) for i, _ in sorted(pairs, key=lambda p: (-p[1], p[0]))]


def hybrid(row: Row, f: Fusion) -> list[int]:
    """The top-5 chunk ids of a weighted hybrid search with `f`."""
    vector, text = row["vector"][:WIDE], row["full_text"][:WIDE]
    cosine = {int(i): s for i, s in row["vector"]}
    # Text scores: every chunk in either top 100 has both; the vector ranking's floor hit (relative cosine 0, so it
    # ties with everything below it in the dump's vector-weight-1 list) may have only the text list's, or none.
    text_score = {int(i): s for i, s in row["full_text"]} | {int(i): both[1] for i, both in row["both"].items()}
    floor = sorted(cosine.values(), reverse=True)[: f.floor_rank][-1] if cosine else 0.0
    w = retrieval.effective_vector_weight(f.vector_weight, row["coverage"] if f.coverage else 1.0)
    scored = []
    for i in {int(i) for i, _ in [*vector, *text]}:
        v = max(0.0, (cosine[i] - floor) / max(1 - floor, 1e-9)) if i in cosine else 0.0
        t = text_score.get(i) or 0.0
        scored.append([i, w * min(v, 1.0) + (1 - w) * t])
    return ranked(scored)[:TOP_K]


def _alone(mode: str) -> Callable[[Row], list[int]]:
    return lambda row: ranked(row[mode])[:TOP_K]


def _fused(f: Fusion) -> Callable[[Row], list[int]]:
    return lambda row: hybrid(row, f)


def check(dump: dict[str, Any]) -> None:
    """The replay of hezi's own settings must put the same chunks in the same order as the API did."""
    rows = [row for cases in dump.values() for rows in cases.values() for row in rows]
    differ = [row["question"] for row in rows if hybrid(row, Fusion()) != row["hybrid"]]
    print(f"replay of hezi's settings ({Fusion()}) vs the API: {len(rows) - len(differ)} of {len(rows)} questions "
          f"the same top 5{'; differ: ' + ', '.join(differ[:5]) if differ else ''}")  # fmt: skip


def recall(rows: list[Row], top5: Callable[[Row], list[int]]) -> tuple[int, int]:
    at1 = at5 = 0
    for row in rows:
        found, right = top5(row), set(row["right"])
        at1 += bool(found) and found[0] in right
        at5 += bool(right & set(found))
    return at1, at5


def table(dump: dict[str, Any], fusions: list[Fusion]) -> None:
    """Per set and model: vector, full text and each fusion; * marks hybrid below the better single mode at @5."""
    for set_name, cases in dump.items():
        print(f"\n## {set_name} — questions answered first / in the top five")
        print(f"{'':<56}" + "".join(f"{p:>14}" for p in PAIRS))
        for model in dict.fromkeys(key.split(" | ")[0] for key in cases):
            rows = [cases[f"{model} | {p}"] for p in PAIRS]
            single = [[recall(r, _alone(mode)) for r in rows] for mode in ("vector", "full_text")]
            best = [max(v[1], t[1]) for v, t in zip(*single, strict=True)]
            lines = [("vector", single[0]), ("full text", single[1])]
            lines += [(f"hybrid {f}", [recall(r, _fused(f)) for r in rows]) for f in fusions]
            for name, found in lines:
                cells = [
                    f"{a1:>5} / {a5:<3}{'*' if name.startswith('hybrid') and a5 < b else ' '}"
                    for (a1, a5), b in zip(found, best, strict=True)
                ]
                print(f"{model[:22] + '  ' + name:<56}" + "".join(f"{c:>14}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump", type=Path)
    parser.add_argument("--grid", action="store_true", help="neighbouring settings too")
    args = parser.parse_args()
    dump = json.loads(args.dump.read_text())
    fusions = [Fusion()]
    if args.grid:
        fusions += [Fusion(w, n) for n in (5, 10, 20) for w in (0.3, 0.4, 0.5, 0.6, 0.7) if (w, n) != (0.5, 20)]
        fusions += [Fusion(0.5, 20, coverage=False)]
    check(dump)
    table(dump, fusions)


if __name__ == "__main__":
    main()
