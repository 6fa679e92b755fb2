"""Fetching a document from a URL on a user's behalf: through the egress guard at every hop, bounded in size and time.

Redirects are followed by hand so each new location is checked by the guard before it is contacted; following
them inside httpx would let a public URL bounce the request to 169.254.169.254 or localhost.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from hezi import egress
from hezi.egress import Network, check_url
from hezi.errors import InvalidInput
from hezi.knowledge.errors import DocumentTooLarge
from hezi.knowledge.parsing import supported_extensions
from hezi.knowledge.parsing.detect import sniff

USER_AGENT = "hezi-knowledge/0.1 (document import)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BY_CONTENT_TYPE = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/csv": ".csv",
    "text/tab-separated-values": ".tsv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}
_BINARY_KINDS = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "pptx": ".pptx"}
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)


class UrlFetchFailed(InvalidInput):
    """The URL could not be fetched: the server's error status, a timeout, a refused connection, a redirect loop."""

    code = "url_fetch_failed"


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # where the body came from, after redirects
    data: bytes
    content_type: str  # the media type, lower-case, without parameters ("" when not sent)
    filename: str | None  # from Content-Disposition, when the server named the file


@dataclass(frozen=True, slots=True)
class UrlFetcher:
    """What a fetch may do: the address ranges the admin allowed, the largest body, the time it may take."""

    allowed: list[Network]
    max_bytes: int
    timeout: float = 30.0
    max_redirects: int = 5

    async def fetch(self, url: str) -> Fetched:
        """GET `url`, following redirects, each hop checked by the egress guard first; the timeout is for it all."""
        try:
            async with asyncio.timeout(self.timeout):  # httpx's timeouts are per read: a trickling server beats them
                return await self._fetch(url)
        except TimeoutError as exc:
            raise UrlFetchFailed(f"{url} was not fetched within {self.timeout:g} s", details={"url": url}) from exc

    async def _fetch(self, url: str) -> Fetched:
        for _ in range(self.max_redirects + 1):
            destination = await check_url(url, self.allowed)
            # A client per hop: each connects only to the addresses its own check approved.
            async with egress.client(url, destination, timeout=self.timeout, follow_redirects=False,
                                     headers={"User-Agent": USER_AGENT}) as http:  # fmt: skip
                try:
                    async with http.stream("GET", url) as response:
                        if response.status_code in _REDIRECTS and "location" in response.headers:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code >= 400:
                            raise UrlFetchFailed(
                                f"{url} answered {response.status_code} {response.reason_phrase}".strip(),
                                details={"url": url, "status": response.status_code},
                            )
                        data = await self._body(response, url)
                        return Fetched(url, data, _media_type(response), _disposition_name(response))
                except httpx.HTTPError as exc:
                    raise UrlFetchFailed(f"cannot fetch {url}: {exc}", details={"url": url}) from exc
        raise UrlFetchFailed(f"more than {self.max_redirects} redirects", details={"url": url})

    async def _body(self, response: httpx.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, int(declared))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():  # decoded: a small gzip body cannot inflate past the limit
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(url, size)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, url: str, size: int) -> DocumentTooLarge:
        return DocumentTooLarge(
            f"{url} is larger than the {self.max_bytes}-byte upload limit",
            details={"url": url, "bytes": size, "max_bytes": self.max_bytes},
        )


def _media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def _disposition_name(response: httpx.Response) -> str | None:
    header = response.headers.get("content-disposition")
    if not header:
        return None
    message = Message()
    message["content-disposition"] = header
    name = message.get_filename()
    return PurePosixPath(name.replace("\\", "/")).name or None if name else None


def document_name(fetched: Fetched, requested: str | None) -> str:
    """A file name whose extension names the parser: the caller's name, the server's, or the URL's last segment.

    The type comes from the content where it is unambiguous (a PDF or Office file by its bytes), else from the
    Content-Type, else from the name; so `/download?id=3` serving a PDF becomes `download.pdf`.
    """
    parts = urlsplit(fetched.url)
    name = requested or fetched.filename or unquote(PurePosixPath(parts.path).name) or parts.hostname or "document"
    kind = sniff(fetched.data)
    ext = _BINARY_KINDS.get(kind) or _BY_CONTENT_TYPE.get(fetched.content_type)
    lower = name.lower()
    if ext is None:
        if lower.endswith(tuple(supported_extensions())):
            return name
        if kind == "text":
            ext = ".html" if _HTML_START.match(fetched.data[:1024]) else ".txt"
        else:
            return name  # an unsupported type: the document service refuses it with 415
    if lower.endswith(ext) or (ext == ".html" and lower.endswith(".htm")):
        return name
    return f"{name}{ext}"
