"""A scanned PDF end to end: uploaded, read by OCR in the ingestion job, embedded, and found by retrieval."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.knowledge.scans import image_pdf, scanned_page
from tests.knowledge.test_knowledge_api import base, retrieve, upload, wait_ready

WALL = ["长城是中国古代的军事防御工程。", "", "The Great Wall of China crosses mountains and deserts."]


def knowledge_base(admin: Api) -> dict[str, Any]:
    return admin.create_knowledge_base(name=unique("scans"))


def test_a_scanned_pdf_is_ocrd_in_the_job_and_found_with_its_page(model_server: LiveServer) -> None:
    assert model_server.settings.knowledge_ocr  # on by default: the OCR models ship in the wheel
    admin = model_server.admin()
    kb = knowledge_base(admin)
    pdf = image_pdf(["The first page has an ordinary text layer about sailing.", scanned_page(WALL)])
    r = upload(admin, kb, "scan.pdf", pdf)
    assert r.status_code == 201, r.text
    doc = wait_ready(admin, kb, r.json()["id"], timeout=180)
    assert doc["status"] == "ready", doc

    zh = retrieve(admin, kb, "长城是什么工程？", "full_text")
    # small pages share a chunk; the chunk's page range must reach the scanned page
    assert zh and "军事防御工程" in zh[0]["text"] and zh[0]["page_end"] == 2, zh
    en = retrieve(admin, kb, "Which wall crosses mountains and deserts?", "hybrid")
    assert en and "Great Wall" in en[0]["text"] and en[0]["page_end"] == 2, en
    chunks = admin.get(f"{base(kb)}/documents/{doc['id']}/chunks").json()["data"]
    assert any(c["page_start"] == 1 and "sailing" in c["text"] for c in chunks)


def test_with_ocr_off_a_scan_fails_as_needing_ocr(model_server: LiveServer) -> None:
    # The job reads the server's settings object when it runs: turned off here, on again after.
    model_server.settings.knowledge_ocr = False
    try:
        admin = model_server.admin()
        kb = knowledge_base(admin)
        r = upload(admin, kb, "scan.pdf", image_pdf([scanned_page(WALL)]))
        assert r.status_code == 201, r.text
        doc = wait_ready(admin, kb, r.json()["id"])
    finally:
        model_server.settings.knowledge_ocr = True
    assert doc["status"] == "failed" and doc["error_code"] == "scanned_document_needs_ocr", doc
    assert "HEZI_KNOWLEDGE_OCR" in doc["error"]
