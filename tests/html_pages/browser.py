"""Headless Chromium (Debian's ``chromium`` package) on a page written to disk: the document it
builds, what it logged to its console, a PDF print and a screenshot. Tests that use it skip with
:data:`SKIP` where Chromium is not installed (``.ci/run`` installs it where it can)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)"
)
HANG_GUARD = 120  # seconds: only stops a hung browser; nothing is timed


@dataclass(frozen=True, slots=True)
class Loaded:
    dom: str
    """The document once loaded (``--dump-dom``), after any script would have run."""
    console: list[str]
    """Console messages: a script's output, a Content Security Policy refusal, an error."""


def chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=True,
    )


def write(page: str, tmp_path: Path, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    return path


def load(page: str, tmp_path: Path) -> Loaded:
    done = chromium(tmp_path / "profile", "--dump-dom", write(page, tmp_path).as_uri())
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return Loaded(done.stdout, console)


def print_pdf(page: str, tmp_path: Path) -> bytes:
    pdf = tmp_path / "page.pdf"
    chromium(
        tmp_path / "profile",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        write(page, tmp_path).as_uri(),
    )
    return pdf.read_bytes()


def without_policy(page: str) -> str:
    """``page`` without its Content Security Policy: what escaping alone must hold."""
    start = page.index('<meta http-equiv="Content-Security-Policy"')
    return page[:start] + page[page.index(">", start) + 1 :]
