"""The one egress guard: every outbound call hezi makes on a user's behalf is checked here first.

Loopback, link-local (cloud metadata lives there), private, shared, multicast and reserved addresses are
refused, unless the administrator allows a range with HEZI_EGRESS_ALLOW_CIDRS (for example a vLLM server at
10.0.0.5: `HEZI_EGRESS_ALLOW_CIDRS=10.0.0.0/24`). Names are resolved and every address they resolve to is
checked, so a public name pointing at a private address is refused too.

A check is only as good as the connection that follows it: a name looked up again at connect time can answer
differently (DNS rebinding: public for the guard, 127.0.0.1 a moment later). So `check_url` returns the addresses
it approved, and `PinnedTransport` makes httpx connect to exactly those (the Host header and the TLS server
name stay the original host, so virtual hosts and certificates work as before). Requests through it to a host
no check approved are refused. Where the environment names a proxy for the URL (HTTP_PROXY, HTTPS_PROXY, not in
NO_PROXY), the proxy makes the connection and hezi uses it as before: the box itself then never connects to the
host, and what the proxy may reach is the proxy's policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from hezi.errors import Forbidden, InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class EgressRefused(Forbidden):
    code = "egress_refused"


def parse_cidrs(text: str) -> list[Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


@dataclass(frozen=True, slots=True)
class Destination:
    """A host the guard approved and the addresses it approved it at, in the resolver's order of preference."""

    host: str
    addresses: tuple[str, ...]


async def check_url(url: str, allowed: list[Network]) -> Destination:
    """Raise unless `url` is http(s) and every address its host resolves to may be reached; return those addresses
    (connect to them, through PinnedTransport, not to a fresh lookup)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("Only http:// and https:// URLs with a host are allowed.", code="invalid_url")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInput(f"Cannot resolve {parts.hostname}: {exc.strerror}", code="unresolvable_host") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if _forbidden(ip) and not any(ip in net for net in allowed):
            raise EgressRefused(
                f"{parts.hostname} resolves to {ip}, an internal address. An administrator can allow it with "
                "HEZI_EGRESS_ALLOW_CIDRS.",
                details={"host": parts.hostname, "address": str(ip)},
            )
    addresses = dict.fromkeys(str(ipaddress.ip_address(info[4][0])) for info in infos)  # ordered, no repeats
    return Destination(parts.hostname, tuple(addresses))


class PinnedTransport(httpx.AsyncBaseTransport):
    """httpx transport that connects each approved host only to the addresses its check approved, trying them in
    turn as a resolver's caller would (an IPv6 address first on a network without IPv6 must not fail the call).
    Environment proxies are not used through it: a proxy would resolve the name itself, after the check."""

    def __init__(self, *destinations: Destination, verify: ssl.SSLContext | bool = True) -> None:
        self.pins = {d.host: d.addresses for d in destinations}
        self._inner = httpx.AsyncHTTPTransport(verify=trusted_roots() if verify is True else verify)

    def pin(self, destination: Destination) -> None:
        self.pins[destination.host] = destination.addresses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        addresses = self.pins.get(host)
        if not addresses:
            raise EgressRefused(f"{host} was not checked by the egress guard", details={"host": host})
        original = request.url
        request.extensions = {**request.extensions, "sni_hostname": host}  # TLS: the name the certificate has
        for i, address in enumerate(addresses):
            request.url = original.copy_with(host=address)  # the Host header was set from the original URL
            try:
                return await self._inner.handle_async_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if i == len(addresses) - 1:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    async def aclose(self) -> None:
        await self._inner.aclose()


@functools.cache
def trusted_roots() -> ssl.SSLContext:
    """The certificate check for every outbound call, built once: loading the CA bundle costs ~40 ms of CPU, which
    a context per call (httpx's default) spent on the event loop for every provider request."""
    return ssl.create_default_context(cafile=certifi.where())


def uses_proxy(url: str) -> bool:
    """Whether the environment sends requests for `url` through a proxy (as httpx would by default)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    host = (parts.hostname or "").lower()
    for entry in proxies.get("no", "").split(","):  # NO_PROXY: hosts and domains reached directly
        domain = entry.strip().lower().lstrip(".")
        if domain == "*" or (domain and (host == domain or host.endswith("." + domain))):
            return False
    return True


def client(url: str, destination: Destination, **options: Any) -> httpx.AsyncClient:
    """An httpx client for `url` that connects where the guard approved, or through the environment's proxy."""
    if uses_proxy(url):
        return httpx.AsyncClient(**{"verify": trusted_roots(), **options})
    return httpx.AsyncClient(transport=PinnedTransport(destination), **options)


REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "transfer-encoding"})


@contextlib.asynccontextmanager
async def stream(
    allowed: list[Network],
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    io_timeout: float = 30.0,  # httpx's, per connect or read: bound the whole exchange with asyncio.timeout
    max_redirects: int = 5,
    credentials: Iterable[str] = (),  # more header names that are secrets (an API key's X-API-Key)
) -> AsyncIterator[httpx.Response]:
    """Send a request and yield the final response, its body not yet read, following redirects by hand: each new
    location is checked by the guard before it is contacted (httpx following them itself would let a public URL
    bounce the request to 169.254.169.254 or localhost). As browsers do, a 303 (or a 301/302 answering a POST)
    goes on as a GET without the body, and credentials are not carried to another origin."""
    secret = _CREDENTIALS | {name.lower() for name in credentials}
    sent = dict(headers or {})
    for _ in range(max_redirects + 1):
        destination = await check_url(url, allowed)
        # A client per hop: each connects only to the addresses its own check approved.
        async with client(url, destination, timeout=io_timeout, follow_redirects=False) as http:
            response = await http.send(http.build_request(method, url, headers=sent, content=content), stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECTS or not location:
                    yield response
                    return
                target = urljoin(url, location)
            finally:
                await response.aclose()
        status = response.status_code
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, content = "GET", None
            sent = {k: v for k, v in sent.items() if k.lower() not in _BODY_HEADERS}
        if _origin(target) != _origin(url):
            sent = {k: v for k, v in sent.items() if k.lower() not in secret}
        url = target
    raise InvalidInput(f"More than {max_redirects} redirects.", code="too_many_redirects", details={"url": url})


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class EgressPolicy:
    """The administrator's allow-list (HEZI_EGRESS_ALLOW_CIDRS), built once; everything that calls out asks it."""

    def __init__(self, allowed: list[Network]) -> None:
        self.allowed = allowed

    @classmethod
    def from_setting(cls, cidrs: str) -> EgressPolicy:
        return cls(parse_cidrs(cidrs))

    async def check(self, url: str) -> Destination:
        """Raise unless `url` may be called; the approved addresses to connect to."""
        return await check_url(url, self.allowed)

    def stream(self, method: str, url: str, **options: Any) -> contextlib.AbstractAsyncContextManager[httpx.Response]:
        """`async with policy.stream("GET", url) as response`: every hop checked (see the module's `stream`)."""
        return stream(self.allowed, method, url, **options)

    async def client_for(self, url: str, **options: Any) -> httpx.AsyncClient:
        """A client that may call `url`'s host, connecting only where the guard approved (see `client`)."""
        return client(url, await self.check(url), **options)
