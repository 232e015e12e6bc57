"""Options, progress bar and summary shared by ``siem ingest`` and ``siem replay-dead-letters``."""

from __future__ import annotations

import argparse
import os
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
from normalizers.vpcflow.formats import CONFIGURATION, FormatError, parse_formats
from opensearch_client import AUTH_MODES
from siem_cli.options import connection_from

DEFAULT_LEDGER = Path(".siem/ledger.sqlite")
DEFAULT_DEAD_LETTERS = Path("dead-letters")


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="OpenSearch endpoint, e.g. https://<id>.<region>.aoss.amazonaws.com or http://127.0.0.1:9200",
    )
    parser.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default="aoss",
        help="SigV4 for Serverless (aoss) or a managed domain (es), basic auth "
        "(OPENSEARCH_USERNAME/OPENSEARCH_PASSWORD), or none (default: aoss)",
    )
    parser.add_argument("--region", help="AWS region for SigV4 and S3 (default: from the AWS configuration)")
    parser.add_argument("--index-prefix", default="siem-", help="index name prefix (default: siem-)")
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
    add_flow_formats_option(parser)


def flow_formats(text: str) -> tuple[tuple[str, str], ...]:
    """``--vpc-flow-formats``: a usage error (no traceback) when the JSON is not formats."""
    try:
        return parse_formats(text)
    except FormatError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_flow_formats_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vpc-flow-formats",
        type=flow_formats,
        default=os.environ.get(CONFIGURATION, ""),
        metavar="JSON",
        help="formats of VPC flow lines that come with no header line (Firehose, CloudWatch Logs), as "
        '{"<log group or S3 key prefix>": "${version} ${account-id} ..."} (default: $' + CONFIGURATION + ")",
    )


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings(
        connection=connection_from(args, timeout=REQUEST_TIMEOUT_SECONDS),
        index_prefix=args.index_prefix,
        ledger_path=args.ledger,
        dead_letter_dir=args.dead_letter,
        concurrency=args.concurrency,
        bulk_max_bytes=int(args.bulk_max_mib * MIB),
        vpc_flow_formats=args.vpc_flow_formats,
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
    """Process every object with a progress bar; the exit status says whether all finished."""
    try:
        runtime = build_runtime(settings)
    except ValueError as error:  # no region or credentials for SigV4, no username for basic auth
        print(f"{command}: {error}", file=sys.stderr)
        return 1
    totals = Totals()
    try:
        with tqdm(total=len(openers), unit="obj", disable=quiet, file=sys.stderr) as bar:
            for result in process_each(openers, runtime, process, cli_owner()):
                totals.add(result)
                bar.set_postfix(indexed=totals.indexed, dead=totals.dead_lettered, refresh=False)
                bar.update()
    finally:
        runtime.close()
    return totals.report(verb)
