"""The web app's own API (/app/{token}/api/…) over raw HTTP, as its page and the widget's iframe call it: visitors
kept by a signed cookie (or the iframe's header), access by password or workspace sign-in, each visitor's
conversations theirs alone, channels and allowed origins (CORS, frame-ancestors) checked on every request."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique

CONFIG = {
    "model_params": {"temperature": 0, "max_tokens": 16},
    "system_prompt": "Answer in one short sentence.",
    "opening_statement": "Hello, I answer questions about leave.",
    "suggested_questions": ["How many days of annual leave?"],
    "user_input_form": [
        {"text-input": {"variable": "dept", "label": "Department", "required": False}},
        {"select": {"variable": "level", "label": "Level", "required": False, "options": ["junior", "senior"]}},
    ],
}
ALLOWED = "http://allowed.example:8000"
CHANNELS = {"web_app": True, "widget": True, "api": True, "openai": True, "mcp": False}


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


@pytest.fixture(scope="module")
def agent(admin: Api, ws: str) -> dict[str, Any]:
    return published_agent(admin, ws, config=CONFIG)


def new_app(admin: Api, ws: str, agent: dict[str, Any], **settings: Any) -> dict[str, Any]:
    create = {k: settings.pop(k) for k in ("access", "password") if k in settings}
    app = make_app(admin, ws, agent_id=agent["id"], name=unique("web"), channels=CHANNELS, **create)
    if settings:
        r = admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json=settings)
        assert r.status_code == 200, r.text
        app = r.json()
    return {**app, "token": app["web_app_path"].rsplit("/", 1)[1]}


class Visitor:
    """A browser as the web app sees it: the app's cookie kept and sent back, nothing else."""

    def __init__(self, server: LiveServer, app: dict[str, Any], **headers: str) -> None:
        self.http = httpx.Client(base_url=f"{server.url}/app/{app['token']}", timeout=300, headers=headers)
        self.cookie: str | None = None

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", None) or {})
        if self.cookie:
            headers.setdefault("Cookie", f"hezi_visitor={self.cookie}")
        r = self.http.request(method, path, headers=headers, **kw)
        for header in r.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            if name == "hezi_visitor":
                self.cookie = rest.split(";", 1)[0]
        return r

    def chat(self, query: str, conversation_id: str | None = None, **body: Any) -> list[dict[str, Any]]:
        r = self.request("POST", "/api/chat", json={"query": query, "conversation_id": conversation_id, **body})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]


def stored(server: LiveServer, conversation_id: str) -> list[tuple[str, str, str | None]]:
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT m.role, m.content, c.end_user FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.id = %s ORDER BY m.created_at", (conversation_id,),
        ).fetchall()  # fmt: skip
    return [(r[0], r[1], r[2]) for r in rows]


def test_a_public_visitor_gets_a_cookie_chats_and_keeps_their_conversations(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]
) -> None:
    app = new_app(admin, ws, agent)
    alice = Visitor(model_server, app)
    opened = alice.request("GET", "/api/app")
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body["needs"] is None and body["access"] == "public" and body["name"] == app["name"]
    assert body["opening_statement"] == CONFIG["opening_statement"]
    assert body["suggested_questions"] == CONFIG["suggested_questions"]
    assert body["user_input_form"] == CONFIG["user_input_form"] and "visitor_token" not in body
    cookie = opened.headers["set-cookie"]
    assert f"Path=/app/{app['token']}" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert alice.cookie and alice.cookie.startswith("hzv1_")
    # The same visitor next time: no new cookie.
    assert "set-cookie" not in alice.request("GET", "/api/app").headers

    events = alice.chat("Hello", inputs={"dept": "sales"})
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and "text" in kinds and kinds[-1] == "end", kinds
    answer = "".join(e["text"] for e in events if e["event"] == "text")
    conversation = events[0]["conversation_id"]
    rows = stored(model_server, conversation)
    assert [r[:2] for r in rows] == [("user", "Hello"), ("assistant", answer)]
    assert rows[0][2] and rows[0][2].startswith("web-")
    again = alice.chat("And then?", conversation)
    assert again[0]["conversation_id"] == conversation

    listed = alice.request("GET", "/api/conversations").json()
    assert [c["id"] for c in listed["data"]] == [conversation] and listed["has_more"] is False
    detail = alice.request("GET", f"/api/conversations/{conversation}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"] * 2
    assert detail["inputs"] == {"dept": "sales"} and detail["messages"][1]["content"] == answer
    renamed = alice.request("PATCH", f"/api/conversations/{conversation}", json={"title": "Leave"})
    assert renamed.json()["title"] == "Leave"
    rated = alice.request("POST", f"/api/messages/{events[0]['message_id']}/feedback",
                          json={"rating": "dislike", "comment": "too short"})  # fmt: skip
    assert rated.status_code == 200 and rated.json()["rating"] == "dislike" and rated.json()["feedback"] == "too short"

    # Bad input is a 4xx in hezi's shape; nothing is stored for it.
    assert_error(alice.request("POST", "/api/chat", json={"query": "  "}), 422, "validation_error")
    assert_error(
        alice.request("POST", "/api/chat", json={"query": "x", "inputs": {"level": "boss"}}), 400, "invalid_inputs"
    )
    assert_error(alice.request("GET", "/api/conversations/not-a-uuid"), 422, "validation_error")
    assert_error(alice.request("POST", f"/api/chat/{conversation}/stop"), 404, "task_not_found")

    gone = alice.request("DELETE", f"/api/conversations/{conversation}")
    assert gone.status_code == 204 and alice.request("GET", "/api/conversations").json()["data"] == []


def test_visitors_see_only_their_own_conversations(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]
) -> None:
    app = new_app(admin, ws, agent)
    a, b = Visitor(model_server, app), Visitor(model_server, app)
    a.request("GET", "/api/app")
    b.request("GET", "/api/app")
    assert a.cookie != b.cookie
    events = a.chat("Mine")
    conversation, message = events[0]["conversation_id"], events[0]["message_id"]
    assert b.request("GET", "/api/conversations").json()["data"] == []
    assert_error(b.request("GET", f"/api/conversations/{conversation}"), 404)
    assert_error(b.request("PATCH", f"/api/conversations/{conversation}", json={"title": "x"}), 404)
    assert_error(b.request("DELETE", f"/api/conversations/{conversation}"), 404)
    assert_error(b.request("POST", f"/api/messages/{message}/feedback", json={"rating": "like"}), 404)
    assert_error(b.request("POST", "/api/chat", json={"query": "x", "conversation_id": conversation}), 404)

    # No cookie, or one altered or made for another app: not a visitor of this app.
    nobody = Visitor(model_server, app)
    assert_error(nobody.request("POST", "/api/chat", json={"query": "x"}), 401, "visitor_required")
    assert a.cookie is not None
    forged = Visitor(model_server, app)
    forged.cookie = a.cookie[:-3] + ("AAA" if not a.cookie.endswith("AAA") else "BBB")
    assert_error(forged.request("GET", "/api/conversations"), 401, "visitor_required")
    other = new_app(admin, ws, agent)
    foreign = Visitor(model_server, other)
    foreign.cookie = a.cookie
    assert_error(foreign.request("GET", "/api/conversations"), 401, "visitor_required")


def test_a_password_app_lets_in_whoever_knows_the_password(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]
) -> None:
    app = new_app(admin, ws, agent, access="password", password="open sesame")
    v = Visitor(model_server, app)
    face = v.request("GET", "/api/app").json()
    assert face["needs"] == "password" and face["name"] == app["name"] and "opening_statement" not in face
    assert v.cookie is None
    assert_error(v.request("POST", "/api/chat", json={"query": "x"}), 401, "app_password_required")
    assert_error(v.request("POST", "/api/password", json={"password": "wrong"}), 401, "wrong_app_password")
    assert_error(v.request("POST", "/api/password", json={}), 422, "validation_error")
    ok = v.request("POST", "/api/password", json={"password": "open sesame"})
    assert ok.status_code == 200 and ok.json() == {"result": "success"} and v.cookie
    assert v.request("GET", "/api/app").json()["needs"] is None
    conversation = v.chat("Hello")[0]["conversation_id"]

    # A new password signs everyone out; signing in again, the visitor finds their conversations.
    admin.patch(f"/api/workspaces/{ws}/apps/{app['id']}", json={"password": "new secret"})
    assert v.request("GET", "/api/app").json()["needs"] == "password"
    assert_error(v.request("GET", "/api/conversations"), 401, "app_password_required")
    assert v.request("POST", "/api/password", json={"password": "new secret"}).status_code == 200
    assert [c["id"] for c in v.request("GET", "/api/conversations").json()["data"]] == [conversation]


def test_password_guesses_are_throttled(model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]) -> None:
    app = new_app(admin, ws, agent, access="password", password="the right one")
    v = Visitor(model_server, app)
    codes = [v.request("POST", "/api/password", json={"password": f"guess {i}"}).status_code for i in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429, codes
    locked = v.request("POST", "/api/password", json={"password": "the right one"})
    assert_error(locked, 429, "too_many_attempts")
    assert int(locked.headers["Retry-After"]) > 0


def test_a_workspace_app_wants_a_member_signed_in(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]
) -> None:
    app = new_app(admin, ws, agent, access="workspace")
    v = Visitor(model_server, app)
    assert v.request("GET", "/api/app").json()["needs"] == "sign_in"
    assert_error(v.request("POST", "/api/chat", json={"query": "x"}), 401, "app_sign_in_required")

    outsider = admin.create_user()
    other = model_server.api().login(outsider["username"], outsider["password"])
    stranger = Visitor(model_server, app, Cookie=f"hezi_session={other.token}")
    assert stranger.request("GET", "/api/app").json()["needs"] == "membership"
    assert_error(stranger.request("GET", "/api/conversations"), 403, "app_not_member")

    member = Visitor(model_server, app, Cookie=f"hezi_session={admin.token}")
    face = member.request("GET", "/api/app").json()
    assert face["needs"] is None and face["signed_in"] is True and member.cookie is None
    conversation = member.chat("Hello")[0]["conversation_id"]
    assert stored(model_server, conversation)[0][2] == f"member-{admin.me()['user']['id']}"


def test_switched_off_apps_and_channels_answer_clearly(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]
) -> None:
    app = new_app(admin, ws, agent)
    v = Visitor(model_server, app)
    v.request("GET", "/api/app")
    page = v.request("GET", "")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == "frame-ancestors 'self'"

    path = f"/api/workspaces/{ws}/apps/{app['id']}"
    admin.patch(path, json={"channels": {**CHANNELS, "web_app": False}})
    assert v.request("GET", "").status_code == 403
    assert_error(v.request("GET", "/api/app"), 400, "app_unavailable")
    assert_error(v.request("POST", "/api/chat", json={"query": "x"}), 400, "app_unavailable")
    # The widget's channel is still open: its iframe works.
    assert v.request("GET", "/api/app", headers={"X-Hezi-Embed": "1"}).json()["needs"] is None
    assert v.request("GET", "?embed=1").status_code == 200

    admin.patch(path, json={"enabled": False})
    assert v.request("GET", "?embed=1").status_code == 403
    assert_error(v.request("GET", "/api/app", headers={"X-Hezi-Embed": "1"}), 400, "app_unavailable")
    assert v.request("GET", "/widget.js").status_code == 404

    nowhere = httpx.get(f"{model_server.url}/app/no-such-token")
    assert nowhere.status_code == 404 and nowhere.headers["content-type"].startswith("text/html")
    assert_error(httpx.get(f"{model_server.url}/app/no-such-token/api/app"), 404, "app_not_found")
    assert_error(httpx.get(f"{model_server.url}/app/no-such-token/api/nothing-here"), 404)


def test_allowed_origins_get_cors_and_frame_permission_and_others_none(
    model_server: LiveServer, admin: Api, ws: str, agent: dict[str, Any]
) -> None:
    app = new_app(admin, ws, agent, allowed_origins=[ALLOWED])
    embed = httpx.get(f"{model_server.url}/app/{app['token']}?embed=1")
    assert embed.headers["content-security-policy"] == f"frame-ancestors 'self' {ALLOWED}"
    script = httpx.get(f"{model_server.url}/app/{app['token']}/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")

    friend = Visitor(model_server, app, Origin=ALLOWED)
    opened = friend.request("GET", "/api/app")
    assert opened.status_code == 200 and opened.json()["needs"] is None
    assert opened.headers["access-control-allow-origin"] == ALLOWED
    assert opened.headers["access-control-allow-credentials"] == "true"
    assert friend.request("GET", "/api/widget").json()["name"] == app["name"]
    preflight = friend.request("OPTIONS", "/api/chat", headers={"Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "x-hezi-visitor" in preflight.headers["access-control-allow-headers"].lower()
    # Errors carry CORS too, so that the allowed page can read them.
    missing = friend.request("GET", "/api/conversations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == ALLOWED

    # The iframe on a site that keeps no cookie for it: the visitor token comes in the body and goes back in a header.
    iframe = Visitor(model_server, app, **{"X-Hezi-Embed": "1"})
    token = iframe.request("GET", "/api/app").json()["visitor_token"]
    assert token and token == iframe.cookie
    iframe.cookie = None
    assert iframe.request("GET", "/api/conversations", headers={"X-Hezi-Visitor": token}).status_code == 200

    stranger = Visitor(model_server, app, Origin="http://evil.example")
    for method, path in (("GET", "/api/app"), ("GET", "/api/widget"), ("POST", "/api/chat")):
        refused = stranger.request(method, path, json={"query": "x"} if method == "POST" else None)
        assert_error(refused, 403, "origin_not_allowed")
        assert "access-control-allow-origin" not in refused.headers
    preflight = stranger.request("OPTIONS", "/api/chat", headers={"Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    assert stranger.cookie is None
