"""``siem ingest --workers N``: the objects of a backfill spread over N processes.

Each process builds its own runtime (OpenSearch client and bulk writer, S3 client, dead-letter
sink) and opens the one SQLite ledger file: SQLite serializes writers across processes (each
ledger write is a ``BEGIN IMMEDIATE`` transaction in WAL mode), and the lease of each object
keeps two processes from writing it at once. Objects are handed out one at a time, so a large
object does not hold back the objects queued behind it on one process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.util import Finalize
from pathlib import Path

import boto3
from tqdm import tqdm

from enrichment import EnrichmentSettings
from ingest.config import Settings
from ingest.events import ObjectRef
from ingest.owners import run_owner
from ingest.processor import ObjectResult, process_object
from ingest.reader import list_local, list_s3, open_local, open_s3
from ingest.runtime import Runtime, build_runtime
from ingest.writer import Deadline
from siem_cli.backfill import Totals

Item = Path | ObjectRef
"""What a worker is sent for one object: a local path or an S3 object (both picklable)."""

_runtime: Runtime | None = None
_owner = ""
"""This worker's lease owner: its own process, so runs and workers never share a lease."""


def list_items(target: str, region: str | None) -> list[Item]:
    """The objects of ``target``; raises ``FileNotFoundError`` for a local path that does not exist."""
    if target.startswith("s3://"):
        bucket, _, prefix = target[len("s3://") :].partition("/")
        return list(list_s3(boto3.client("s3", region_name=region), bucket, prefix))
    root = Path(target)
    if not root.exists():
        raise FileNotFoundError(f"{root} does not exist")
    return list(list_local(root))


def _start_worker(settings: Settings) -> None:
    global _runtime, _owner
    # As `siem ingest` does: enriched with the file `siem accounts sync` wrote.
    _runtime = build_runtime(settings, enrichment=EnrichmentSettings.from_env(local_default=True))
    _owner = run_owner()
    Finalize(None, _runtime.close, exitpriority=10)  # shut the writer's pool down as the worker exits


def _process(item: Item) -> ObjectResult:
    assert _runtime is not None, "the worker's initializer builds the runtime"
    opened = open_local(item) if isinstance(item, Path) else open_s3(_runtime.s3, item)
    try:
        return process_object(opened, _runtime.services, _owner, Deadline())
    except Exception as error:  # one bad object never stops a backfill
        return ObjectResult(
            opened.identity.location, status="failed", error=f"{type(error).__name__}: {error}"
        )
    finally:
        opened.close()


def _results(items: list[Item], futures: list[Future[ObjectResult]]) -> Iterator[ObjectResult]:
    for item, future in zip(items, futures, strict=True):
        try:
            yield future.result()
        except Exception as error:  # the object could not even be opened, or its worker died
            location = item.url if isinstance(item, ObjectRef) else str(item)
            yield ObjectResult(location, status="failed", error=f"{type(error).__name__}: {error}")


def worker_count(text: str) -> int:
    """``--workers``: a usage error (no traceback) unless a positive whole number."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more), got {text!r}")
    return int(text)


def run_parallel(settings: Settings, target: str, workers: int, quiet: bool) -> int:
    """Process the objects of ``target`` on ``workers`` processes with a progress bar; the exit
    status says whether every object finished."""
    try:
        items = list_items(target, settings.connection.region)
    except FileNotFoundError as error:
        print(f"siem ingest: {error}", file=sys.stderr)
        return 2
    try:
        build_runtime(settings).close()  # no region or credentials for SigV4: say so once, here
    except ValueError as error:
        print(f"siem ingest: {error}", file=sys.stderr)
        return 1
    totals = Totals()
    # fork: every worker starts at the first submit, before any thread of this process (the
    # progress bar's) exists
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(settings,)
    ) as pool:
        futures = [pool.submit(_process, item) for item in items]
        with tqdm(total=len(items), unit="obj", disable=quiet, file=sys.stderr) as bar:
            for result in _results(items, futures):
                totals.add(result)
                bar.set_postfix(indexed=totals.indexed, dead=totals.dead_lettered, refresh=False)
                bar.update()
    return totals.report("ingested")
