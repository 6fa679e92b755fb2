"""Annotations: the owner's ideal answers. A later question similar enough (cosine of multilingual-e5-small query
vectors, at least the app's threshold) gets the annotation's answer without calling the model — marked in Dify's
blocking and streaming answers (`metadata.annotation_reply`), in the stored message and in the logs; a dissimilar
question still goes to the model. Annotations are written in the console, or saved from a logged answer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import psycopg
import pytest

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, wait_for

CONFIG = {"model_params": {"temperature": 0, "max_tokens": 16}, "system_prompt": "Answer in one short sentence."}
QUESTION = "公司的年假政策是什么？"
ANSWER = "每位员工每年有二十五天带薪年假，未休的可以延到次年三月底。"


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def app(model_server: LiveServer, admin: Api) -> dict[str, Any]:
    ws = str(admin.create_workspace()["id"])
    made = make_app(admin, ws, agent_id=published_agent(admin, ws, config=CONFIG)["id"], name="Annotated")
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "k"}).json()["key"]
    dify = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=300)
    return {**made, "ws": ws, "dify": dify, "base": f"/api/workspaces/{ws}/apps/{made['id']}"}


def ask(app: dict[str, Any], query: str, user: str = "amy") -> dict[str, Any]:
    r = app["dify"].post("/chat-messages", json={"query": query, "user": user, "response_mode": "blocking"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def usage_rows(server: LiveServer, conversation_id: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute("SELECT endpoint, model, prompt_tokens + completion_tokens FROM usage_records "
                            "WHERE conversation_id = %s", (conversation_id,)).fetchall()  # fmt: skip
    return [(r[0], r[1], r[2]) for r in rows]


def stored_answer(server: LiveServer, message_id: str) -> tuple[str | None, str | None, str]:
    with psycopg.connect(server.database_url) as conn:
        row = conn.execute("SELECT annotation_id::text, model, content FROM messages WHERE id = %s",
                           (message_id,)).fetchone()  # fmt: skip
    assert row is not None
    return row[0], row[1], row[2]


def test_a_similar_question_gets_the_annotation_without_the_model(
    model_server: LiveServer, admin: Api, app: dict[str, Any]
) -> None:
    base = app["base"]
    assert admin.get(f"{base}/annotation-reply").json() == {
        "enabled": False, "score_threshold": 0.9, "embedding_model": "multilingual-e5-small"}  # fmt: skip
    r = admin.post(f"{base}/annotations", json={"question": QUESTION, "answer": ANSWER})
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["hits"] == 0 and note["created_by"] == model_server.admin_username
    on = admin.patch(f"{base}/annotation-reply", json={"enabled": True, "score_threshold": 0.88})
    assert on.status_code == 200 and on.json()["enabled"] is True and on.json()["score_threshold"] == 0.88
    assert app["dify"].get("/parameters").json()["annotation_reply"] == {"enabled": True}  # as Dify's clients see it

    # Blocking: the annotation's answer, named in Dify's metadata; nothing spent on the chat model.
    hit = ask(app, "公司的年假政策是什么")
    assert hit["answer"] == ANSWER
    assert hit["metadata"]["annotation_reply"] == {"id": note["id"], "account": {
        "id": admin.me()["user"]["id"], "name": model_server.admin_username}}  # fmt: skip
    assert hit["metadata"]["usage"]["total_tokens"] == 0
    annotation_id, model, content = stored_answer(model_server, hit["id"])
    assert (annotation_id, model, content) == (note["id"], None, ANSWER)

    # Streaming: the text as a `message` event, the annotation in message_end's metadata.
    with app["dify"].stream("POST", "/chat-messages", json={"query": "公司年假政策是什么？", "user": "amy",
                                                            "response_mode": "streaming"}) as s:  # fmt: skip
        events = [json.loads(line[5:]) for line in s.iter_lines() if line.startswith("data:")]
    assert "".join(e["answer"] for e in events if e["event"] == "message") == ANSWER
    assert events[-1]["event"] == "message_end"
    assert events[-1]["metadata"]["annotation_reply"]["id"] == note["id"]

    # A dissimilar question goes to the model, which is metered to its conversation.
    other = ask(app, "How do I reset my VPN password?")
    assert "annotation_reply" not in other["metadata"] and other["metadata"]["usage"]["total_tokens"] > 0
    assert stored_answer(model_server, other["id"])[0] is None and stored_answer(model_server, other["id"])[1]
    wait_for(lambda: any(e == "chat" for e, _, _ in usage_rows(model_server, other["conversation_id"])),
             "the model's usage to be written")  # fmt: skip
    # Usage is written in order: by now the annotation's answers would have shown up, had they used a model.
    assert usage_rows(model_server, hit["conversation_id"]) == []
    assert usage_rows(model_server, events[-1]["conversation_id"]) == []

    # The console counts the hits; the logs mark the answers.
    listed = admin.get(f"{base}/annotations").json()
    assert listed["count"] == 1 and listed["data"][0]["hits"] == 2
    logs = admin.get(f"{base}/logs", params={"annotated": "true"}).json()
    assert logs["count"] == 2 and all(c["annotated"] == 1 and c["total_tokens"] == 0 for c in logs["data"])
    thread = admin.get(f"{base}/logs/{hit['conversation_id']}").json()["thread"]
    assert thread[-1]["annotation"] == {"id": note["id"], "question": QUESTION}

    # Switched off, the same question goes to the model again.
    admin.patch(f"{base}/annotation-reply", json={"enabled": False})
    off = ask(app, QUESTION)
    assert "annotation_reply" not in off["metadata"] and off["metadata"]["usage"]["total_tokens"] > 0
    admin.patch(f"{base}/annotation-reply", json={"enabled": True})


def test_an_answer_from_the_logs_saved_as_an_annotation(admin: Api, app: dict[str, Any]) -> None:
    base = app["base"]
    admin.patch(f"{base}/annotation-reply", json={"enabled": True})
    first = ask(app, "What is the wifi password in the guest room?", user="ben")
    saved = admin.post(f"{base}/annotations", json={"message_id": first["id"], "answer": "Ask the front desk."})
    assert saved.status_code == 201, saved.text
    assert saved.json()["question"] == "What is the wifi password in the guest room?"
    again = ask(app, "what is the wifi password in the guest room", user="ben")
    assert (
        again["answer"] == "Ask the front desk." and again["metadata"]["annotation_reply"]["id"] == saved.json()["id"]
    )

    # Edited, the new answer is given; deleted, the logs keep the answer but no longer link it.
    note_id = saved.json()["id"]
    edited = admin.patch(f"{base}/annotations/{note_id}", json={"answer": "Dial 0 for the front desk."})
    assert edited.status_code == 200 and edited.json()["hits"] == 1
    assert (
        ask(app, "What is the wifi password in the guest room?", user="ben")["answer"] == "Dial 0 for the front desk."
    )
    assert admin.delete(f"{base}/annotations/{note_id}").status_code == 204
    thread = admin.get(f"{base}/logs/{again['conversation_id']}").json()["thread"]
    assert thread[-1]["content"] == "Ask the front desk." and thread[-1]["annotation"] is None
    assert admin.get(f"{base}/annotations", params={"q": "wifi"}).json()["count"] == 0


def test_annotations_bad_input_and_roles(model_server: LiveServer, admin: Api, app: dict[str, Any]) -> None:
    base = app["base"]
    assert_error(admin.post(f"{base}/annotations", json={"question": "  ", "answer": "x"}), 422)
    assert_error(admin.post(f"{base}/annotations", json={"question": "only a question"}), 400, "annotation_incomplete")
    assert_error(admin.post(f"{base}/annotations", json={"question": "q", "answer": "a", "extra": 1}), 422)
    other = make_app(admin, app["ws"], agent_id=app["agent_id"], name="Other")
    assert_error(admin.post(f"/api/workspaces/{app['ws']}/apps/{other['id']}/annotations",
                            json={"message_id": app["id"]}), 404, "message_not_found")  # fmt: skip
    assert_error(admin.patch(f"{base}/annotation-reply", json={"score_threshold": 0.3}), 422)
    assert_error(admin.patch(f"{base}/annotations/{app['id']}", json={"answer": "x"}), 404, "annotation_not_found")
    member = admin.create_user()
    admin.add_member(app["ws"], member["username"], "member")
    as_member = Api(model_server.url).login(member["username"], member["password"])
    assert as_member.get(f"{base}/annotations").status_code == 200
    assert_error(as_member.post(f"{base}/annotations", json={"question": "q", "answer": "a"}), 403)
    assert_error(as_member.patch(f"{base}/annotation-reply", json={"enabled": False}), 403)
