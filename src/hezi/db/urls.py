"""Conversions between the PostgreSQL URL a user gives and what each driver wants."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` → `postgresql+psycopg://…` (SQLAlchemy with psycopg 3)."""
    if not _SCHEME.match(url):
        raise ValueError(f"not a PostgreSQL URL: {redact(url)}")
    return _SCHEME.sub("postgresql+psycopg://", url, count=1)


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://…` → `postgresql://…` (libpq conninfo, as procrastinate and psql take)."""
    if not _SCHEME.match(url):
        raise ValueError(f"not a PostgreSQL URL: {redact(url)}")
    return _SCHEME.sub("postgresql://", url, count=1)


def redact(url: str) -> str:
    """Hide the password of a URL before it is logged."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
