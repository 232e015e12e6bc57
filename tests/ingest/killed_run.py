"""``siem ingest`` that kills itself with SIGKILL in the crash window (run by test_kill_minus_nine).

``python -m tests.ingest.killed_run KILL_AT CHUNK_SIZE -- <siem arguments>``: the run dies, like
``kill -9``, right after the ``KILL_AT``-th chunk's bulk requests were answered and before the
ledger recorded it (0: never). Requests go through the Serverless guard, as in every test; a
run that ends prints the guard's violations and exits 3 if there were any.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from typing import Any

from opensearchpy import OpenSearch

import ingest.runtime
import siem_cli.backfill
from ingest.config import Settings
from ingest.processor import Hooks
from ingest.reader import ObjectIdentity
from ingest.runtime import Runtime
from ingest.serverless_guard import ServerlessGuard
from opensearch_client import ConnectionSettings
from siem_cli import main as cli


def main(argv: list[str]) -> int:
    kill_at, chunk_size, rest = int(argv[0]), int(argv[1]), argv[argv.index("--") + 1 :]
    guard = ServerlessGuard()
    written = 0

    def guarded(connection: ConnectionSettings, pool_maxsize: int) -> OpenSearch:
        client = OpenSearch(hosts=[connection.endpoint], timeout=60, max_retries=0, pool_maxsize=pool_maxsize)
        return guard.wrap(client)

    def die_in_the_window(identity: ObjectIdentity, chunk: int) -> None:
        nonlocal written
        written += 1
        if written == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def build_runtime(settings: Settings, **options: Any) -> Runtime:
        small = dataclasses.replace(settings, chunk_size=chunk_size)
        return ingest.runtime.build_runtime(small, hooks=Hooks(after_write=die_in_the_window), **options)

    siem_cli.backfill.build_runtime = build_runtime  # type: ignore[assignment]
    ingest.runtime.make_client = guarded  # type: ignore[assignment]
    status = cli.main(rest)
    for violation in guard.violations:
        print(f"serverless guard: {violation}", file=sys.stderr)
    return 3 if guard.violations else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
