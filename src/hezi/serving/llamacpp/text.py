"""Turning generated token bytes into text safely: UTF-8 split across tokens, and stop strings."""

from __future__ import annotations

import codecs


class StreamText:
    """Feeds token bytes in, gives text out that is safe to send.

    Bytes of one character can be split across tokens (common for Chinese), so decoding is incremental.
    Text that could be the start of a stop string is held back until it is known not to be one.
    """

    def __init__(self, stop: list[str] | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = [s for s in (stop or []) if s]
        self._held = ""
        self.stopped = False

    def feed(self, data: bytes) -> str:
        """Add a token's bytes; returns the text that can be emitted now (maybe empty)."""
        if self.stopped:
            return ""
        self._held += self._decoder.decode(data)
        return self._release()

    def flush(self) -> str:
        """At the end of generation: everything still held (a partial stop string is just text)."""
        if self.stopped:
            return ""
        text = self._held + self._decoder.decode(b"", final=True)
        self._held = ""
        return text

    def _release(self) -> str:
        if not self._stop:
            text, self._held = self._held, ""
            return text
        first = min((i for i in (self._held.find(s) for s in self._stop) if i >= 0), default=-1)
        if first >= 0:
            self.stopped = True
            text, self._held = self._held[:first], ""
            return text
        keep = _longest_stop_prefix_suffix(self._held, self._stop)
        cut = len(self._held) - keep
        text, self._held = self._held[:cut], self._held[cut:]
        return text


def _longest_stop_prefix_suffix(text: str, stops: list[str]) -> int:
    """Length of the longest end of `text` that is the beginning of some stop string."""
    best = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), best, -1):
            if text.endswith(stop[:n]):
                best = n
                break
    return best
