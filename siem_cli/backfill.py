"""Options, progress bar and summary shared by ``siem ingest`` and ``siem replay-dead-letters``."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from enrichment import EnrichmentSettings
from ingest.backfill import Listed, Process, process_each, then
from ingest.config import MIB, Settings
from ingest.defaults import REQUEST_TIMEOUT_SECONDS
from ingest.ledger_files import LEGACY_LEDGER, Destination, cli_ledger
from ingest.owners import run_owner
from ingest.processor import ObjectResult
from ingest.runtime import Runtime, build_runtime
from normalizers.vpcflow.formats import CONFIGURATION, FormatError, parse_formats
from siem_cli.errors import AccessRefused, EndpointUnreachable, refused, require_reachable, unreachable
from siem_cli.options import UsageError, add_connection_options, connection_from, count_of, number_within

DEFAULT_DEAD_LETTERS = Path("dead-letters")
DEFAULT_REPLAY_DEAD_LETTERS = Path("dead-letters-replay")
"""Where replays write the records that fail again: never the folder they read."""


def add_target_options(parser: argparse.ArgumentParser, dead_letters: Path = DEFAULT_DEAD_LETTERS) -> None:
    add_connection_options(parser)
    parser.add_argument(
        "--ledger",
        type=Path,
        metavar="PATH",
        help="SQLite ledger that makes re-runs index nothing twice; it serves one endpoint and index "
        "prefix (default: one per endpoint and index prefix in $XDG_STATE_HOME/siem/ledgers/, "
        "~/.local/state/siem/ledgers/ when XDG_STATE_HOME is unset)",
    )
    parser.add_argument(
        "--migrate-ledger",
        action="store_true",
        help=f"merge a {LEGACY_LEDGER} of an earlier version, found in the working folder, into this "
        "endpoint's ledger (only if it recorded writes into this endpoint and index prefix)",
    )
    parser.add_argument(
        "--dead-letter",
        type=Path,
        default=dead_letters,
        metavar="DIR",
        help=f"folder for dead letters (default: {dead_letters})",
    )
    parser.add_argument(
        "--concurrency",
        type=request_count,
        default=4,
        metavar="N",
        help="concurrent bulk requests (default: 4)",
    )
    parser.add_argument(
        "--bulk-max-mib",
        type=bulk_mib,
        default=5.0,
        metavar="MIB",
        help=f"largest bulk body in MiB, {MIN_BULK_MIB:g} to {MAX_BULK_MIB:g} (default: 5)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_flow_formats_option(parser)
    add_config_snapshot_option(parser)


MIN_BULK_MIB = 1 / 16
MAX_BULK_MIB = 10.0
"""The bounds of ``--bulk-max-mib``, the CDK context's of ``bulkMaxBytes`` (64 KiB to 10 MiB,
infra/config.py): a body Serverless takes (ingest/serverless_guard.py refuses more), and room
for real documents (with none, every document would be dead-lettered as too large)."""


request_count = count_of("requests")
"""``--concurrency``."""
bulk_mib = number_within(MIN_BULK_MIB, MAX_BULK_MIB, f"MiB from {MIN_BULK_MIB:g} to {MAX_BULK_MIB:g}")
"""``--bulk-max-mib``."""


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


SNAPSHOT_INVENTORY = "CONFIG_SNAPSHOT_INVENTORY"


def add_config_snapshot_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config-snapshot-inventory",
        action="store_true",
        default=os.environ.get(SNAPSHOT_INVENTORY, "").strip().lower() in ("1", "true", "yes", "on"),
        help="index every item of AWS Config snapshot files, not only their compliance items "
        "(default: $" + SNAPSHOT_INVENTORY + ", else off; docs/sources/config.md)",
    )


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    """The run's settings; raises ``LegacyLedgerFound`` (a ``ValueError``) when a ledger of an
    earlier version is in the working folder, before anything is written. A ledger file of
    another destination is refused when it is opened (``WrongLedger``, in :func:`run_all`)."""
    connection = connection_from(args, timeout=REQUEST_TIMEOUT_SECONDS)
    destination = Destination.of(connection.endpoint, args.index_prefix)
    return Settings(
        connection=connection,
        index_prefix=args.index_prefix,
        ledger_path=cli_ledger(destination, args.ledger, args.migrate_ledger),
        dead_letter_dir=args.dead_letter,
        concurrency=args.concurrency,
        bulk_max_bytes=int(args.bulk_max_mib * MIB),
        vpc_flow_formats=args.vpc_flow_formats,
        config_snapshot_inventory=args.config_snapshot_inventory,
        **extra,
    )


@dataclass
class Totals:
    objects: int = 0
    records: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    already_done: int = 0
    already_acknowledged: int = 0
    not_finished: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    lost_versions: list[str] = field(default_factory=list)
    """Versions an earlier run began that could not be read again: where their dead letter is."""

    def add(self, result: ObjectResult) -> None:
        self.objects += 1
        self.records += result.records
        self.indexed += result.indexed
        self.dead_lettered += result.dead_lettered
        self.already_acknowledged += result.already_acknowledged
        self.already_done += result.status == "already done"
        if result.status in ("failed", "incomplete", "busy"):
            self.not_finished.append(f"{result.object}: {result.error}")
        elif result.status in ("gone", "overwritten") and result.dead_letter_files:
            what = "deleted" if result.status == "gone" else "overwritten"
            self.lost_versions.append(
                f"{what} since an earlier run began it, the rest of version {result.version} of "
                f"{result.object} is dead-lettered: {result.dead_letter_files[0]}"
            )
        elif result.status == "gone":
            self.gone.append(result.object)

    def report(self, verb: str) -> int:
        # records = indexed + dead-lettered, this run's own; what a resumed object's earlier run
        # had finished is read again but counted apart (ingest/processor.py, the metrics).
        again = f", {self.already_acknowledged} more read again (an earlier run finished them)"
        print(
            f"{verb}: {self.objects} objects ({self.already_done} already done), {self.records} records read, "
            f"{self.indexed} indexed, {self.dead_lettered} dead-lettered{again if self.already_acknowledged else ''}",
            file=sys.stderr,
        )
        for location in self.gone:
            print(f"skipped, deleted after it was listed: {location}", file=sys.stderr)
        for line in self.lost_versions:  # nothing a re-run could read: said, not a failure
            print(line, file=sys.stderr)
        for line in self.not_finished:
            print(f"not finished (run again to resume): {line}", file=sys.stderr)
        return 1 if self.not_finished else 0


def run_all(
    settings: Settings,
    openers: list[Listed],
    process: Process,
    quiet: bool,
    command: str,
    verb: str,
    unlisted: Callable[[Runtime], Iterable[Listed]] | None = None,
) -> int:
    """Process every object with a progress bar; the exit status says whether all finished.
    Once every listed object is done, the ``unlisted`` ones are (``siem ingest``: objects deleted
    outright since an earlier run began them, :meth:`ingest.backfill.Opener.unlisted`).

    An endpoint that cannot be reached or refuses the credentials stops the run at once (before
    the first object, or after the object that found out) with :class:`EndpointUnreachable` or
    :class:`AccessRefused`: every further object would fail the same way after its retries.
    """
    runtime = start_runtime(settings)
    try:
        require_reachable(settings.connection.endpoint)
        listing = openers if unlisted is None else then(openers, partial(unlisted, runtime))
        results = process_each(listing, runtime, process, run_owner())
        return tally(settings, results, len(openers), quiet, verb)
    finally:
        runtime.close()


def start_runtime(settings: Settings) -> Runtime:
    """The runtime of a backfill, enriched with the file `siem accounts sync` wrote unless
    ACCOUNTS_LOCATION says otherwise. Built before any probe, so that a configuration error (no
    region or credentials for SigV4, a malformed ACCOUNTS_TTL_SECONDS, a GeoIP database that does
    not open) is said first, as a :class:`UsageError`: one line and exit status 2 (docs/cli.md)."""
    try:
        return build_runtime(settings, enrichment=EnrichmentSettings.from_env(local_default=True))
    except ValueError as error:  # ConnectionConfigError, GeoIpError and the settings' own
        raise UsageError(str(error)) from None


def tally(settings: Settings, results: Iterable[ObjectResult], listed: int, quiet: bool, verb: str) -> int:
    """Count each object's result with a progress bar and say the totals; the exit status says
    whether all finished. Raises :class:`EndpointUnreachable` or :class:`AccessRefused` after a
    result that shows no further object can be written (see :func:`run_all`)."""
    totals = Totals()
    with tqdm(total=listed, unit="obj", disable=quiet, file=sys.stderr) as bar:
        for result in results:
            totals.add(result)
            bar.set_postfix(indexed=totals.indexed, dead=totals.dead_lettered, refresh=False)
            bar.update()
            _stop_if_hopeless(result, settings, totals, listed)
    return totals.report(verb)


_REFUSED = re.compile(r"(?:bulk|index templates) request refused: (401|403) ?([^;)]*)")
"""How the writer and the template check report a 401/403 (ingest/writer.py, ingest/template_check.py)."""


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
