"""``siem ingest --workers N``: the objects of a backfill spread over N processes.

Each process builds its own runtime (OpenSearch client and bulk writer, S3 client, dead-letter
sink) and opens the one SQLite ledger file: SQLite serializes writers across processes (each
ledger write is a ``BEGIN IMMEDIATE`` transaction in WAL mode), and the lease of each object
keeps two processes from writing it at once. Objects are handed out one at a time, so a large
object does not hold back the objects queued behind it on one process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.util import Finalize

from enrichment import EnrichmentSettings
from ingest.backfill import Opener, Process, Ref, process_each
from ingest.config import Settings
from ingest.events import ObjectRef
from ingest.owners import run_owner
from ingest.processor import ObjectResult
from ingest.runtime import Runtime, build_runtime
from siem_cli.backfill import start_runtime, tally
from siem_cli.errors import require_reachable
from siem_cli.options import count_of

_runtime: Runtime | None = None
_opener: Opener | None = None
_process: Process | None = None
_owner = ""
"""This worker's lease owner: its own process, so runs and workers never share a lease."""


def _start_worker(settings: Settings, target: str, process: Process) -> None:
    global _runtime, _opener, _process, _owner
    # As `siem ingest` does: enriched with the file `siem accounts sync` wrote.
    _runtime = build_runtime(settings, enrichment=EnrichmentSettings.from_env(local_default=True))
    _opener = Opener(target, settings.connection.region)
    _process = process
    _owner = run_owner()
    Finalize(None, _runtime.close, exitpriority=10)  # shut the writer's pool down as the worker exits


def _one(ref: Ref) -> list[ObjectResult]:
    """One object through the path every backfill takes (``process_each``: an object gone since
    the listing is skipped, a busy or failing one is reported; a version an earlier run began
    is resumed first, or reported, which makes two results)."""
    assert _runtime is not None and _opener is not None and _process is not None, "set by _start_worker"
    return list(process_each([_opener.listed(ref)], _runtime, _process, _owner))


def _unlisted(refs: list[Ref]) -> list[ObjectResult]:
    """The objects under the target that an earlier run began and the listing ``refs`` no longer
    names (:meth:`Opener.unlisted`), through the same path."""
    assert _runtime is not None and _opener is not None and _process is not None, "set by _start_worker"
    unlisted = _opener.unlisted(_runtime.services.ledger, refs)
    return list(process_each(unlisted, _runtime, _process, _owner))


def _results(
    refs: list[Ref], futures: list[Future[list[ObjectResult]]], pool: ProcessPoolExecutor, target: str
) -> Iterator[ObjectResult]:
    for ref, future in zip(refs, futures, strict=True):
        location = ref.url if isinstance(ref, ObjectRef) else str(ref)
        yield from _settled(future.result, location)
    # Once every listed object is done, as one process does it: one look-up, on one worker.
    yield from _settled(lambda: pool.submit(_unlisted, refs).result(), target)


def _settled(results: Callable[[], list[ObjectResult]], location: str) -> list[ObjectResult]:
    try:
        return results()
    except Exception as error:  # its worker died (a pool that lost one takes no new task either)
        return [ObjectResult(location, status="failed", error=f"{type(error).__name__}: {error}")]


worker_count = count_of("processes")
"""``--workers``."""


def run_parallel(
    settings: Settings, target: str, refs: list[Ref], process: Process, workers: int, quiet: bool
) -> int:
    """Process the listed objects of ``target`` (:meth:`Opener.refs`) on ``workers`` processes
    with a progress bar; the exit status says whether every object finished. Like one process,
    it stops before the first object when the endpoint cannot be reached, and after the first
    result that shows no further object can be written (``siem_cli.backfill.tally``)."""
    start_runtime(settings).close()  # a configuration error: said once, here, as one process says it
    require_reachable(settings.connection.endpoint)
    # fork: every worker starts at the first submit, before any thread of this process (the
    # progress bar's) exists
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(settings, target, process)
    ) as pool:
        futures = [pool.submit(_one, ref) for ref in refs]
        try:
            return tally(settings, _results(refs, futures, pool, target), len(refs), quiet, "ingested")
        except BaseException:
            pool.shutdown(cancel_futures=True)  # what is not started yet never starts
            raise
