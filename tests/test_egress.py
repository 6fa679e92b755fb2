"""The egress guard's pinning: a request connects to the address the guard approved, never to a fresh lookup of
the name (which DNS rebinding could point at 127.0.0.1 or the cloud metadata address after the check)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hezi import egress
from hezi.egress import Destination, EgressRefused, PinnedTransport, check_url, parse_cidrs

# Reserved for documentation and never resolvable: if anything looked this name up, the request would fail.
UNRESOLVABLE = "rebind.hezi.invalid"
pytestmark = pytest.mark.asyncio


class Echo(BaseHTTPRequestHandler):
    """Answers with the Host header it was sent."""

    def do_GET(self) -> None:
        body = (self.headers.get("Host") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(context: ssl.SSLContext | None = None) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    yield from serve()


def certificate(tmp: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for `name` only: (the server's context, a client context that trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_pem = tmp / "cert.pem"
    key_pem = tmp / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_pem, key_pem)
    client = ssl.create_default_context(cafile=str(cert_pem))
    return server, client


async def test_a_request_connects_to_the_approved_address_not_a_new_lookup(http_port: int) -> None:
    pinned = PinnedTransport(Destination(UNRESOLVABLE, ("127.0.0.1",)))
    async with httpx.AsyncClient(transport=pinned) as http:
        r = await http.get(f"http://{UNRESOLVABLE}:{http_port}/")
    assert r.status_code == 200
    assert r.text == f"{UNRESOLVABLE}:{http_port}"  # the server still sees the name the caller asked for


async def test_an_address_that_does_not_answer_falls_back_to_the_next_approved_one(http_port: int) -> None:
    """A name with an IPv6 and an IPv4 address on a network without IPv6 (common on closed networks) still works:
    each approved address is tried in turn, and nothing else is."""
    pinned = PinnedTransport(Destination(UNRESOLVABLE, ("::1", "127.0.0.1")))  # the server listens on IPv4 only
    async with httpx.AsyncClient(transport=pinned) as http:
        r = await http.get(f"http://{UNRESOLVABLE}:{http_port}/")
    assert r.status_code == 200 and r.text == f"{UNRESOLVABLE}:{http_port}"
    pinned = PinnedTransport(Destination(UNRESOLVABLE, ("::1",)))
    async with httpx.AsyncClient(transport=pinned) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://{UNRESOLVABLE}:{http_port}/")


async def test_a_host_no_check_approved_is_refused(http_port: int) -> None:
    pinned = PinnedTransport(Destination(UNRESOLVABLE, ("127.0.0.1",)))
    async with httpx.AsyncClient(transport=pinned) as http:
        with pytest.raises(EgressRefused):
            await http.get(f"http://localhost:{http_port}/")  # resolvable, but never checked


async def test_check_url_hands_back_the_address_it_checked(http_port: int) -> None:
    loopback = parse_cidrs("127.0.0.0/8,::1/128")
    destination = await check_url(f"http://localhost:{http_port}/", loopback)
    assert destination.host == "localhost"
    assert destination.addresses and all(ipaddress.ip_address(a).is_loopback for a in destination.addresses)
    with pytest.raises(EgressRefused):
        await check_url(f"http://localhost:{http_port}/", [])  # loopback is refused unless allowed


async def test_tls_verifies_the_certificate_against_the_original_name(tmp_path: Path) -> None:
    """Connecting to an IP must not weaken TLS: the certificate is checked against the host name (SNI), so a
    certificate for that name passes and one for another name fails."""
    server_ctx, client_ctx = certificate(tmp_path, UNRESOLVABLE)
    for port in serve(server_ctx):
        pinned = PinnedTransport(Destination(UNRESOLVABLE, ("127.0.0.1",)), verify=client_ctx)
        async with httpx.AsyncClient(transport=pinned) as http:
            r = await http.get(f"https://{UNRESOLVABLE}:{port}/")
        assert r.status_code == 200 and r.text == f"{UNRESOLVABLE}:{port}"
        other = "other.hezi.invalid"
        pinned = PinnedTransport(Destination(other, ("127.0.0.1",)), verify=client_ctx)
        async with httpx.AsyncClient(transport=pinned) as http:
            with pytest.raises(httpx.ConnectError, match=r"certificate|hostname"):
                await http.get(f"https://{other}:{port}/")


async def test_through_a_proxy_from_the_environment_the_proxy_connects(
    http_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offices that reach the internet through HTTP_PROXY keep doing so; then the proxy resolves and connects
    (the box never connects to the host itself), and NO_PROXY hosts are connected to directly, pinned."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    assert not egress.uses_proxy("http://example.org/")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{http_port}")  # the echo server plays the proxy
    monkeypatch.setenv("NO_PROXY", "intranet.example, .corp.example")
    assert egress.uses_proxy("http://example.org/")
    assert not egress.uses_proxy("http://intranet.example/") and not egress.uses_proxy("http://wiki.corp.example/")
    assert not egress.uses_proxy("https://example.org/")  # no HTTPS_PROXY
    # The proxy got the request for a name this box never resolved (it could not: .invalid).
    async with egress.client(f"http://{UNRESOLVABLE}/", Destination(UNRESOLVABLE, ())) as http:
        r = await http.get(f"http://{UNRESOLVABLE}/page")
    assert r.status_code == 200 and r.text == UNRESOLVABLE
    # Without a proxy for it, the same call would have had to be pinned, and nothing was approved: refused.
    monkeypatch.delenv("HTTP_PROXY")
    async with egress.client(f"http://{UNRESOLVABLE}/", Destination(UNRESOLVABLE, ())) as http:
        with pytest.raises(EgressRefused):
            await http.get(f"http://{UNRESOLVABLE}/page")
