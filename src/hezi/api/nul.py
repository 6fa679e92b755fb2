"""Finding NUL characters in text input: PostgreSQL's text and jsonb cannot hold them, so hezi refuses them up front.

JSON carries a NUL as the escape `\\u0000` (an odd number of backslashes before `u0000`: `\\\\u0000` is a backslash
followed by the text "u0000"); a query, a form or a multipart text field carries it as `%00` or a raw 0x00 byte.
Where one is found, `where` names the field (`["body", "messages", 0, "content"]`) for the error's details.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from hezi.errors import InvalidInput

_JSON_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_TEXT_PART_LIMIT = 1024 * 1024  # Starlette refuses a multipart text field over 1 MiB itself


class NulCharacter(InvalidInput):
    """A text input holds a NUL character."""

    code = "nul_character"

    def __init__(self, where: list[str | int]) -> None:
        field = ".".join(str(p) for p in where if p not in ("body", "query", "path"))
        super().__init__(
            f"'{field}' contains a NUL character (\\u0000), which text cannot hold."
            if field
            else "The request contains a NUL character (\\u0000), which text cannot hold.",
            details=[{"loc": where, "msg": "NUL characters are not allowed", "type": "nul_character"}],
        )


def in_json(body: bytes) -> bool:
    """Whether a JSON document holds a NUL, escaped or raw."""
    return b"\x00" in body or (b"\\u0000" in body and _JSON_ESCAPED_NUL.search(body) is not None)


def in_query(query: bytes) -> bool:
    """Whether a query string (or a form-encoded body) holds a NUL, or a value that is JSON holding one."""
    if b"%00" in query or b"\x00" in query:
        return True
    return b"u0000" in query and in_json(unquote_to_bytes(query.replace(b"+", b" ")))


def in_path(path: str) -> bool:
    return "\x00" in path


def where_in_json(body: bytes) -> list[str | int]:
    """The location of the first string (or key) holding a NUL, as a validation error's `loc`."""
    try:
        document = json.loads(body)
    except ValueError:
        return ["body"]
    found = _find(document, ["body"])
    return found if found is not None else ["body"]


def _find(value: Any, loc: list[str | int]) -> list[str | int] | None:
    if isinstance(value, str):
        return loc if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return loc
            found = _find(item, [*loc, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _find(item, [*loc, i])
            if found is not None:
                return found
    return None


def where_in_query(query: bytes) -> list[str | int]:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value or in_json(value.encode("latin-1")):
            return ["query", name.replace("\x00", "")]
    return ["query"]


class MultipartTextScan:
    """Scans a multipart body as it streams by for NULs in its text fields; file parts are never looked at."""

    def __init__(self, boundary: bytes) -> None:
        self.found: list[str | int] | None = None
        self._header = b""
        self._value = b""
        self._disposition = b""
        self._name = ""
        self._text: bytearray | None = None
        self._broken = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        """Raises NulCharacter once a text field with a NUL has ended; a malformed body is left to the form parser."""
        if self._broken or self.found is not None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except FormParserError:
            self._broken = True
        if self.found is not None:
            raise NulCharacter(self.found)

    def _begin(self) -> None:
        self._disposition, self._text = b"", None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        self._text = None if b"filename" in options else bytearray()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._text is not None and len(self._text) <= _TEXT_PART_LIMIT:
            self._text += data[start:end]

    def _end(self) -> None:
        if self._text is not None and self.found is None and in_json(bytes(self._text)):
            self.found = ["body", self._name]
