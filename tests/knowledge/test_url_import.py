"""Import by URL against a real HTTP server on loopback: every hop through the egress guard, bounded in size."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hezi.egress import parse_cidrs
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique
from tests.knowledge.documents import make_pdf
from tests.knowledge.test_knowledge_api import base, retrieve, wait_ready

GUIDE = (
    b"<!doctype html><html><head><title>Lighthouses</title></head><body><h1>Lighthouse keeping</h1>"
    b"<p>A lighthouse keeper trimmed the wick and wound the clockwork that turned the lens every night.</p>"
    b"<nav>Home | About</nav></body></html>"
)
REPORT = make_pdf(["Quarterly report: the copper mine produced more ore than planned."])


class Site(BaseHTTPRequestHandler):
    """A small web site: pages, a PDF behind an extension-less URL, redirects, an error and a huge body."""

    seen: list[str] = []  # noqa: RUF012 - paths asked for, so a test can tell that nothing was fetched
    max_bytes = 0

    def do_GET(self) -> None:
        Site.seen.append(self.path)
        if self.path == "/guide.html":
            self._send(200, GUIDE, "text/html; charset=utf-8")
        elif self.path == "/files/report":
            self._send(200, REPORT, "application/pdf")
        elif self.path == "/moved":
            self._redirect("/guide.html")
        elif self.path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/loop":
            self._redirect("/loop")
        elif self.path == "/big":
            self._send(200, b"a" * (self.max_bytes + 1), "text/plain")
        elif self.path == "/big-undeclared":  # no Content-Length: only counting the body can stop it
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(self.max_bytes // 65536 + 2):
                self.wfile.write(b"b" * 65536)
        else:
            self._send(404, b"<h1>Not Found</h1>", "text/html")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(model_server: LiveServer) -> Iterator[str]:
    Site.max_bytes = model_server.settings.max_document_bytes
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def loopback_allowed(model_server: LiveServer) -> Iterator[None]:
    """As if started with HEZI_EGRESS_ALLOW_CIDRS=127.0.0.0/8; the guard reads the app's list on every call.

    (A second server with the bundled models deployed only for this would double the suite's model memory.)
    """
    state = model_server.app.state
    before = state.services.egress.allowed
    state.services.egress.allowed = parse_cidrs("127.0.0.0/8")
    yield
    state.services.egress.allowed = before


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def kb(admin: Api) -> dict[str, Any]:
    return admin.create_knowledge_base(name=unique("web"))


def add_url(api: Api, kb: dict[str, Any], url: str, **extra: Any) -> Any:
    return api.post(f"{base(kb)}/documents/url", json={"url": url, **extra})


@pytest.mark.usefixtures("loopback_allowed")
def test_a_page_is_fetched_ingested_and_found(admin: Api, kb: dict[str, Any], site: str) -> None:
    r = add_url(admin, kb, f"{site}/guide.html", metadata={"site": "museum"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["source"] == "url" and doc["source_url"] == f"{site}/guide.html" and doc["name"] == "guide.html"
    assert doc["metadata"] == {"site": "museum"} and doc["size_bytes"] == len(GUIDE)
    assert wait_ready(admin, kb, doc["id"])["status"] == "ready"
    hits = retrieve(admin, kb, "Who wound the clockwork that turned the lens?", "hybrid")
    assert hits[0]["document_name"] == "guide.html" and "lighthouse keeper" in hits[0]["text"]


@pytest.mark.usefixtures("loopback_allowed")
def test_the_type_comes_from_the_content_and_redirects_are_followed(admin: Api, kb: dict[str, Any], site: str) -> None:
    pdf = add_url(admin, kb, f"{site}/files/report").json()
    assert pdf["name"] == "report.pdf", pdf
    assert wait_ready(admin, kb, pdf["id"])["status"] == "ready"
    assert retrieve(admin, kb, "copper mine ore", "full_text")[0]["document_name"] == "report.pdf"
    moved = add_url(admin, kb, f"{site}/moved", name="Lighthouse guide").json()
    assert moved["source_url"] == f"{site}/guide.html" and moved["name"] == "Lighthouse guide.html", moved


@pytest.mark.usefixtures("loopback_allowed")
def test_bad_urls_get_clear_errors(admin: Api, kb: dict[str, Any], site: str) -> None:
    missing = assert_error(add_url(admin, kb, f"{site}/nowhere"), 400, "url_fetch_failed")
    assert missing["details"]["status"] == 404
    assert_error(add_url(admin, kb, f"{site}/big"), 413, "document_too_large")
    assert_error(add_url(admin, kb, f"{site}/big-undeclared"), 413, "document_too_large")
    assert_error(add_url(admin, kb, f"{site}/loop"), 400, "url_fetch_failed")
    for url in ("ftp://127.0.0.1/file.txt", "file:///etc/passwd", "javascript:alert(1)", "127.0.0.1/guide.html"):
        assert_error(add_url(admin, kb, url), 400, "invalid_url")
    before = admin.get(f"{base(kb)}/documents").json()["count"]
    assert_error(add_url(admin, kb, "http://unresolvable.invalid/"), 400, "unresolvable_host")
    assert admin.get(f"{base(kb)}/documents").json()["count"] == before  # nothing was added by a failure


@pytest.mark.usefixtures("loopback_allowed")
def test_private_and_metadata_addresses_stay_refused(admin: Api, kb: dict[str, Any], site: str) -> None:
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::ffff:192.168.1.1]/"):
        refused = assert_error(add_url(admin, kb, url), 403, "egress_refused")
        assert "HEZI_EGRESS_ALLOW_CIDRS" in refused["message"]
    # a redirect is checked before it is followed: the allowed site cannot bounce us to the metadata service
    assert_error(add_url(admin, kb, f"{site}/to-metadata"), 403, "egress_refused")


def test_loopback_is_refused_unless_allowed(
    model_server: LiveServer, admin: Api, kb: dict[str, Any], site: str
) -> None:
    Site.seen.clear()
    refused = assert_error(add_url(admin, kb, f"{site}/guide.html"), 403, "egress_refused")
    assert refused["details"]["address"] == "127.0.0.1" and Site.seen == []
    member = admin.create_user()
    admin.add_member(kb["ws"], member["username"], "member")
    reader = model_server.api().login(member["username"], member["password"])
    assert_error(add_url(reader, kb, "http://example.invalid/"), 403)  # a reader may not make hezi fetch anything
    assert Site.seen == []
