"""An app's logs in the console, from real chats through Dify's route: conversations with their end user, answers,
tokens, latency and feedback; filters, paging; one conversation in full; the CSV export (Chinese text round-trips,
a cell that would be a formula is defused). Members read them; other workspaces do not see them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error

CONFIG = {"model_params": {"temperature": 0, "max_tokens": 16}, "system_prompt": "Answer in one short sentence."}


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def logged(model_server: LiveServer, admin: Api) -> dict[str, Any]:
    """An app with three answers: two to 张三 in one conversation (the second disliked), one to bob (liked)."""
    ws = str(admin.create_workspace()["id"])
    made = make_app(admin, ws, agent_id=published_agent(admin, ws, config=CONFIG)["id"], name="Logs app")
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "k"}).json()["key"]
    dify = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=300)

    def chat(user: str, query: str, conversation: str = "") -> dict[str, Any]:
        body = {"query": query, "user": user, "response_mode": "blocking", "conversation_id": conversation}
        r = dify.post("/chat-messages", json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    first = chat("张三", "年假有几天？")
    second = chat("张三", "病假呢？", first["conversation_id"])
    bob = chat("bob", "=HYPERLINK(1) hello")
    for answer, user, rating in ((second, "张三", "dislike"), (bob, "bob", "like")):
        r = dify.post(f"/messages/{answer['id']}/feedbacks", json={"rating": rating, "user": user})
        assert r.status_code == 200, r.text
    return {"ws": ws, "app": made, "first": first, "second": second, "bob": bob,
            "base": f"/api/workspaces/{ws}/apps/{made['id']}"}  # fmt: skip


def tokens(*answers: dict[str, Any]) -> int:
    return sum(int(a["metadata"]["usage"]["total_tokens"]) for a in answers)


def test_conversations_show_end_user_answers_tokens_and_feedback(admin: Api, logged: dict[str, Any]) -> None:
    page = admin.get(f"{logged['base']}/logs").json()
    assert page["count"] == 2 and page["page"] == 1
    rows = {r["end_user"]: r for r in page["data"]}
    zhang, bob = rows["张三"], rows["bob"]
    assert page["data"][0]["end_user"] == "bob"  # most recently active first
    assert zhang["id"] == logged["first"]["conversation_id"] and zhang["title"] == "年假有几天？"
    assert (zhang["messages"], zhang["likes"], zhang["dislikes"], zhang["annotated"]) == (2, 0, 1, 0)
    assert (bob["messages"], bob["likes"], bob["dislikes"]) == (1, 1, 0)
    # The tokens a Dify client was told are the tokens the log adds up.
    assert zhang["total_tokens"] == tokens(logged["first"], logged["second"]) > 0
    assert zhang["total_tokens"] == zhang["prompt_tokens"] + zhang["completion_tokens"]
    assert bob["total_tokens"] == tokens(logged["bob"])
    assert zhang["mean_latency_ms"] > 0 and zhang["agent_version"] == 1


def test_filters_and_paging(admin: Api, logged: dict[str, Any]) -> None:
    def users(**params: Any) -> list[str]:
        r = admin.get(f"{logged['base']}/logs", params=params)
        assert r.status_code == 200, r.text
        return sorted(c["end_user"] for c in r.json()["data"])

    today = date.today()
    assert users(end_user="张") == ["张三"]
    assert users(end_user="BO") == ["bob"]  # contains, any case
    assert users(rating="like") == ["bob"] and users(rating="dislike") == ["张三"]
    assert users(rating="any") == ["bob", "张三"] and users(rating="none") == []
    assert users(q="病假") == ["张三"] and users(q="hyperlink") == ["bob"] and users(q="100%_") == []
    assert users(annotated="true") == [] and users(annotated="false") == ["bob", "张三"]
    assert users(start=str(today - timedelta(days=1)), end=str(today + timedelta(days=1)), tz="Asia/Shanghai") == [
        "bob", "张三"]  # fmt: skip
    assert users(start="2020-01-01", end="2020-01-31") == []
    one = admin.get(f"{logged['base']}/logs", params={"limit": 1, "page": 2}).json()
    assert one["count"] == 2 and [c["end_user"] for c in one["data"]] == ["张三"]


def test_one_conversation_in_full(admin: Api, logged: dict[str, Any]) -> None:
    r = admin.get(f"{logged['base']}/logs/{logged['first']['conversation_id']}")
    assert r.status_code == 200, r.text
    detail = r.json()
    thread = detail["thread"]
    assert [(m["role"], m["content"]) for m in thread if m["role"] == "user"] == [("user", "年假有几天？"),
                                                                                 ("user", "病假呢？")]  # fmt: skip
    answers = [m for m in thread if m["role"] == "assistant"]
    assert [a["id"] for a in answers] == [logged["first"]["id"], logged["second"]["id"]]
    assert answers[0]["content"] == logged["first"]["answer"]
    assert answers[0]["prompt_tokens"] + answers[0]["completion_tokens"] == tokens(logged["first"])
    assert answers[0]["latency_ms"] > 0 and answers[0]["steps"] == [] and answers[0]["citations"] == []
    assert [a["rating"] for a in answers] == [None, "dislike"] and answers[1]["annotation"] is None
    assert answers[0]["model"] and detail["messages"] == 2 and detail["end_user"] == "张三"


def test_csv_export_round_trips_chinese_and_defuses_formulas(admin: Api, logged: dict[str, Any]) -> None:
    r = admin.get(f"{logged['base']}/logs.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads Chinese right
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(row["end_user"], row["question"]) for row in rows] == [
        ("张三", "年假有几天？"), ("张三", "病假呢？"), ("bob", "'=HYPERLINK(1) hello")]  # fmt: skip
    assert rows[1]["rating"] == "dislike" and rows[2]["rating"] == "like"
    assert int(rows[0]["prompt_tokens"]) + int(rows[0]["completion_tokens"]) == tokens(logged["first"])
    assert rows[0]["answer"].lstrip("'") == logged["first"]["answer"]
    only_bob = admin.get(f"{logged['base']}/logs.csv", params={"end_user": "bob"}).content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(only_bob)))) == 1


def test_bad_input_and_scope(model_server: LiveServer, admin: Api, logged: dict[str, Any]) -> None:
    base = logged["base"]
    assert_error(admin.get(f"{base}/logs", params={"tz": "Mars/Olympus"}), 400, "invalid_time_zone")
    assert_error(admin.get(f"{base}/logs", params={"start": "2025-02-01", "end": "2025-01-01"}), 400, "invalid_range")
    assert_error(admin.get(f"{base}/logs", params={"rating": "meh"}), 422)
    assert_error(admin.get(f"{base}/logs", params={"limit": 0}), 422)
    assert_error(admin.get(f"{base}/logs/{logged['app']['id']}"), 404, "conversation_not_found")
    assert_error(admin.get(f"{base}/logs/not-a-uuid"), 422)
    assert httpx.get(f"{model_server.url}{base}/logs").status_code == 401

    member, outsider = admin.create_user(), admin.create_user()
    admin.add_member(logged["ws"], member["username"], "member")
    as_member = Api(model_server.url).login(member["username"], member["password"])
    assert as_member.get(f"{base}/logs").json()["count"] == 2  # members read
    as_outsider = Api(model_server.url).login(outsider["username"], outsider["password"])
    assert_error(as_outsider.get(f"{base}/logs"), 404)
    assert_error(as_outsider.get(f"{base}/logs.csv"), 404)
    # Another workspace's path with this app's id finds nothing.
    other_ws = str(admin.create_workspace()["id"])
    assert_error(admin.get(f"/api/workspaces/{other_ws}/apps/{logged['app']['id']}/logs"), 404, "app_not_found")
    # An app key reaches no console route.
    key = admin.post(f"{base}/keys", json={"name": "k2"}).json()["key"]
    assert_error(httpx.get(f"{model_server.url}{base}/logs", headers={"Authorization": f"Bearer {key}"}), 403)
