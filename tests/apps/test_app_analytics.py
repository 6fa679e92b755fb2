"""An app's analytics per day, from real chats through Dify's route: conversations, answers, end users, tokens,
mean latency, satisfaction (likes / (likes + dislikes)) and annotation answers, in the viewer's time zone, with the
range's totals; days without use are zeros."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error

CONFIG = {"model_params": {"temperature": 0, "max_tokens": 16}, "system_prompt": "Answer in one short sentence."}
TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def used(model_server: LiveServer, admin: Api) -> dict[str, Any]:
    """alice: two answers in one conversation (the first liked); bob: one (disliked); carol: an annotation's."""
    ws = str(admin.create_workspace()["id"])
    made = make_app(admin, ws, agent_id=published_agent(admin, ws, config=CONFIG)["id"], name="Counted")
    base = f"/api/workspaces/{ws}/apps/{made['id']}"
    key = admin.post(f"{base}/keys", json={"name": "k"}).json()["key"]
    dify = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=300)
    assert (
        admin.post(f"{base}/annotations", json={"question": "营业时间？", "answer": "九点到五点。"}).status_code == 201
    )
    admin.patch(f"{base}/annotation-reply", json={"enabled": True})

    def chat(user: str, query: str, conversation: str = "") -> dict[str, Any]:
        body = {"query": query, "user": user, "response_mode": "blocking", "conversation_id": conversation}
        r = dify.post("/chat-messages", json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    a1 = chat("alice", "Hello there")
    a2 = chat("alice", "Tell me more", a1["conversation_id"])
    b1 = chat("bob", "你好")
    c1 = chat("carol", "营业时间？")
    assert c1["metadata"].get("annotation_reply")
    dify.post(f"/messages/{a1['id']}/feedbacks", json={"rating": "like", "user": "alice"})
    dify.post(f"/messages/{b1['id']}/feedbacks", json={"rating": "dislike", "user": "bob"})
    return {"base": base, "answers": [a1, a2, b1, c1]}


def test_today_counts_what_was_used(admin: Api, used: dict[str, Any]) -> None:
    r = admin.get(f"{used['base']}/analytics", params={"tz": TZ})
    assert r.status_code == 200, r.text
    stats = r.json()
    today = datetime.now(ZoneInfo(TZ)).date()
    assert stats["end"] == str(today) and stats["start"] == str(today - timedelta(days=6)) and stats["tz"] == TZ
    assert [d["date"] for d in stats["days"]] == [str(today - timedelta(days=6 - i)) for i in range(7)]
    day = stats["days"][-1]
    tokens = sum(int(a["metadata"]["usage"]["total_tokens"]) for a in used["answers"])
    assert (day["conversations"], day["messages"], day["end_users"], day["tokens"]) == (3, 4, 3, tokens)
    assert (day["likes"], day["dislikes"], day["satisfaction"], day["annotated"]) == (1, 1, 0.5, 1)
    assert day["mean_latency_ms"] > 0
    assert all(d["messages"] == 0 and d["satisfaction"] is None and d["mean_latency_ms"] is None
               for d in stats["days"][:-1])  # fmt: skip
    assert stats["totals"] | {"date": day["date"]} == day


def test_a_range_without_use_and_bad_ranges(admin: Api, used: dict[str, Any]) -> None:
    base = used["base"]
    past = admin.get(f"{base}/analytics", params={"start": "2024-02-27", "end": "2024-03-01"}).json()
    assert [d["date"] for d in past["days"]] == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]
    assert past["totals"]["messages"] == 0 and past["totals"]["satisfaction"] is None and past["tz"] == "UTC"
    assert_error(
        admin.get(f"{base}/analytics", params={"start": "2024-01-01", "end": "2025-06-01"}), 400, "invalid_range"
    )
    assert_error(
        admin.get(f"{base}/analytics", params={"start": "2024-03-01", "end": "2024-02-01"}), 400, "invalid_range"
    )
    assert_error(admin.get(f"{base}/analytics", params={"tz": "Nowhere/City"}), 400, "invalid_time_zone")
    assert_error(admin.get(f"{base}/analytics", params={"start": "yesterday"}), 422)
    assert date.fromisoformat(admin.get(f"{base}/analytics", params={"end": "2024-01-07"}).json()["start"]) == date(
        2024, 1, 1)  # fmt: skip
