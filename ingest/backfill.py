"""Backfills: every object under a local path or an S3 prefix, through the same processor as
the Lambda (``siem ingest`` and ``siem replay-dead-letters`` drive it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3

from ingest.events import ObjectRef
from ingest.ledger import LeaseHeld
from ingest.processor import ObjectResult
from ingest.reader import ObjectGone, OpenedObject, list_local, list_s3, open_local, open_s3
from ingest.runtime import Runtime
from ingest.writer import Deadline

Open = Callable[[], OpenedObject]
"""Opens one listed object when its turn comes (so a long backfill never holds many open)."""
Listed = tuple[str, Open]
"""A listed object: its location (for reports) and its opener."""
Ref = Path | ObjectRef
"""A listed object as the listing names it: picklable, so that another process can open it
(``siem ingest --workers``) with :meth:`Opener.listed`."""
Process = Callable[[OpenedObject, Runtime, str, Deadline], ObjectResult]
"""What is done with one opened object: ``process_object``, or a replay of dead letters."""


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
        """(location, opener) of one object of :meth:`refs`."""
        if isinstance(ref, ObjectRef):
            return ref.url, lambda: open_s3(self._s3, ref)
        return str(ref.resolve()), lambda: open_local(ref)

    def sources(self) -> list[Listed]:
        """(location, opener) per object of :meth:`refs`."""
        return [self.listed(ref) for ref in self.refs()]


def process_each(
    openers: Iterable[Listed], runtime: Runtime, process: Process, owner: str
) -> Iterator[ObjectResult]:
    """Each object's result, in order; one object that fails never stops the others.

    An object deleted after the listing is ``gone`` (reported, skipped); one another run is
    writing right now is ``busy`` (its lease is held; run again later to finish it)."""
    deadline = Deadline()
    for location, open_object in openers:
        try:
            opened = open_object()
        except (ObjectGone, FileNotFoundError):
            yield ObjectResult(location, status="gone", error="deleted after it was listed: skipped")
            continue
        except Exception as error:  # no access, throttled...: this object only
            yield ObjectResult(location, status="failed", error=f"{type(error).__name__}: {error}")
            continue
        try:
            yield process(opened, runtime, owner, deadline)
        except LeaseHeld as error:
            yield ObjectResult(opened.identity.location, status="busy", error=str(error))
        except Exception as error:  # one bad object never stops a backfill
            yield ObjectResult(
                opened.identity.location, status="failed", error=f"{type(error).__name__}: {error}"
            )
        finally:
            opened.close()
