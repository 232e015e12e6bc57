"""Backfills across the deployed fleet: list an S3 prefix and enqueue one S3 event notification per
object into the ingest queue, so the ingest Lambda (its reserved concurrency) does the work.

Each message is the JSON S3 itself sends for ``s3:ObjectCreated:*`` (event structure version
2.1, Amazon S3 User Guide, "Event message structure"): one record, the key URL-encoded as S3
encodes it, the listed ``size`` and ``eTag``. The handler reads it like any live notification
(``ingest/events.py``), pins the read to the listed ETag, and keys its ledger on what it read,
so a backfill over objects already ingested (or a backfill run twice) indexes nothing twice.

A shared organization bucket holds more than logs. :func:`classify` reads each key's layout
(:mod:`normalizers.layouts`: the account, region and day the filters select on); objects that
hold no records of a source we read (CloudTrail digest files, Config's
``ConfigWritabilityCheckFile``, load balancer and S3 server access logs, other services, empty
objects, folder markers) are skipped and counted by reason, the same reason the ingest function
would skip them for, instead of becoming dead letters.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from normalizers import registry
from normalizers.layouts import KeyLayout, read_key

SQS_BATCH = 10
"""Entries per ``SendMessageBatch`` call (the API's maximum)."""

SOURCES = registry.SOURCES


@dataclass(frozen=True, slots=True)
class Filters:
    """Which listed objects to enqueue; an unset filter lets every value through."""

    sources: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    since: date | None = None
    until: date | None = None
    """Inclusive, on the day of the key's layout."""

    def rejects(self, layout: KeyLayout) -> str | None:
        """Why a log object of ``layout`` is outside the filters (``None``: inside)."""
        if self.sources and layout.source not in self.sources:
            return "other source"
        if self.accounts and layout.account not in self.accounts:
            return "other account"
        if self.regions and layout.region not in self.regions:
            return "other region"
        if self.since or self.until:
            if layout.day is None:
                return "no date in key"
            if (self.since and layout.day < self.since) or (self.until and layout.day > self.until):
                return "outside dates"
        return None

    @property
    def need_layout(self) -> bool:
        """Whether only keys in the AWS layouts can pass (any filter set: nothing else says it matches)."""
        return bool(self.sources or self.accounts or self.regions or self.since or self.until)


@dataclass(frozen=True, slots=True)
class Listed:
    """One object of a ListObjectsV2 page."""

    key: str
    size: int
    etag: str
    last_modified: datetime


def classify(listed: Listed, filters: Filters) -> str | None:
    """Why the object is skipped, or ``None`` when it is to be enqueued."""
    if listed.key.endswith("/"):
        return "folder marker"
    layout = read_key(listed.key)
    if layout.skip is not None:  # the same reason the ingest function would skip it for
        return layout.skip
    if listed.size == 0:
        return "empty object"
    if layout.service is None and filters.need_layout:
        return "key outside the AWS layouts"
    return filters.rejects(layout)


def notification(bucket: str, region: str, listed: Listed) -> str:
    """The S3 event notification S3 sends for ``listed`` (event structure version 2.1)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": listed.last_modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "siem-backfill"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "siem-backfill", "x-amz-id-2": "siem-backfill"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "siem-backfill",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "siem-backfill"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": quote_plus(listed.key, safe="/"),  # S3 URL-encodes keys, spaces as '+'
                "size": listed.size,
                "eTag": listed.etag.strip('"'),  # bare in notifications, quoted in listings
                "sequencer": f"{int(listed.last_modified.timestamp() * 1000):016X}",
            },
        },
    }
    return json.dumps({"Records": [record]}, separators=(",", ":"))


@dataclass
class Checkpoint:
    """The resumable listing: the last key whose message is in the queue (or that was skipped
    before it), saved after every acknowledged batch. ListObjectsV2 lists keys in UTF-8 binary
    order, so ``StartAfter`` this key resumes exactly where the last run stopped."""

    path: Path | None
    target: str
    last_key: str = ""
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def load(cls, path: Path | None, target: str) -> Checkpoint:
        """The saved checkpoint of ``target``; raises ``ValueError`` for another target's file."""
        if path is None or not path.exists():
            return cls(path, target)
        saved = json.loads(path.read_text())
        if saved.get("target") != target:
            raise ValueError(f"{path} is the checkpoint of {saved.get('target')}, not of {target}")
        return cls(path, target, saved.get("last_key", ""), Counter(saved.get("counts", {})))

    def save(self, last_key: str) -> None:
        self.last_key = last_key
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(self.path.suffix + ".tmp")
        scratch.write_text(json.dumps({"target": self.target, "last_key": last_key, "counts": self.counts}))
        scratch.replace(self.path)  # atomic: a crash leaves the old or the new checkpoint


class RateLimit:
    """At most ``per_second`` messages per second on average (``None``: unlimited)."""

    def __init__(
        self,
        per_second: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._start = clock()
        self._sent = 0

    def wait_for(self, messages: int) -> None:
        """Sleep until ``messages`` more may be sent."""
        if self._per_second:  # the n-th message is due n / rate seconds after the start
            delay = self._start + self._sent / self._per_second - self._clock()
            if delay > 0:
                self._sleep(delay)
        self._sent += messages


class SendFailed(RuntimeError):
    """SQS refused some entries of a batch after every retry: the checkpoint stays before them."""


@dataclass(frozen=True, slots=True)
class Target:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> Target:
        if not url.startswith("s3://") or not url[len("s3://") :].partition("/")[0]:
            raise ValueError(f"expected s3://bucket/prefix, got {url!r}")
        bucket, _, prefix = url[len("s3://") :].partition("/")
        return cls(bucket, prefix)


def list_objects(s3: Any, target: Target, start_after: str = "") -> Iterator[Listed]:
    """Every object under the target, in key order, after ``start_after``."""
    extra = {"StartAfter": start_after} if start_after else {}
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix, **extra)
    for page in pages:
        for entry in page.get("Contents", []):
            yield Listed(
                entry["Key"], int(entry.get("Size", 0)), entry.get("ETag", ""), entry["LastModified"]
            )


@dataclass
class Enqueuer:
    """Sends notifications in batches of ten, at the rate limit, saving the checkpoint after each."""

    sqs: Any
    queue_url: str
    bucket: str
    region: str
    checkpoint: Checkpoint
    rate: RateLimit
    max_attempts: int = 5
    backoff: Callable[[float], None] = time.sleep
    _batch: list[Listed] = field(default_factory=list)

    def run(
        self, listing: Iterable[Listed], filters: Filters, progress: Callable[[], None] = lambda: None
    ) -> None:
        """Enqueue what the filters keep; count the rest. The checkpoint moves past a skipped key
        only with the next batch sent, so that a crash never skips an unsent message."""
        last_skipped = ""
        for listed in listing:
            reason = classify(listed, filters)
            if reason is None:
                self._batch.append(listed)
                if len(self._batch) == SQS_BATCH:
                    self._flush()
            else:
                self.checkpoint.counts[f"skipped: {reason}"] += 1
                last_skipped = listed.key
            progress()
        self._flush()
        if last_skipped > self.checkpoint.last_key:
            self.checkpoint.save(last_skipped)

    def _flush(self) -> None:
        if not self._batch:
            return
        self.rate.wait_for(len(self._batch))
        pending = {str(i): listed for i, listed in enumerate(self._batch)}
        for attempt in range(self.max_attempts):
            entries = [
                {"Id": i, "MessageBody": notification(self.bucket, self.region, listed)}
                for i, listed in pending.items()
            ]
            answer = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = answer.get("Failed", [])
            pending = {f["Id"]: pending[f["Id"]] for f in failed}
            if not pending:
                break
            if any(f.get("SenderFault") for f in failed):  # will fail again: e.g. a body too large
                break
            self.backoff(min(0.2 * 2**attempt, 5.0))
        if pending:
            first = next(iter(failed))
            raise SendFailed(
                f"{len(pending)} message(s) not accepted by SQS ({first.get('Code')}: {first.get('Message')})"
            )
        self.checkpoint.counts["enqueued"] += len(self._batch)
        self.checkpoint.save(max(listed.key for listed in self._batch))
        self._batch = []
