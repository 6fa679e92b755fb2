"""The Debian FAQ (English and Simplified Chinese) and the Debian Reference PDFs: a real, bilingual document set.

Fetched with `apt-get download` and unpacked with `dpkg -x` once per machine into ~/.cache/hezi-test-data/debian
(override with HEZI_TEST_DATA), so tests and bench/knowledge.py read the same files. `make test` fetches them first
(`python -m tests.knowledge.debian`), so under CI the suites never find them missing. Nothing here imports pytest:
callers turn `DebianDataUnavailable` into a skip (tests; a failure under CI=true) or a message (the bench).

What the packages ship (Debian 12, checked by hand): debian-faq has one XHTML page per chapter in
usr/share/doc/debian/FAQ/*.en.html; debian-faq-zh-cn has them in usr/share/doc/debian/FAQ/zh-cn/*.zh-cn.html. Both
also ship a gzipped PDF and text version. debian-reference-en and debian-reference-zh-cn ship, in
usr/share/debian-reference/, one XHTML page per chapter (ch01…ch12, the preface pr01, the appendix apa and the
contents index), a PDF and a gzipped text version (debian-reference-common ships only images, CSS and a launcher).
Both translations keep the original's section numbers.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Lang = Literal["en", "zh-cn"]

FAQ_PACKAGES: dict[Lang, str] = {"en": "debian-faq", "zh-cn": "debian-faq-zh-cn"}
REFERENCE_PACKAGES: dict[Lang, str] = {"en": "debian-reference-en", "zh-cn": "debian-reference-zh-cn"}
_FAQ_DIRS: dict[Lang, str] = {"en": "usr/share/doc/debian/FAQ", "zh-cn": "usr/share/doc/debian/FAQ/zh-cn"}
# "2.3. Is Debian free?", "1.2. 什么是 Debian GNU/Linux？": the FAQ numbers every question the same in both languages.
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)+)\.\s+(.+)$")


class DebianDataUnavailable(RuntimeError):
    """The packages could not be fetched (no apt, no network, no package lists and no root to update them)."""


def cache_dir() -> Path:
    return Path(os.environ.get("HEZI_TEST_DATA") or Path.home() / ".cache" / "hezi-test-data") / "debian"


def unpacked(package: str) -> Path:
    """The root of `package`'s files, downloaded and unpacked on first use."""
    root = cache_dir() / package
    if (root / ".unpacked").exists():
        return root
    deb = _download(package)
    staging = Path(tempfile.mkdtemp(prefix=f"{package}.", dir=cache_dir()))
    _run(["dpkg", "-x", str(deb), str(staging)], f"unpacking {deb.name}")
    (staging / ".unpacked").touch()
    try:
        staging.rename(root)  # atomic: a concurrent run either sees the whole tree or none of it
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another run got there first
    return root


def fetch_all() -> list[Path]:
    """Every package the suites read, downloaded and unpacked now; raises DebianDataUnavailable."""
    return [unpacked(p) for p in (*FAQ_PACKAGES.values(), *REFERENCE_PACKAGES.values())]


def faq_chapters(lang: Lang) -> list[Path]:
    """The FAQ's chapter pages in `lang`, in file-name order.

    index.html is left out: it is the table of contents, which repeats every question and so would be a
    right-looking wrong answer to each of them.
    """
    folder = unpacked(FAQ_PACKAGES[lang]) / _FAQ_DIRS[lang]
    pages = sorted(p for p in folder.glob(f"*.{lang}.html") if not p.name.startswith("index."))
    if not pages:
        raise DebianDataUnavailable(f"{FAQ_PACKAGES[lang]} has no *.{lang}.html under {_FAQ_DIRS[lang]}")
    return pages


def reference_chapters(lang: Lang) -> list[Path]:
    """The Debian Reference's pages in `lang` (preface, chapters, appendix), in file-name order; the contents page
    is left out for the reason faq_chapters gives."""
    folder = unpacked(REFERENCE_PACKAGES[lang]) / "usr/share/debian-reference"
    pages = sorted(p for p in folder.glob(f"*.{lang}.html") if not p.name.startswith("index."))
    if not pages:
        raise DebianDataUnavailable(f"{REFERENCE_PACKAGES[lang]} has no *.{lang}.html in {folder}")
    return pages


def reference_pdf(lang: Lang) -> Path:
    """The Debian Reference as one PDF in `lang`."""
    pdf = unpacked(REFERENCE_PACKAGES[lang]) / f"usr/share/debian-reference/debian-reference.{lang}.pdf"
    if not pdf.is_file():
        raise DebianDataUnavailable(f"{REFERENCE_PACKAGES[lang]} has no {pdf.name}")
    return pdf


@dataclass(frozen=True)
class Question:
    number: str  # "2.3": the same question has the same number in both languages
    text: str  # the heading without its number: "Is Debian free?"
    heading: str  # the heading as the document has it: "2.3. Is Debian free?"


def heading_number(heading: str) -> str | None:
    """The FAQ number of a heading ("2.3" of "2.3. Is Debian free?"), or None for chapter titles and the like."""
    m = _NUMBERED.match(heading.strip())
    return m.group(1) if m else None


def section_number(section: str) -> str | None:
    """The FAQ number of a chunk's own (deepest) heading; `section` is the path joined with " / " as hezi stores it."""
    return heading_number(section.rsplit(" / ", 1)[-1]) if section else None


def questions(headings: list[str]) -> list[Question]:
    """The headings that are questions (they end in ? or ？), each once, numbers stripped."""
    out: dict[str, Question] = {}
    for heading in headings:
        m = _NUMBERED.match(heading.strip())
        if m and m.group(2).rstrip().endswith(("?", "？")):
            out.setdefault(m.group(1), Question(m.group(1), m.group(2).strip(), heading.strip()))
    return list(out.values())


# --- fetching ---------------------------------------------------------------------------------------------------


def _download(package: str) -> Path:
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    found = sorted(folder.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise DebianDataUnavailable("apt-get and dpkg are needed to fetch the Debian FAQ (a Debian or Ubuntu host)")
    staging = Path(tempfile.mkdtemp(prefix="download.", dir=folder))
    try:
        first = _apt_download(package, staging)
        if first is not None:
            # Missing or stale package lists ("Unable to locate package", 404s): refresh them once, then retry.
            _apt_update(first)
            again = _apt_download(package, staging)
            if again is not None:
                raise DebianDataUnavailable(f"apt-get download {package} failed: {again}")
        debs = sorted(staging.glob(f"{package}_*.deb"))
        if not debs:
            raise DebianDataUnavailable(f"apt-get download {package} left no .deb file")
        target = folder / debs[-1].name
        debs[-1].replace(target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _apt_download(package: str, where: Path) -> str | None:
    """None on success, else the tail of apt's complaint."""
    try:
        done = subprocess.run(["apt-get", "download", "-q", package], cwd=where, capture_output=True, text=True,
                              timeout=300, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timed out after 300 s"
    return None if done.returncode == 0 else _tail(done.stderr or done.stdout)


def _apt_update(reason: str) -> None:
    if os.geteuid() != 0:
        raise DebianDataUnavailable(
            f"apt-get download failed ({reason}) and refreshing the package lists needs root: run `sudo apt-get update`"
        )
    try:
        done = subprocess.run(["apt-get", "update", "-q"], capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        raise DebianDataUnavailable("apt-get update timed out after 300 s: is the registry reachable?") from None
    if done.returncode != 0:
        raise DebianDataUnavailable(f"apt-get update failed: {_tail(done.stderr or done.stdout)}")


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise DebianDataUnavailable(f"{what} failed: {_tail(done.stderr)}")


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:]) or "no output"


if __name__ == "__main__":
    try:
        for root in fetch_all():
            print(root)
    except DebianDataUnavailable as exc:
        print(f"the Debian test documents could not be fetched: {exc}", file=sys.stderr)
        sys.exit(1)
