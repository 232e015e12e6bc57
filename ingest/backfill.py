"""Backfills: every object under a local path or an S3 prefix, through the same processor as
the Lambda (``siem ingest`` and ``siem replay-dead-letters`` drive it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from ingest.events import ObjectRef
from ingest.ledger import LeaseHeld, Ledger, SqliteLedger
from ingest.processor import ObjectResult
from ingest.reader import (
    ObjectGone,
    ObjectOverwritten,
    OpenedObject,
    list_local,
    list_s3,
    notified_identity,
    open_local,
    open_s3,
)
from ingest.runtime import Runtime
from ingest.unreadable import dead_letter_unreadable, gone_reason, overwritten_reason
from ingest.writer import Deadline

Open = Callable[[], OpenedObject]
"""Opens one listed object when its turn comes (so a long backfill never holds many open)."""
Ref = Path | ObjectRef
"""A listed object as the listing names it: picklable, so that another process can open it
(``siem ingest --workers``) with :meth:`Opener.listed`."""
Process = Callable[[OpenedObject, Runtime, str, Deadline], ObjectResult]
"""What is done with one opened object: ``process_object``, or a replay of dead letters."""


@dataclass(frozen=True, slots=True)
class Listed:
    """A listed object: its location (for reports), its opener and, for an S3 object, how to read
    again exactly the version an earlier run began."""

    location: str
    open: Open
    ref: ObjectRef | None = None
    """The S3 listing's entry, with its ETag (``None``: a local file)."""
    open_pinned: Callable[[ObjectRef], OpenedObject] | None = None
    """GetObject pinned to the version or ETag the ref names (:func:`ingest.reader.open_s3`)."""
    listed: bool = True
    """``False``: an S3 object the listing no longer names (:meth:`Opener.unlisted`): only the
    versions an earlier run began are resumed, there is no current version to read."""


class Opener:
    """Lists and opens local files or ``s3://bucket/prefix`` objects, the same way for both."""

    def __init__(self, target: str, region: str | None) -> None:
        self._target = target
        self._s3: Any = boto3.client("s3", region_name=region) if target.startswith("s3://") else None

    def refs(self) -> list[Ref]:
        """The objects of the target; raises ``FileNotFoundError`` for a local path that does not
        exist."""
        if self._s3 is not None:
            bucket, _, prefix = self._target[len("s3://") :].partition("/")
            return list(list_s3(self._s3, bucket, prefix))
        root = Path(self._target)
        if not root.exists():
            raise FileNotFoundError(f"{root} does not exist")
        return list(list_local(root))

    def listed(self, ref: Ref) -> Listed:
        """How :func:`process_each` reads one object of :meth:`refs`."""
        if isinstance(ref, ObjectRef):
            # The current version, whatever it is: one GetObject reads one version whole. Only a
            # resume names the version it goes on with (process_each).
            current = replace(ref, etag=None)
            return Listed(
                ref.url, lambda: open_s3(self._s3, current), ref, lambda pin: open_s3(self._s3, pin)
            )
        return Listed(str(ref.resolve()), lambda: open_local(ref))

    def sources(self) -> list[Listed]:
        """How to read each object of :meth:`refs`."""
        return [self.listed(ref) for ref in self.refs()]

    def unlisted(self, ledger: Ledger, listing: Iterable[Ref]) -> list[Listed]:
        """The S3 objects under the target that an earlier run began and did not finish, and that
        ``listing`` (:meth:`refs`) does not name: deleted outright since, so no listed object
        leads to their unfinished reads (:func:`process_each` resumes them, or dead-letters their
        unread rest). None for a local target (a file's key is its content hash) or a ledger
        that pins no reads."""
        if self._s3 is None or not isinstance(ledger, SqliteLedger):
            return []
        bucket, _, prefix = self._target[len("s3://") :].partition("/")
        named = {ref.url for ref in listing if isinstance(ref, ObjectRef)}
        # "s3://bucket/prefix" as a string prefix matches the keys ListObjectsV2's Prefix does;
        # the "/" after the bucket keeps "s3://bucket" from matching "s3://bucket-2/...".
        locations = {
            location
            for location, _ in ledger.unfinished_reads_under(f"s3://{bucket}/{prefix}")
            if location not in named
        }
        return [self._unlisted(bucket, location) for location in sorted(locations)]

    def _unlisted(self, bucket: str, location: str) -> Listed:
        ref = ObjectRef(bucket, location[len(f"s3://{bucket}/") :])
        return Listed(
            location, partial(open_s3, self._s3, ref), ref, partial(open_s3, self._s3), listed=False
        )


def then(listing: Iterable[Listed], later: Callable[[], Iterable[Listed]]) -> Iterator[Listed]:
    """``listing``, then what ``later`` returns, called once ``listing`` is exhausted: by
    :func:`process_each`, once every object of ``listing`` is done."""
    yield from listing
    yield from later()


def process_each(
    listing: Iterable[Listed], runtime: Runtime, process: Process, owner: str
) -> Iterator[ObjectResult]:
    """Each object's result, in order; one object that fails never stops the others.

    An object deleted after the listing is ``gone`` (reported, skipped); one another run is
    writing right now is ``busy`` (its lease is held; run again later to finish it).

    An S3 object an earlier run began and did not finish is resumed from the version that run
    read (its version id, else its ETag, kept in the ledger: :class:`~ingest.ledger.PinnedRead`),
    never from the current bytes at the old offsets. A version gone since (an unversioned object
    overwritten, a version deleted) can no longer be read: its unread rest is one dead letter,
    ``overwritten`` or ``gone`` as the Lambda says it (:mod:`ingest.unreadable`), and the current
    version is read as a new object under its own version or ETag. An object deleted outright
    since is no longer listed: :meth:`Opener.unlisted` names it, its begun versions alone."""
    deadline = Deadline()
    ledger = runtime.services.ledger
    pins = ledger if isinstance(ledger, SqliteLedger) else None
    for listed in listing:
        resumed: set[str] = set()  # ledger keys of the versions resumed: the current may be one
        if pins is not None and listed.ref is not None and listed.open_pinned is not None:
            for pin in pins.unfinished_reads(listed.location):
                if pin.version_id is None and pin.etag is None:
                    continue  # nothing names that version (S3 answers always carry an ETag)
                version = replace(listed.ref, version_id=pin.version_id, etag=pin.etag)
                opened, result = _open(listed.location, partial(listed.open_pinned, version))
                if opened is None:
                    yield _unreadable(version, result, runtime, owner, deadline)
                    continue
                resumed.add(opened.identity.ledger_key)
                yield _process(opened, runtime, process, owner, deadline)
        if not listed.listed:
            continue  # deleted outright: only the versions begun earlier are left to settle
        if listed.ref is not None and listed.ref.etag and notified_identity(listed.ref).ledger_key in resumed:
            continue  # unversioned, and the listed ETag is the one just resumed: no second read
        opened, result = _open(listed.location, listed.open)
        if opened is None:
            yield result
            continue
        if opened.identity.ledger_key in resumed:  # a versioned object's current version, resumed
            opened.close()
            continue
        if pins is not None and listed.ref is not None:
            identity = opened.identity
            pins.pin_read(identity.ledger_key, listed.location, identity.version_id, identity.etag)
        yield _process(opened, runtime, process, owner, deadline)


def _open(location: str, open_object: Open) -> tuple[OpenedObject | None, ObjectResult]:
    """The opened object, else the result that says why it could not be."""
    try:
        return open_object(), ObjectResult(location)
    except (ObjectGone, FileNotFoundError):
        return None, ObjectResult(location, status="gone", error="deleted after it was listed: skipped")
    except ObjectOverwritten:
        return None, ObjectResult(location, status="overwritten")
    except Exception as error:  # no access, throttled...: this object only
        return None, ObjectResult(location, status="failed", error=f"{type(error).__name__}: {error}")


def _unreadable(
    version: ObjectRef, why: ObjectResult, runtime: Runtime, owner: str, deadline: Deadline
) -> ObjectResult:
    """The version an earlier run began is gone or overwritten: its unread rest is dead-lettered
    and its ledger entry closed (another failure: reported, resumed by the next run)."""
    reasons = {"gone": gone_reason, "overwritten": overwritten_reason}
    if why.status not in reasons:
        return why
    try:
        return dead_letter_unreadable(
            version, runtime.services, deadline, why.status, reasons[why.status], settle_as=owner
        )
    except LeaseHeld as error:
        return ObjectResult(version.url, status="busy", error=str(error))


def _process(
    opened: OpenedObject, runtime: Runtime, process: Process, owner: str, deadline: Deadline
) -> ObjectResult:
    try:
        return process(opened, runtime, owner, deadline)
    except LeaseHeld as error:
        return ObjectResult(opened.identity.location, status="busy", error=str(error))
    except Exception as error:  # one bad object never stops a backfill
        return ObjectResult(
            opened.identity.location, status="failed", error=f"{type(error).__name__}: {error}"
        )
    finally:
        opened.close()
