"""A reader that stops reading (``siem findings list | head``) ends any ``siem`` command quietly:
exit status 141 (128 + SIGPIPE), nothing on stderr, no traceback (siem_cli.main.main).

Each command runs in its own process, its stdout a pipe whose reading end is closed before it
starts: its first write meets the broken pipe, as a ``head`` that has read its lines would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from siem_cli.main import READER_LEFT

ROOT = Path(__file__).resolve().parents[2]


def _into_a_closed_pipe(*argv: str) -> subprocess.CompletedProcess[str]:
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    try:
        return subprocess.run(
            [sys.executable, "-m", "siem_cli", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            text=True,
            check=False,
            timeout=300,  # a hang is a failure, not a measure
        )
    finally:
        os.close(write)


def test_normalize_into_a_closed_pipe_ends_quietly(shared_dir: Path) -> None:
    """A command that needs no engine: its documents, one JSON line each, go to stdout."""
    done = _into_a_closed_pipe(
        "normalize", str(shared_dir / "samples/guardduty/panther-guardduty-findings.jsonl")
    )
    assert (done.returncode, done.stderr) == (READER_LEFT, "")


@pytest.mark.integration
def test_findings_list_into_a_closed_pipe_ends_quietly(engine: OpenSearch, engine_url: str) -> None:
    engine.indices.create(index="x-guardduty")  # an index with no finding: one line to write
    done = _into_a_closed_pipe(
        "findings", "list", "--endpoint", engine_url, "--auth", "none", "--index-prefix", "x-"
    )
    assert (done.returncode, done.stderr) == (READER_LEFT, "")
