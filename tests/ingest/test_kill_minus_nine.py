"""``kill -9`` during a backfill (issue 19): each kill lands in the crash window, after the engine
answered a chunk's bulk requests and before the ledger recorded the chunk; the next run looks the
chunk's documents up and sends only what is missing. Real processes, real SIGKILL, the SQLite
ledger in its default place, the guarded embedded engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from tests.ingest.harness import count, duplicated_ids, lean_template
from tests.ingest.records import flow_object

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "siem-killed-"
INDEX = f"{PREFIX}vpcflow"
CHUNK_SIZE = 500
LEAN_TEMPLATE = lean_template(PREFIX)  # as in test_fault_injection: faster indexing


def _run(kill_at: int, logs: Path, engine_url: str, work: Path) -> subprocess.CompletedProcess[str]:
    siem = ["ingest", str(logs), "--endpoint", engine_url, "--auth", "none", "--index-prefix", PREFIX]
    folders = ["--dead-letter", str(work / "dead-letters")]  # the default ledger: $XDG_STATE_HOME (tmp)
    command = [sys.executable, "-m", "tests.ingest.killed_run", str(kill_at), str(CHUNK_SIZE), "--"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*command, *siem, *folders, "--quiet"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_three_kill_minus_nines_in_the_window_duplicate_nothing(
    tmp_path: Path, engine_url: str, engine: OpenSearch
) -> None:
    engine.indices.put_index_template(name="siem-killed", body=LEAN_TEMPLATE)
    logs = tmp_path / "logs"
    logs.mkdir()
    flows = [flow_object(2000, seed=70 + number, bad_every=250) for number in range(3)]
    for number, flow in enumerate(flows):
        (logs / f"f{number}.log.gz").write_bytes(flow.body)
    records, bad = sum(flow.records for flow in flows), sum(flow.bad for flow in flows)

    # Chunks written before the kill, run by run: the third chunk of the first object, the
    # next two (the resumed chunk, found whole, counts as one), then the second after that.
    killed = [_run(kill_at, logs, engine_url, tmp_path) for kill_at in (3, 3, 2)]
    last = _run(0, logs, engine_url, tmp_path)

    assert [run.returncode for run in killed] == [-signal.SIGKILL] * 3
    assert last.returncode == 0, last.stderr
    duplicates = duplicated_ids(engine, INDEX)
    extra_copies = sum(copies - 1 for copies in duplicates.values())
    letters = [
        line
        for path in (tmp_path / "dead-letters").rglob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert extra_copies == 0
    assert count(engine, INDEX) == records - bad
    assert len(letters) == bad
    print(f"\nkill -9 in the crash window: 3 kills, {records} records, {extra_copies} duplicates")
