"""Signed visitor tokens: how a web app recognises an anonymous visitor again, with no row stored per visitor.

A token names one visitor of one app (and the app's workspace) and when it was issued, signed with HMAC-SHA256 under
a key derived from the box's secret (HEZI_SECRET_KEY or data/secret.key, which servers sharing a database share).
It proves only that hezi issued it: whether the app is still published is the apps service's question, asked on
every request. See docs/decisions/0011-app-keys-visitors-rate-limits.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from hezi.accounts.errors import InvalidVisitorToken
from hezi.accounts.principal import AppVisitor
from hezi.db.base import utcnow

PREFIX = "hzv1_"
# Separates this key from every other use of the box's secret.
_PURPOSE = b"hezi app visitor token v1"
DEFAULT_MAX_AGE = timedelta(days=365)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VisitorTokens:
    """Issues and verifies visitor tokens (for a cookie); `verify` refuses anything altered, expired or foreign."""

    def __init__(
        self,
        key: bytes,
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if len(key) < 32:
            raise ValueError("a visitor-token key needs at least 32 bytes")
        self._key = key
        self.max_age = max_age
        self.clock = clock

    @classmethod
    def from_secret(
        cls, secret: str, *, max_age: timedelta = DEFAULT_MAX_AGE, clock: Callable[[], datetime] = utcnow
    ) -> VisitorTokens:
        """Derive the signing key from the box's secret (any string), for this purpose only."""
        key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
        return cls(key, max_age=max_age, clock=clock)

    def issue(
        self, app_id: uuid.UUID, workspace_id: uuid.UUID, visitor_id: str | None = None
    ) -> tuple[AppVisitor, str]:
        """A visitor (new unless `visitor_id` is given, e.g. to renew a cookie) and its token."""
        visitor = AppVisitor(visitor_id or secrets.token_urlsafe(16), app_id, workspace_id)
        if not visitor.visitor_id or not visitor.visitor_id.isascii() or "." in visitor.visitor_id:
            raise ValueError("a visitor id is a non-empty ASCII string without '.'")
        issued = int(self.clock().timestamp())
        payload = f"{app_id.hex}.{workspace_id.hex}.{issued}.{visitor.visitor_id}".encode()
        body = _b64(payload)
        return visitor, f"{PREFIX}{body}.{self._sign(body)}"

    def verify(self, token: str, *, app_id: uuid.UUID | None = None) -> AppVisitor:
        """The visitor a token names; raises InvalidVisitorToken when it is malformed, altered, expired or (with
        `app_id`) issued for another app."""
        refused = InvalidVisitorToken("This visitor token is not valid; open the app's link again.")
        if not token.startswith(PREFIX) or not token.isascii():
            raise refused
        body, _, mac = token[len(PREFIX) :].partition(".")
        if not body or not hmac.compare_digest(mac, self._sign(body)):
            raise refused
        try:
            app_hex, ws_hex, issued_s, visitor_id = _unb64(body).decode().split(".", 3)
            visitor = AppVisitor(visitor_id, uuid.UUID(hex=app_hex), uuid.UUID(hex=ws_hex))
            issued = int(issued_s)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise refused from None  # signed by us yet unreadable: only a format change could do this
        age = self.clock().timestamp() - issued
        if age > self.max_age.total_seconds() or age < -300:  # allow a few minutes of clock skew between servers
            raise InvalidVisitorToken("This visitor token has expired; open the app's link again.")
        if app_id is not None and visitor.app_id != app_id:
            raise refused
        return visitor

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, (PREFIX + body).encode(), hashlib.sha256).digest())
