"""Q&A pairs from real CSV and XLSX uploads: one chunk per pair, the question embedded, the answer returned."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique
from tests.knowledge.test_knowledge_api import base, retrieve, wait_ready

CSV = (
    "Question,Answer\n"
    "How many days of annual leave do employees get?,Every employee gets fifteen days of paid annual leave.\n"
    "How do I reset my VPN password?,Open the self-service portal and choose Reset password.\n"
    "Where is the office canteen?,On the ground floor next to the lobby.\n"
)


def faq_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "常见问题"
    sheet.append(["问题", "答案"])
    sheet.append(["发票丢了怎么报销？", "请到财务部开具遗失证明，再附上付款记录提交报销。"])
    sheet.append(["周末加班有补贴吗？", "周末加班按两倍工资计算，或者申请调休。"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def kb(admin: Api) -> dict[str, Any]:
    return admin.create_knowledge_base(name=unique("faq"))


def upload_qa(admin: Api, kb: dict[str, Any], filename: str, data: bytes) -> Any:
    return admin.post(f"{base(kb)}/documents", params={"filename": filename, "mode": "qa"}, content=data,
                      headers={"Content-Type": "application/octet-stream"})  # fmt: skip


def test_csv_pairs_become_one_chunk_each_and_a_paraphrase_finds_the_answer(admin: Api, kb: dict[str, Any]) -> None:
    r = upload_qa(admin, kb, "hr-faq.csv", CSV.encode())
    assert r.status_code == 201 and r.json()["source"] == "qa", r.text
    doc = wait_ready(admin, kb, r.json()["id"])
    assert doc["status"] == "ready" and doc["chunks_total"] == 3, doc

    chunks = admin.get(f"{base(kb)}/documents/{doc['id']}/chunks").json()["data"]
    assert chunks[0]["text"] == "How many days of annual leave do employees get?"
    assert chunks[0]["answer"] == "Every employee gets fifteen days of paid annual leave."

    for mode in ("vector", "hybrid"):
        hits = retrieve(admin, kb, "what is the yearly vacation allowance for staff", mode)
        assert hits[0]["text"].startswith("How many days of annual leave"), (mode, hits)
        assert hits[0]["answer"] == "Every employee gets fifteen days of paid annual leave."
    # full text covers the answer too, though only the question is embedded
    by_answer = retrieve(admin, kb, "self-service portal", "full_text")
    assert by_answer[0]["answer"].startswith("Open the self-service portal")


def test_xlsx_pairs_in_chinese_are_found_by_a_reworded_question(admin: Api, kb: dict[str, Any]) -> None:
    r = upload_qa(admin, kb, "财务问答.xlsx", faq_xlsx())
    doc = wait_ready(admin, kb, r.json()["id"])
    assert doc["status"] == "ready" and doc["chunks_total"] == 2, doc
    hits = retrieve(admin, kb, "丢失了发票，还能报销吗？", "hybrid")
    assert hits[0]["text"] == "发票丢了怎么报销？" and "遗失证明" in hits[0]["answer"], hits
    assert hits[0]["section"] == ""  # one sheet: no section


def test_an_answer_can_be_edited_and_is_searchable_at_once(admin: Api, kb: dict[str, Any]) -> None:
    r = upload_qa(admin, kb, "edit.csv", b"question,answer\nWho runs the help desk?,The IT team.\n")
    doc = wait_ready(admin, kb, r.json()["id"])
    url = f"{base(kb)}/documents/{doc['id']}/chunks"
    chunk = admin.get(url).json()["data"][0]
    edited = admin.patch(f"{url}/{chunk['id']}", json={"answer": "Marguerite from facilities runs it."})
    assert edited.status_code == 200 and edited.json()["answer"].startswith("Marguerite"), edited.text
    assert retrieve(admin, kb, "Marguerite", "full_text")[0]["text"] == "Who runs the help desk?"
    plain = admin.post(f"{base(kb)}/documents/text", json={"name": "plain", "text": "No answers here."}).json()
    plain = wait_ready(admin, kb, plain["id"])
    plain_chunk = admin.get(f"{base(kb)}/documents/{plain['id']}/chunks").json()["data"][0]
    refused = admin.patch(f"{base(kb)}/documents/{plain['id']}/chunks/{plain_chunk['id']}", json={"answer": "x"})
    assert_error(refused, 400, "not_a_qa_chunk")


def test_qa_mode_refuses_other_types_and_files_without_pairs(admin: Api, kb: dict[str, Any]) -> None:
    assert_error(upload_qa(admin, kb, "faq.pdf", b"%PDF-1.7 ..."), 415, "unsupported_document_type")
    r = upload_qa(admin, kb, "empty-pairs.csv", b"question,answer\nonly a question,\n")
    assert r.status_code == 201
    failed = wait_ready(admin, kb, r.json()["id"])
    assert failed["status"] == "failed" and failed["error_code"] == "empty_document", failed
