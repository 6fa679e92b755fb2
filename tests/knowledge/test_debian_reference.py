"""A real typeset PDF: pages of the Debian Reference (English and Chinese), ingested through the API.

Its text layer is the kind pypdf reads with the spaces lost ("Hereareafewbasicmethodstogaintheroot…"), which made
English words unsearchable; hezi reads PDF text with pdfium, so words keep their spaces and full text finds them
on the right page. Its contents pages are left out of the index.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

from tests.conftest import LiveServer
from tests.helpers import Api, unique
from tests.knowledge import debian
from tests.knowledge.test_knowledge_api import base, retrieve, upload, wait_ready

# 0-based: the first page of the contents (iv), then printed pages 1–6 of chapter 1, with "1.1.4 The root shell
# prompt" on the fourth page uploaded.
PAGES = [5, *range(28, 34)]


def pages_of(pdf: Path) -> bytes:
    reader = PdfReader(pdf)
    writer = PdfWriter()
    for index in PAGES:
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


def ingest(admin: Api, lang: debian.Lang) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        pdf = debian.reference_pdf(lang)
    except debian.DebianDataUnavailable as exc:
        pytest.skip(f"the Debian Reference could not be fetched with apt-get download: {exc}")
    kb = admin.create_knowledge_base(name=unique(f"reference-{lang}"))
    r = upload(admin, kb, f"debian-reference.{lang}.pdf", pages_of(pdf))
    assert r.status_code == 201, r.text
    doc = wait_ready(admin, kb, r.json()["id"], timeout=120)
    assert doc["status"] == "ready", doc
    return kb, doc


def test_english_pdf_words_keep_their_spaces_and_are_found_on_their_page(admin: Api) -> None:
    kb, doc = ingest(admin, "en")
    chunks = admin.get(f"{base(kb)}/documents/{doc['id']}/chunks", params={"limit": 500}).json()["data"]
    words = [w for c in chunks for w in re.findall(r"[A-Za-z]+", c["text"])]
    run_together = [w for w in words if len(w) > 24]
    assert len(words) > 1500 and len(run_together) <= 2, run_together[:5]  # pypdf: hundreds of them
    hits = retrieve(admin, kb, "basic methods to gain the root shell prompt", "full_text")
    assert hits and "Here are a few basic methods to gain the root shell prompt" in hits[0]["text"], hits[:1]
    assert hits[0]["page_start"] <= 4 <= hits[0]["page_end"]
    # The contents page lists "1.1.4 The root shell prompt . . . . 3" too, but is not indexed: it would outrank
    # the section it points to.
    assert not any(c["page_start"] == 1 for c in chunks), [c["text"][:80] for c in chunks if c["page_start"] == 1]
    assert not any(". . . . ." in c["text"] for c in chunks)


def test_chinese_pdf_is_found_by_its_words(admin: Api) -> None:
    kb, _ = ingest(admin, "zh-cn")
    hits = retrieve(admin, kb, "root 的 shell 提示符", "full_text")
    assert hits and "shell 提示符" in hits[0]["text"], hits[:1]
