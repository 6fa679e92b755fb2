"""Domain errors become HTTP statuses in one place; the more specific kind wins."""

from __future__ import annotations

from hezi.api.errors import status_of
from hezi.errors import InvalidInput, TooLarge, UnsupportedType
from hezi.knowledge.errors import DocumentTooLarge, EmptyDocument, UnsupportedDocument


def test_statuses() -> None:
    assert status_of(UnsupportedDocument("no")) == 415
    assert status_of(UnsupportedType("no")) == 415
    assert status_of(EmptyDocument("empty")) == 400
    assert status_of(InvalidInput("bad")) == 400
    assert status_of(DocumentTooLarge("big")) == 413
    assert status_of(TooLarge("big")) == 413
