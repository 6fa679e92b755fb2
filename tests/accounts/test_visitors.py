"""Visitor tokens: an anonymous web-app visitor is recognised again, and no altered or foreign token passes."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hezi.accounts.errors import InvalidVisitorToken
from hezi.accounts.principal import AppVisitor
from hezi.accounts.visitors import PREFIX, VisitorTokens

APP, WORKSPACE = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def tokens(secret: str = "the box's secret", clock: Clock | None = None) -> VisitorTokens:
    return VisitorTokens.from_secret(secret, max_age=timedelta(days=30), clock=clock or Clock(NOW))


def test_a_token_names_its_visitor_app_and_workspace() -> None:
    signer = tokens()
    visitor, token = signer.issue(APP, WORKSPACE)
    assert token.startswith(PREFIX) and token.isascii() and ";" not in token and " " not in token  # cookie-safe
    assert len(visitor.visitor_id) >= 20  # 128 random bits
    assert signer.verify(token) == visitor == AppVisitor(visitor.visitor_id, APP, WORKSPACE)
    assert signer.verify(token, app_id=APP) == visitor
    # Another server sharing the secret recognises the visitor; a renewed token keeps the same visitor.
    assert tokens().verify(token) == visitor
    renewed = signer.issue(APP, WORKSPACE, visitor.visitor_id)[1]
    assert signer.verify(renewed) == visitor
    assert signer.issue(APP, WORKSPACE)[0].visitor_id != visitor.visitor_id


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_altered_forged_or_foreign_tokens_are_refused() -> None:
    signer = tokens()
    visitor, token = signer.issue(APP, WORKSPACE)
    body, mac = token[len(PREFIX) :].split(".")
    other_app = uuid.uuid4()
    forged_payload = f"{other_app.hex}.{WORKSPACE.hex}.{int(NOW.timestamp())}.{visitor.visitor_id}".encode()
    forged_body = base64.urlsafe_b64encode(forged_payload).rstrip(b"=").decode()
    refused = [
        _flip(token, len(PREFIX) + 3),  # a changed payload
        _flip(token, len(token) - 2),  # a changed signature
        f"{PREFIX}{forged_body}.{mac}",  # another app's payload under this token's signature
        f"{PREFIX}{body}.",  # no signature
        f"{PREFIX}{body}",
        token[len(PREFIX) :],  # no prefix
        tokens("another box").issue(APP, WORKSPACE)[1],  # signed with another secret
        "",
        "hzv1_",
        "hzv1_..",
        "hzv1_Ω.Ω",
    ]
    for bad in refused:
        with pytest.raises(InvalidVisitorToken):
            signer.verify(bad)
    with pytest.raises(InvalidVisitorToken):
        signer.verify(token, app_id=other_app)  # a token for one app is no pass to another


def test_tokens_expire() -> None:
    clock = Clock(NOW)
    signer = tokens(clock=clock)
    token = signer.issue(APP, WORKSPACE)[1]
    clock.now = NOW + timedelta(days=29)
    signer.verify(token)
    clock.now = NOW + timedelta(days=31)
    with pytest.raises(InvalidVisitorToken, match="expired"):
        signer.verify(token)


def test_keys_and_visitor_ids_are_checked() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        VisitorTokens(b"short")
    with pytest.raises(ValueError, match="visitor id"):
        tokens().issue(APP, WORKSPACE, "has.a.dot")
