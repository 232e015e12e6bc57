"""Backfills: every object under a local path or an S3 prefix, through the same processor as
the Lambda (``siem ingest`` and ``siem replay-dead-letters`` drive it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3

from ingest.events import ObjectRef
from ingest.processor import ObjectResult
from ingest.reader import OpenedObject, list_local, list_s3, open_local, open_s3
from ingest.runtime import Runtime
from ingest.writer import Deadline

Open = Callable[[], OpenedObject]
"""Opens one listed object when its turn comes (so a long backfill never holds many open)."""
Process = Callable[[OpenedObject, Runtime, str, Deadline], ObjectResult]
"""What is done with one opened object: ``process_object``, or a replay of dead letters."""


class Opener:
    """Lists and opens local files or ``s3://bucket/prefix`` objects, the same way for both."""

    def __init__(self, target: str, region: str | None) -> None:
        self._target = target
        self._s3: Any = boto3.client("s3", region_name=region) if target.startswith("s3://") else None

    def sources(self) -> list[Open]:
        """One opener per object; raises ``FileNotFoundError`` for a local path that does not exist."""
        if self._s3 is not None:
            bucket, _, prefix = self._target[len("s3://") :].partition("/")
            return [self._s3_opener(ref) for ref in list_s3(self._s3, bucket, prefix)]
        root = Path(self._target)
        if not root.exists():
            raise FileNotFoundError(f"{root} does not exist")
        return [self._local_opener(path) for path in list_local(root)]

    def _s3_opener(self, ref: ObjectRef) -> Open:
        return lambda: open_s3(self._s3, ref)

    @staticmethod
    def _local_opener(path: Path) -> Open:
        return lambda: open_local(path)


def process_each(
    openers: Iterable[Open], runtime: Runtime, process: Process, owner: str
) -> Iterator[ObjectResult]:
    """Each object's result, in order; one object that fails never stops the others."""
    deadline = Deadline()
    for open_object in openers:
        opened = open_object()
        try:
            yield process(opened, runtime, owner, deadline)
        except Exception as error:  # one bad object never stops a backfill
            yield ObjectResult(
                opened.identity.location, status="failed", error=f"{type(error).__name__}: {error}"
            )
        finally:
            opened.close()
