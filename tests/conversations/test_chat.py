"""Chat with an agent over the console API, on the real bundled model: streamed answers that are stored, with
history, branches (regenerate, edit and resend), feedback, titles, search, stop, files, and workspace isolation."""

from __future__ import annotations

import json
import threading

from hezi.serving.bundled import SMOLLM2_NAME
from tests.conftest import LiveServer
from tests.conversations.chat import answer_of, ask, events_of, make_agent
from tests.helpers import assert_error, wait_for, worker_health


def test_a_streamed_answer_is_stored_with_its_conversation(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(
        api,
        ws,
        system_prompt="You are a polite assistant of {{company}}.",
        user_input_form=[{"text-input": {"variable": "company", "label": "Company", "required": True}}],
    )
    refused = api.post(f"/api/workspaces/{ws}/agents/{agent['id']}/chat", json={"query": "hi", "preview": True})
    assert_error(refused, 400, "invalid_inputs")  # the form's required field is missing

    events = ask(api, ws, agent["id"], "Say hello.", preview=True, inputs={"company": "Hezi"})
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and "text" in kinds
    streamed = "".join(e["text"] for e in events if e["event"] == "text")
    message = answer_of(events)
    assert message["content"] == streamed and streamed.strip()
    assert message["status"] == "ok" and message["role"] == "assistant"
    assert message["usage"]["completion_tokens"] > 0
    start = events[0]
    cid = start["conversation_id"]

    detail = api.get(f"/api/workspaces/{ws}/conversations/{cid}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["messages"][0]["content"] == "Say hello." and detail["messages"][1]["content"] == streamed
    assert detail["inputs"] == {"company": "Hezi"}
    assert detail["title"] == "Say hello."

    # the second question sees the first exchange and continues the same conversation
    events = ask(api, ws, agent["id"], "Say it again.", preview=True, conversation_id=cid)
    assert events[0]["conversation_id"] == cid
    detail = api.get(f"/api/workspaces/{ws}/conversations/{cid}").json()
    assert len(detail["messages"]) == 4

    listed = api.get(f"/api/workspaces/{ws}/conversations", params={"agent_id": agent["id"]}).json()
    assert [c["id"] for c in listed["data"]] == [cid]
    found = api.get(f"/api/workspaces/{ws}/conversations", params={"q": "again"}).json()
    assert cid in [c["id"] for c in found["data"]]
    assert api.get(f"/api/workspaces/{ws}/conversations", params={"q": "zzz-nothing"}).json()["count"] == 0

    renamed = api.patch(f"/api/workspaces/{ws}/conversations/{cid}", json={"title": "问候"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "问候"
    assert api.delete(f"/api/workspaces/{ws}/conversations/{cid}").status_code == 204
    assert_error(api.get(f"/api/workspaces/{ws}/conversations/{cid}"), 404, "conversation_not_found")


def test_regenerate_and_edit_keep_the_old_branch(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(api, ws, model_params={"temperature": 1.0, "max_tokens": 24})
    first = ask(api, ws, agent["id"], "Name a colour.", preview=True)
    cid, old = first[0]["conversation_id"], answer_of(first)

    again = events_of(api, f"/api/workspaces/{ws}/conversations/{cid}/messages/{old['id']}/regenerate", {})
    new = answer_of(again)
    assert new["parent_id"] == old["parent_id"] and new["siblings"] == [old["id"], new["id"]]
    shown = api.get(f"/api/workspaces/{ws}/conversations/{cid}").json()["messages"]
    assert [m["id"] for m in shown] == [old["parent_id"], new["id"]]

    # show the old answer again; both stay
    back = api.post(f"/api/workspaces/{ws}/conversations/{cid}/head", json={"message_id": old["id"]}).json()
    assert back["messages"][-1]["id"] == old["id"] and back["messages"][-1]["siblings"] == [old["id"], new["id"]]

    # edit the question: a new question beside the old one, with its own answer
    edited = ask(api, ws, agent["id"], "Name a fruit.", preview=True, conversation_id=cid, edit_of=old["parent_id"])
    shown = api.get(f"/api/workspaces/{ws}/conversations/{cid}").json()["messages"]
    assert shown[0]["content"] == "Name a fruit." and len(shown[0]["siblings"]) == 2
    assert shown[1]["id"] == answer_of(edited)["id"]

    liked = api.post(
        f"/api/workspaces/{ws}/conversations/{cid}/messages/{new['id']}/feedback",
        json={"rating": "dislike", "comment": "too short"},
    )
    assert liked.status_code == 200 and liked.json()["rating"] == "dislike" and liked.json()["feedback"] == "too short"
    cleared = api.post(f"/api/workspaces/{ws}/conversations/{cid}/messages/{new['id']}/feedback", json={"rating": None})
    assert cleared.json()["rating"] is None and cleared.json()["feedback"] is None


def test_stop_ends_the_answer_and_keeps_what_was_said(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(api, ws, model_params={"temperature": 1.0, "max_tokens": 2000})
    events: list[dict] = []
    started = threading.Event()

    def read() -> None:
        headers = {"Authorization": f"Bearer {api.token}"}
        body = {"query": "Write a very long story about a dragon.", "preview": True}
        with api.http.stream(
            "POST", f"/api/workspaces/{ws}/agents/{agent['id']}/chat", json=body, headers=headers, timeout=300
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if events[-1]["event"] == "text":
                        started.set()

    cancelled_before = sum(h["jobs_cancelled"] for h in worker_health(model_server.app, SMOLLM2_NAME))
    reader = threading.Thread(target=read)
    reader.start()
    wait_for(started.is_set, "the answer to start streaming", timeout=120)
    task = events[0]["task_id"]
    assert api.post(f"/api/workspaces/{ws}/chat/{task}/stop").status_code == 204
    reader.join(timeout=120)
    message = answer_of(events)
    assert message["status"] == "stopped" and message["content"]
    assert message["usage"]["completion_tokens"] < 2000
    assert_error(api.post(f"/api/workspaces/{ws}/chat/{task}/stop"), 404, "task_not_found")
    # the worker stopped generating: its slot is free for others
    wait_for(
        lambda: sum(h["jobs_cancelled"] for h in worker_health(model_server.app, SMOLLM2_NAME)) > cancelled_before,
        "the worker to cancel the stopped answer's job",
    )


def test_an_answer_whose_reader_went_away_is_stored_as_stopped(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(api, ws, model_params={"temperature": 1.0, "max_tokens": 2000})
    headers = {"Authorization": f"Bearer {api.token}"}
    body = {"query": "Write a very long story about a cat.", "preview": True}
    with api.http.stream(
        "POST", f"/api/workspaces/{ws}/agents/{agent['id']}/chat", json=body, headers=headers, timeout=300
    ) as r:
        lines = r.iter_lines()
        start = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
        next(line for line in lines if line.startswith('data: {"event":"text"'))
    # the connection is closed here, mid-answer

    def stored() -> dict | None:
        messages = api.get(f"/api/workspaces/{ws}/conversations/{start['conversation_id']}").json()["messages"]
        return messages[-1] if messages[-1]["role"] == "assistant" else None

    answer = wait_for(stored, "the cut-off answer to be stored", timeout=120)
    assert answer["id"] == start["message_id"] and answer["status"] == "stopped"
    assert answer["usage"]["completion_tokens"] < 2000


def test_an_attached_file_reaches_the_answer_and_too_large_is_refused(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(api, ws, system_prompt="Answer from the attached file.")
    up = api.post(
        f"/api/workspaces/{ws}/chat-files",
        files={"file": ("notes.txt", b"The secret code word is PINEAPPLE.", "text/plain")},
    )
    assert up.status_code == 201, up.text
    f = up.json()
    assert f["name"] == "notes.txt" and f["chars"] > 10
    events = ask(api, ws, agent["id"], "What is the secret code word?", preview=True, files=[f["id"]])
    detail = api.get(f"/api/workspaces/{ws}/conversations/{events[0]['conversation_id']}").json()
    assert detail["messages"][0]["files"][0]["name"] == "notes.txt"
    assert "PINEAPPLE" in answer_of(events)["content"].upper()

    limit = model_server.settings.chat_file_max_bytes
    big = api.post(f"/api/workspaces/{ws}/chat-files", params={"filename": "big.txt"}, content=b"a" * (limit + 1))
    assert_error(big, 413, "file_too_large")


def test_conversations_are_private_to_their_workspace_and_person(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(api, ws)
    cid = ask(api, ws, agent["id"], "Hi", preview=True)[0]["conversation_id"]

    outsider = api.create_user()
    other = model_server.api().login(outsider["username"], outsider["password"])
    other_ws = other.create_workspace()["id"]
    assert_error(other.get(f"/api/workspaces/{ws}/conversations/{cid}"), 404)
    assert_error(other.get(f"/api/workspaces/{other_ws}/conversations/{cid}"), 404, "conversation_not_found")
    assert_error(other.post(f"/api/workspaces/{ws}/agents/{agent['id']}/chat", json={"query": "hi"}), 404)

    # a member of the same workspace does not see someone else's conversation either
    api.add_member(ws, outsider["username"], "member")
    assert_error(other.get(f"/api/workspaces/{ws}/conversations/{cid}"), 404, "conversation_not_found")
    assert other.get(f"/api/workspaces/{ws}/conversations").json()["count"] == 0


def test_follow_up_questions_are_suggested_when_asked_for(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws = api.default_workspace()
    agent = make_agent(api, ws, suggested_follow_ups=True)
    message = answer_of(ask(api, ws, agent["id"], "What is the capital of France?", preview=True))
    assert 1 <= len(message["suggested"]) <= 3
    assert all(isinstance(q, str) and len(q.strip()) >= 3 for q in message["suggested"])
    plain = answer_of(ask(api, ws, make_agent(api, ws)["id"], "What is the capital of France?", preview=True))
    assert plain["suggested"] == []
