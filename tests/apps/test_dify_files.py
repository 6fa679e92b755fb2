"""Files through Dify's service API, driven by dify-client-python: an end user uploads a document, asks about it
(the file's text reaches the model: the prompt grows by it), and the question lists it; the file is that end
user's alone; bad uploads are refused with Dify's codes."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from dify_client import Client, models
from dify_client.errors import DifyAPIError

from tests.apps.helpers import make_app, published_agent
from tests.conftest import LiveServer

SETTINGS = {"model_params": {"temperature": 0, "max_tokens": 8}, "system_prompt": "Answer briefly."}
NOTE = "The meeting room on floor 3 is called Lotus. 三楼的会议室叫莲花厅。\n" * 20


@pytest.fixture(scope="module")
def app(model_server: LiveServer) -> dict[str, Any]:
    admin = model_server.admin()
    ws = str(admin.create_workspace()["id"])
    made = make_app(admin, ws, agent_id=published_agent(admin, ws, config=SETTINGS)["id"])
    key = admin.post(f"/api/workspaces/{ws}/apps/{made['id']}/keys", json={"name": "k"}).json()["key"]
    return {**made, "key": key}


def ask(dify: Client, user: str, files: list[models.File]) -> dict[str, Any]:
    req = models.ChatRequest(query="What is the meeting room called?", user=user, files=files,
                             response_mode=models.ResponseMode.BLOCKING)  # fmt: skip
    r = dify.request(dify._prepare_url("/chat-messages"), "POST", json=req.model_dump(mode="json"), timeout=300)
    return dict(r.json())


def test_an_uploaded_file_goes_with_the_question(model_server: LiveServer, app: dict[str, Any]) -> None:
    dify = Client(api_key=app["key"], api_base=f"{model_server.url}/v1")
    up = dify.upload_files(("rooms.txt", io.BytesIO(NOTE.encode()), "text/plain"),
                           models.UploadFileRequest(user="ann"), timeout=60)  # fmt: skip
    assert up.name == "rooms.txt" and up.size == len(NOTE.encode()) and up.extension == "txt"
    assert up.mime_type == "text/plain" and up.created_by == "ann"

    ref = models.File(type=models.FileType.DOCUMENT, transfer_method=models.TransferMethod.LOCAL_FILE,
                      upload_file_id=up.id)  # fmt: skip
    with_file = ask(dify, "ann", [ref])
    without = ask(dify, "ann", [])
    # The file's text is in the model's context: hundreds of tokens more prompt than the question alone.
    grown = with_file["metadata"]["usage"]["prompt_tokens"] - without["metadata"]["usage"]["prompt_tokens"]
    assert grown > 200, (with_file["metadata"]["usage"], without["metadata"]["usage"])
    listed = dify.request(dify._prepare_url("/messages"), "GET", timeout=60,
                          params={"user": "ann", "conversation_id": with_file["conversation_id"]}).json()  # fmt: skip
    assert [f["filename"] for f in listed["data"][0]["message_files"]] == ["rooms.txt"]

    # Another end user cannot use ann's file.
    with pytest.raises(DifyAPIError) as refused:
        ask(dify, "bob", [ref])
    assert refused.value.status == 404 and refused.value.code == "file_not_found"


def test_bad_uploads_are_refused_with_difys_codes(model_server: LiveServer, app: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {app['key']}"}
    with httpx.Client(base_url=model_server.url, timeout=60, headers=auth) as http:
        none = http.post("/v1/files/upload", data={"user": "ann"}, files={"other": ("x.txt", b"hi")})
        assert none.status_code == 400 and none.json()["code"] == "no_file_uploaded", none.text
        no_user = http.post("/v1/files/upload", files={"file": ("x.txt", b"hi")})
        assert no_user.status_code == 400 and no_user.json()["code"] == "invalid_param", no_user.text
        binary = http.post("/v1/files/upload", data={"user": "ann"}, files={"file": ("tool.exe", b"MZ\x90\x00" * 50)})
        assert binary.status_code == 415 and binary.json()["code"] == "unsupported_file_type", binary.text
        big = b"a" * (model_server.settings.chat_file_max_bytes + 1)
        too_big = http.post("/v1/files/upload", data={"user": "ann"}, files={"file": ("big.txt", big)})
        assert too_big.status_code == 413 and too_big.json()["code"] == "file_too_large", too_big.text
        by_url = http.post("/v1/chat-messages", json={"query": "hi", "user": "ann", "files": [
            {"type": "document", "transfer_method": "remote_url", "url": "http://169.254.169.254/"}]})  # fmt: skip
        assert by_url.status_code == 400 and by_url.json()["code"] == "invalid_param", by_url.text
