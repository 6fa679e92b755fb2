from __future__ import annotations

import pytest

from hezi.knowledge.errors import UnsafeFilename
from hezi.knowledge.filenames import safe_filename


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("C:\\Users\\me\\报告.docx", "报告.docx"),
        ("evil\x00name\x1b.txt", "evilname.txt"),
        ("a\u202egnp.exe", "agnp.exe"),  # right-to-left override, used to disguise extensions
        ("con.txt", "_con.txt"),
        ("what?.md", "what_.md"),
    ],
)
def test_cleans_paths_and_control_characters(raw: str, clean: str) -> None:
    assert safe_filename(raw) == clean


@pytest.mark.parametrize("raw", ["..", "../", "\x00\x01", "   ", "a/.."])
def test_refuses_names_with_nothing_left(raw: str) -> None:
    with pytest.raises(UnsafeFilename) as err:
        safe_filename(raw)
    assert err.value.code == "unsafe_filename"


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("长" * 500 + ".pdf", max_chars=50)
    assert len(name) == 50 and name.endswith(".pdf")
