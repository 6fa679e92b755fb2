"""The built-in tools, called as the agent loop calls them: the calculator (right answers, refusals), current time,
HTTP requests through the egress guard (a local test server; internal addresses refused, through redirects and
names too), knowledge search over a real knowledge base, and the code interpreter."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hezi.agents.context import RunContext
from hezi.agents.tools.base import TOOL_NAME, Tool, ToolFailed, ToolResult, openai_tool
from hezi.agents.tools.builtin import BUILTIN_TOOLS, BuiltinToolset
from hezi.agents.tools.builtin.clock import local_zone
from hezi.egress import EgressPolicy
from hezi.serving.usage import Attribution
from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.knowledge.test_knowledge_api import add_text

LOOPBACK = EgressPolicy.from_setting("127.0.0.0/8")  # the admin allowed loopback: the local test server
DEFAULT = EgressPolicy.from_setting("")  # nothing internal allowed


def context(server: LiveServer, **fields: Any) -> RunContext:
    s = server.app.state.services
    values: dict[str, Any] = {
        "workspace_id": uuid.uuid4(),
        "who": Attribution(None),
        "models": s.models,
        "retriever": s.retriever,
        "egress": s.egress,
        "secrets": s.secrets,
        "settings": s.settings,
        **fields,
    }
    return RunContext(**values)


@pytest.fixture
def ctx(live_server: LiveServer) -> RunContext:
    return context(live_server)


def call(name: str, args: dict[str, Any], ctx: RunContext) -> ToolResult:
    return asyncio.run(BUILTIN_TOOLS[name].call(args, ctx))


def failure(name: str, args: dict[str, Any], ctx: RunContext) -> ToolFailed:
    with pytest.raises(ToolFailed) as failed:
        call(name, args, ctx)
    assert failed.value.message
    return failed.value


# --- the registry ----------------------------------------------------------------------------------------------------


def test_every_builtin_is_a_tool_with_a_valid_name_and_an_object_schema(ctx: RunContext) -> None:
    assert set(BUILTIN_TOOLS) == {"current_time", "calculator", "http_request", "knowledge_search", "code_interpreter"}
    for name, tool in BUILTIN_TOOLS.items():
        assert isinstance(tool, Tool) and tool.name == name and TOOL_NAME.match(name)
        assert tool.parameters["type"] == "object" and 0 < len(tool.description) <= 100
        assert set(tool.parameters.get("required", [])) <= set(tool.parameters["properties"])
        assert openai_tool(tool)["function"]["name"] == name
    assert BUILTIN_TOOLS["calculator"].parameters["required"] == ["expression"]
    toolset = BuiltinToolset()
    assert toolset.id == "builtin"
    assert [t.name for t in asyncio.run(toolset.tools(ctx))] == list(BUILTIN_TOOLS)


# --- calculator ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1234*5678", "7006652"),
        ("(3+4)*2", "14"),
        ("2**10", "1024"),
        ("2^10", "1024"),
        ("10/4", "2.5"),
        ("1/3", "0.333333333333333"),
        ("0.1+0.2", "0.3"),
        ("-7 // 2", "-4"),
        ("17 % 5", "2"),
        ("-(3 - 5)", "2"),
        ("sqrt(16) + abs(-2)", "6"),
        ("round(2.567, 2)", "2.57"),
        ("max(1, 5, 3) - min(4, 2)", "3"),
        ("log(8, 2)", "3"),
        ("exp(0) + cos(0) + sin(0) + tan(0)", "2"),
        ("2*pi", "6.28318530717959"),
        ("e", "2.71828182845905"),
        ("12×3÷4", "9"),
        ("（1+2）×3", "9"),
        ("1.5e3 + 1 =", "1501"),
        ("2**100", "1267650600228229401496703205376"),
    ],
)
def test_the_calculator_computes(expression: str, value: str, ctx: RunContext) -> None:
    assert call("calculator", {"expression": expression}, ctx).value == value


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("__import__('os')", "Unknown name '__import__'"),
        ("__import__('os').system('id')", "Only numbers"),
        ("().__class__.__bases__", "Only numbers"),
        ("(1).real", "Only numbers"),
        ("open('/etc/passwd')", "Unknown name 'open'"),
        ("x + 1", "Unknown name 'x'"),
        ("'a' * 3", "Only numbers"),
        ("[1, 2][0]", "Only numbers"),
        ("lambda: 1", "Only numbers"),
        ("True + 1", "Only numbers"),
        ("sqrt(x=4)", "plain arguments"),
        ("9**9**9", "too large"),
        ("10**3000 * 10**3000", "too large"),
        ("(2**5000)**5000", "too large"),
        ("exp(1000)", "too large"),
        ("1e308 * 10", "not a finite number"),
        ("(-8) ** 0.5", "not a real number"),
        ("1/0", "Division by zero"),
        ("5 % 0", "Division by zero"),
        ("sqrt(-1)", "math domain error"),
        ("1 +", "Not an arithmetic expression"),
        ("1" * 501, "longer than 500 characters"),
    ],
)
def test_the_calculator_refuses(expression: str, says: str, ctx: RunContext) -> None:
    assert says in failure("calculator", {"expression": expression}, ctx).message


def test_the_calculator_needs_an_expression(ctx: RunContext) -> None:
    assert "expression" in failure("calculator", {}, ctx).message
    assert "expression" in failure("calculator", {"expression": 42}, ctx).message


# --- current time ----------------------------------------------------------------------------------------------------


def test_current_time_in_the_servers_zone_and_in_a_named_one(ctx: RunContext) -> None:
    here = call("current_time", {}, ctx).value
    assert isinstance(here, dict)
    zone, name = local_zone()
    assert here["timezone"] == name
    now = datetime.fromisoformat(here["time"])
    assert abs(now - datetime.now(zone)) < timedelta(minutes=1)
    assert here["weekday"] == now.strftime("%A")

    shanghai = call("current_time", {"timezone": "Asia/Shanghai"}, ctx).value
    assert isinstance(shanghai, dict)
    assert shanghai["timezone"] == "Asia/Shanghai" and shanghai["utc_offset"] == "+08:00"
    there = datetime.fromisoformat(shanghai["time"])
    assert there.utcoffset() == timedelta(hours=8)
    assert abs(there - datetime.now(ZoneInfo("Asia/Shanghai"))) < timedelta(minutes=1)
    assert shanghai["weekday"] == there.strftime("%A")
    assert "Unknown time zone" in failure("current_time", {"timezone": "Mars/Olympus"}, ctx).message
    assert "Unknown time zone" in failure("current_time", {"timezone": "../../etc/passwd"}, ctx).message


# --- HTTP requests ---------------------------------------------------------------------------------------------------


class Site(BaseHTTPRequestHandler):
    """A small site on loopback: JSON, an echo, a big body, redirects (some to internal addresses), a slow page."""

    seen: list[tuple[str, str, dict[str, str]]] = []  # noqa: RUF012 - (method, path, headers) of every request
    release = threading.Event()  # the slow page answers once the test is done with it

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _handle(self) -> None:
        Site.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        port = self.server.server_address[1]
        if self.path == "/hello":
            self._send(200, json.dumps({"hello": "world", "你好": "世界"}).encode(), "application/json")
        elif self.path == "/echo":
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            echo = {"method": self.command, "type": self.headers.get("content-type"), "body": body}
            self._send(201, json.dumps(echo).encode(), "application/json")
        elif self.path == "/big":
            self._send(200, b"a" * 200_000, "text/plain")
        elif self.path == "/gbk":
            self._send(200, "中文页面".encode("gbk"), "text/plain; charset=gbk")
        elif self.path == "/moved":
            self._redirect("/hello")
        elif self.path == "/see-other":
            self._redirect("/echo", 303)
        elif self.path == "/to-localhost":  # another origin (a name, not the address): credentials stay behind
            self._redirect(f"http://localhost:{port}/hello")
        elif self.path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/to-private":
            self._redirect("http://10.20.30.40/admin")
        elif self.path == "/loop":
            self._redirect("/loop")
        elif self.path == "/slow":
            Site.release.wait(30)
            self._send(200, b"late", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Internal-Noise", "not shown")
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Site.release.set()
    server.shutdown()


def paths_seen() -> list[str]:
    return [path for _, path, _ in Site.seen]


def test_http_get_returns_status_shown_headers_and_body(site: str, live_server: LiveServer) -> None:
    out = call("http_request", {"url": f"{site}/hello"}, context(live_server, egress=LOOPBACK)).value
    assert isinstance(out, dict)
    assert out["status"] == 200
    assert out["headers"]["content-type"] == "application/json" and "x-internal-noise" not in out["headers"]
    assert json.loads(out["body"]) == {"hello": "world", "你好": "世界"}
    assert "truncated" not in out
    assert Site.seen[-1][2]["user-agent"].startswith("hezi-agent/")
    gbk = call("http_request", {"url": f"{site}/gbk"}, context(live_server, egress=LOOPBACK)).value
    assert isinstance(gbk, dict) and gbk["body"] == "中文页面"  # decoded by the charset the server named
    missing = call("http_request", {"url": f"{site}/nothing"}, context(live_server, egress=LOOPBACK)).value
    assert isinstance(missing, dict) and missing["status"] == 404 and missing["body"] == "not found"


def test_http_post_sends_json_text_as_json_and_other_text_as_is(site: str, live_server: LiveServer) -> None:
    ctx = context(live_server, egress=LOOPBACK)
    out = call("http_request", {"url": f"{site}/echo", "method": "post", "body": '{"q": "问题"}'}, ctx).value
    assert isinstance(out, dict) and out["status"] == 201
    assert json.loads(out["body"]) == {"method": "POST", "type": "application/json", "body": '{"q": "问题"}'}
    headers = {"Content-Type": "text/plain", "X-Token": "t"}
    out = call("http_request", {"url": f"{site}/echo", "method": "PUT", "body": "plain", "headers": headers}, ctx).value
    assert isinstance(out, dict)
    assert json.loads(out["body"]) == {"method": "PUT", "type": "text/plain", "body": "plain"}
    assert Site.seen[-1][2]["x-token"] == "t"


def test_http_body_is_cut_at_the_size_limit(site: str, live_server: LiveServer) -> None:
    out = call("http_request", {"url": f"{site}/big"}, context(live_server, egress=LOOPBACK)).value
    assert isinstance(out, dict) and out["status"] == 200
    assert out["body"] == "a" * 64 * 1024 and "65536 bytes" in out["truncated"]


def test_http_redirects_are_followed_and_a_303_turns_into_a_get(site: str, live_server: LiveServer) -> None:
    ctx = context(live_server, egress=LOOPBACK)
    out = call("http_request", {"url": f"{site}/moved"}, ctx).value
    assert isinstance(out, dict) and out["status"] == 200 and "world" in out["body"]
    out = call("http_request", {"url": f"{site}/see-other", "method": "POST", "body": "{}"}, ctx).value
    assert isinstance(out, dict) and json.loads(out["body"])["method"] == "GET"
    assert "redirects" in failure("http_request", {"url": f"{site}/loop"}, ctx).message


def test_credentials_are_not_carried_to_another_origin(site: str, live_server: LiveServer) -> None:
    ctx = context(live_server, egress=EgressPolicy.from_setting("127.0.0.0/8,::1/128"))
    headers = {"Authorization": "Bearer secret", "X-Other": "kept"}
    out = call("http_request", {"url": f"{site}/to-localhost", "headers": headers}, ctx).value
    assert isinstance(out, dict) and out["status"] == 200
    (_, _, first), (_, _, second) = Site.seen[-2:]
    assert first["authorization"] == "Bearer secret" and second["host"].startswith("localhost:")
    assert "authorization" not in second and second["x-other"] == "kept"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",  # loopback
        "http://localhost:9/",  # a name that resolves to loopback
        "http://[::1]:9/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # shared address space
        "http://0.0.0.0:9/",
    ],
)
def test_internal_addresses_are_refused_by_default(url: str, live_server: LiveServer) -> None:
    refused = failure("http_request", {"url": url}, context(live_server, egress=DEFAULT))
    assert refused.code == "egress_refused" and "HEZI_EGRESS_ALLOW_CIDRS" in refused.message


def test_the_local_site_itself_is_refused_by_default(site: str, live_server: LiveServer) -> None:
    before = len(Site.seen)
    assert failure("http_request", {"url": f"{site}/hello"}, context(live_server, egress=DEFAULT)).code == (
        "egress_refused"
    )
    assert len(Site.seen) == before  # refused before any connection


@pytest.mark.parametrize(("path", "address"), [("/to-metadata", "169.254.169.254"), ("/to-private", "10.20.30.40")])
def test_a_redirect_to_an_internal_address_is_refused(
    site: str, path: str, address: str, live_server: LiveServer
) -> None:
    refused = failure("http_request", {"url": f"{site}{path}"}, context(live_server, egress=LOOPBACK))
    assert refused.code == "egress_refused" and address in refused.message
    assert paths_seen()[-1] == path  # the allowed server was asked; the address it pointed at never was


def test_http_requests_are_bounded_by_the_runs_deadline(site: str, live_server: LiveServer) -> None:
    ctx = context(live_server, egress=LOOPBACK, deadline=time.monotonic() + 1.5)
    timed_out = failure("http_request", {"url": f"{site}/slow"}, ctx)
    assert timed_out.code == "timeout" and "did not answer" in timed_out.message
    spent = context(live_server, egress=LOOPBACK, deadline=time.monotonic() - 1)
    assert failure("http_request", {"url": f"{site}/hello"}, spent).code == "timeout"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({}, "URL"),
        ({"url": "ftp://example.com/file"}, "http"),
        ({"url": "https://example.com/", "method": "TRACE"}, "method must be one of"),
        ({"url": "https://example.com/", "headers": {"X": 1}}, "headers"),
        ({"url": "https://example.com/", "method": "POST", "body": 3}, "body"),
    ],
)
def test_bad_http_arguments_are_refused_clearly(args: dict[str, Any], says: str, ctx: RunContext) -> None:
    assert says in failure("http_request", args, ctx).message


# --- knowledge search ------------------------------------------------------------------------------------------------

HANDBOOK = {
    "leave.txt": "Annual leave: every employee has twenty-five days of paid annual leave per year.",
    "servers.txt": "The data centre has forty servers. Backups of every server run nightly at two o'clock.",
    "canteen.txt": "The canteen serves lunch from noon until half past one, and dumplings on Fridays.",
}


@pytest.fixture(scope="module")
def handbook(model_server: LiveServer) -> dict[str, Any]:
    admin: Api = model_server.admin()
    kb = admin.create_knowledge_base(name=unique("handbook"))
    for name, text in HANDBOOK.items():
        assert add_text(admin, kb, name, text)["status"] == "ready"
    return kb


def test_knowledge_search_returns_numbered_passages_and_their_hits_as_citations(
    model_server: LiveServer, handbook: dict[str, Any]
) -> None:
    ctx = context(
        model_server,
        workspace_id=uuid.UUID(handbook["ws"]),
        knowledge_base_ids=[uuid.UUID(handbook["id"])],
        retrieval={"top_k": 2},
    )
    out = asyncio.run(BUILTIN_TOOLS["knowledge_search"].call({"query": "When do the server backups run?"}, ctx))
    assert isinstance(out.value, str) and out.value.startswith("[1] servers.txt\n")
    assert "two o'clock" in out.value and "[2] " in out.value and "[3] " not in out.value  # the agent's top_k
    assert [hit.position for hit in out.citations] == [1, 2]
    first = out.citations[0]
    assert first.document_name == "servers.txt" and str(first.knowledge_base_id) == handbook["id"]
    assert first.knowledge_base_name == handbook["name"] and "two o'clock" in first.passage

    one = asyncio.run(BUILTIN_TOOLS["knowledge_search"].call({"query": "annual leave days", "top_k": 1}, ctx))
    assert [hit.document_name for hit in one.citations] == ["leave.txt"]

    # passages already cited in the run keep their numbers: new ones follow them, as the loop cites them
    ctx.cited = 3
    later = asyncio.run(BUILTIN_TOOLS["knowledge_search"].call({"query": "annual leave days", "top_k": 1}, ctx))
    assert isinstance(later.value, str) and later.value.startswith("[4] leave.txt\n")


def test_knowledge_search_without_a_knowledge_base_fails_clearly(ctx: RunContext) -> None:
    failed = failure("knowledge_search", {"query": "anything"}, ctx)
    assert failed.code == "no_knowledge_base"


def test_knowledge_search_of_a_base_outside_the_workspace_fails_clearly(
    model_server: LiveServer, handbook: dict[str, Any]
) -> None:
    elsewhere = context(model_server, knowledge_base_ids=[uuid.UUID(handbook["id"])])  # another workspace's id
    failed = failure("knowledge_search", {"query": "backups"}, elsewhere)
    assert failed.code == "knowledge_base_not_found"
    assert "Give the query" in failure("knowledge_search", {"query": " "}, elsewhere).message


# --- code interpreter ------------------------------------------------------------------------------------------------


def test_code_interpreter_returns_output_as_json(ctx: RunContext) -> None:
    out = call("code_interpreter", {"code": "import math\nprint(sum(i * i for i in range(1, 11)))\nmath.pi"}, ctx)
    assert out.value == {"stdout": "385\n3.141592653589793\n", "stderr": "", "exit_code": 0}
    error = call("code_interpreter", {"code": "x = 1\nx / 0"}, ctx).value
    assert isinstance(error, dict) and error["exit_code"] == 1 and "error" not in error
    assert error["stderr"].rstrip().endswith("ZeroDivisionError: division by zero")
    assert "line 2" in error["stderr"]  # the last expression is shown in place: line numbers are the code's


def test_code_interpreter_reports_a_limit_as_an_error(live_server: LiveServer) -> None:
    ctx = context(live_server, deadline=time.monotonic() + 3)  # the run's time left bounds the program's
    out = call("code_interpreter", {"code": "while True:\n    pass"}, ctx).value
    assert isinstance(out, dict) and out["exit_code"] is None
    assert out["error"].startswith("Time limit: the program ran longer than")
    assert "Give the Python code" in failure("code_interpreter", {"code": ""}, ctx).message
