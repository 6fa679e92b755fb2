"""Encryption of secrets at rest (provider keys, tool credentials) with one box-wide key.

The key comes from HEZI_SECRET_KEY, or is generated once into `<data dir>/secret.key` (mode 0600). Machines
that share one database must share the key: set HEZI_SECRET_KEY on each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from hezi.errors import DomainError


class SecretUnreadable(DomainError):
    code = "secret_unreadable"


class SecretBox:
    def __init__(self, key_material: str) -> None:
        # Any string works as HEZI_SECRET_KEY: it is stretched to Fernet's 32-byte key.
        digest = hashlib.sha256(key_material.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._material = key_material.encode()

    def derive(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose (signing visitor tokens…), derived from the same secret: one secret to
        keep, and a key that leaks for one purpose opens nothing else."""
        return hmac.new(self._material, purpose.encode(), hashlib.sha256).digest()

    @classmethod
    def from_settings(cls, secret_key: str | None, data_dir: Path) -> SecretBox:
        if secret_key:
            return cls(secret_key)
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
        return cls(path.read_text().strip())

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def open(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "A stored secret cannot be decrypted: HEZI_SECRET_KEY (or data/secret.key) changed. "
                "Enter the secret again."
            ) from None
