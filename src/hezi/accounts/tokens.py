"""Secrets handed to clients: session tokens and API keys. Only their sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets

SESSION_PREFIX = "hzs_"
API_KEY_PREFIX = "hzk_"
VISIBLE_PREFIX_LEN = 12  # "hzk_" + 8 characters, enough to tell keys apart in a list


def digest(token: str) -> str:
    """sha256 hex of a token. Tokens are 256-bit random, so a fast hash is safe here."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """A new API key and the prefix shown in lists."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:VISIBLE_PREFIX_LEN]
