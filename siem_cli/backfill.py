"""Options, progress bar and summary shared by ``siem ingest`` and ``siem replay-dead-letters``."""

from __future__ import annotations

import argparse
import re
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ingest.backfill import Open, Process, process_each
from ingest.config import MIB, Settings
from ingest.defaults import REQUEST_TIMEOUT_SECONDS
from ingest.processor import ObjectResult
from ingest.runtime import build_runtime
from siem_cli.errors import AccessRefused, EndpointUnreachable, refused, require_reachable, unreachable
from siem_cli.options import add_connection_options, connection_from

DEFAULT_LEDGER = Path(".siem/ledger.sqlite")
DEFAULT_DEAD_LETTERS = Path("dead-letters")


def add_target_options(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument(
        "--ledger",
        type=Path,
        default=DEFAULT_LEDGER,
        metavar="PATH",
        help=f"SQLite ledger that makes re-runs index nothing twice (default: {DEFAULT_LEDGER})",
    )
    parser.add_argument(
        "--dead-letter",
        type=Path,
        default=DEFAULT_DEAD_LETTERS,
        metavar="DIR",
        help=f"folder for dead letters (default: {DEFAULT_DEAD_LETTERS})",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent bulk requests (default: 4)")
    parser.add_argument(
        "--bulk-max-mib", type=float, default=5.0, help="largest bulk body in MiB (default: 5)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings(
        connection=connection_from(args, timeout=REQUEST_TIMEOUT_SECONDS),
        index_prefix=args.index_prefix,
        ledger_path=args.ledger,
        dead_letter_dir=args.dead_letter,
        concurrency=args.concurrency,
        bulk_max_bytes=int(args.bulk_max_mib * MIB),
        **extra,
    )


def cli_owner() -> str:
    """Stable per machine, so a re-run after a crash takes its own lease back at once."""
    return f"cli@{socket.gethostname()}"


@dataclass
class Totals:
    objects: int = 0
    records: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    already_done: int = 0
    not_finished: list[str] = field(default_factory=list)

    def add(self, result: ObjectResult) -> None:
        self.objects += 1
        self.records += result.records
        self.indexed += result.indexed
        self.dead_lettered += result.dead_lettered
        self.already_done += result.status == "already done"
        if result.status in ("failed", "incomplete"):
            self.not_finished.append(f"{result.object}: {result.error}")

    def report(self, verb: str) -> int:
        print(
            f"{verb}: {self.objects} objects ({self.already_done} already done), {self.records} records read, "
            f"{self.indexed} indexed, {self.dead_lettered} dead-lettered",
            file=sys.stderr,
        )
        for line in self.not_finished:
            print(f"not finished (run again to resume): {line}", file=sys.stderr)
        return 1 if self.not_finished else 0


def run_all(
    settings: Settings, openers: list[Open], process: Process, quiet: bool, command: str, verb: str
) -> int:
    """Process every object with a progress bar; the exit status says whether all finished.

    An endpoint that cannot be reached or refuses the credentials stops the run at once (before
    the first object, or after the object that found out) with :class:`EndpointUnreachable` or
    :class:`AccessRefused`: every further object would fail the same way after its retries.
    """
    runtime = build_runtime(settings)  # first: a configuration error says so before any probe
    totals = Totals()
    try:
        require_reachable(settings.connection.endpoint)
        with tqdm(total=len(openers), unit="obj", disable=quiet, file=sys.stderr) as bar:
            for result in process_each(openers, runtime, process, cli_owner()):
                totals.add(result)
                bar.set_postfix(indexed=totals.indexed, dead=totals.dead_lettered, refresh=False)
                bar.update()
                _stop_if_hopeless(result, settings, totals, len(openers))
    finally:
        runtime.close()
    return totals.report(verb)


_REFUSED = re.compile(r"bulk request refused: (401|403) ?([^;)]*)")


def _stop_if_hopeless(result: ObjectResult, settings: Settings, totals: Totals, listed: int) -> None:
    """Raise when ``result`` shows that no further object can be written either."""
    if result.status not in ("failed", "incomplete") or not result.error:
        return
    progress = f"stopped after {totals.objects} of {listed} objects, {totals.indexed} documents indexed"
    refusal = _REFUSED.search(result.error)
    if refusal:
        raise AccessRefused(f"{progress}: {refused(refusal[1], refusal[2].strip(), settings.connection)}")
    why = unreachable(settings.connection.endpoint)
    if why:
        raise EndpointUnreachable(f"{progress}: cannot reach {settings.connection.endpoint}: {why}")
