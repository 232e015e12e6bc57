"""Open an S3 object or a local file as a raw byte stream, with the identity the ledger keys on.

The identity comes from what was actually read (the GetObject answer, the file's bytes). A
notification names one version of the object, and the read is pinned to it: by ``VersionId``
when the bucket is versioned, else by ``If-Match`` on the notified ETag. Without the pin, an
unversioned object overwritten between the notification and the read would be read as the new
version under the old notification, and the new version's own notification would then find
it done: the first version's records would vanish without a trace. With it, S3 answers 412
and the handler dead-letters the first version as overwritten.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ingest.events import ObjectRef


@dataclass(frozen=True, slots=True)
class ObjectIdentity:
    location: str
    """``s3://bucket/key`` or a local path: where dead letters point."""
    version: str
    """Version id, else ETag (S3); content hash (local files)."""
    last_modified: datetime
    version_id: str | None = None
    """S3's ``VersionId`` (absent, or ``null``, in an unversioned bucket): provenance."""
    etag: str | None = None
    size: int | None = None
    """Bytes as stored (compressed): provenance."""

    @property
    def ledger_key(self) -> str:
        return f"{self.location}#{self.version}"

    @property
    def short_hash(self) -> str:
        """A stable, file-name-safe name for the object (dead-letter file names)."""
        return hashlib.sha256(self.ledger_key.encode()).hexdigest()[:16]


@dataclass(slots=True)
class OpenedObject:
    identity: ObjectIdentity
    stream: BinaryIO

    def close(self) -> None:
        self.stream.close()


class _RawBody(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so a BufferedReader gives it ``read1``/``peek``."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


class ObjectGone(LookupError):
    """The notified object no longer exists (deleted before we read it)."""


class ObjectOverwritten(LookupError):
    """The notified version of an unversioned object was replaced before we read it (412)."""


def open_s3(s3: Any, ref: ObjectRef) -> OpenedObject:
    """GetObject of the notified version, streaming: the body is read as the normalizer asks
    for bytes. Raises :class:`ObjectGone` (deleted) or :class:`ObjectOverwritten` (replaced)."""
    params = {"Bucket": ref.bucket, "Key": ref.key, **_pin_to_notified_version(ref)}
    try:
        answer = s3.get_object(**params)
    except s3.exceptions.NoSuchKey:
        raise ObjectGone(ref.url) from None
    except s3.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "NoSuchVersion", "404"):
            raise ObjectGone(ref.url) from None
        if code in ("MethodNotAllowed", "405") and "VersionId" in params:
            # The version asked for is a delete marker now (S3's GetObject documentation): a
            # DELETE replaced version "null" of a bucket whose versioning is suspended.
            raise ObjectGone(ref.url) from None
        if code in ("PreconditionFailed", "412"):
            raise ObjectOverwritten(ref.url) from None
        raise
    version = answer.get("VersionId") or answer.get("ETag", "").strip('"') or "unversioned"
    if version == "null":  # versioning suspended or never enabled: S3 answers "null"
        version = answer.get("ETag", "").strip('"') or "unversioned"
    identity = ObjectIdentity(
        ref.url,
        version,
        answer["LastModified"].astimezone(UTC),
        version_id=answer.get("VersionId") if answer.get("VersionId") not in (None, "null") else None,
        etag=answer.get("ETag", "").strip('"') or None,
        size=answer.get("ContentLength"),
    )
    return OpenedObject(identity, io.BufferedReader(_RawBody(answer["Body"]), buffer_size=1 << 20))


def notified_identity(ref: ObjectRef) -> ObjectIdentity:
    """The identity :func:`open_s3` gives the version ``ref`` names (its ledger key above all),
    for when that version can no longer be read: its version id, else its ETag, unquoted. A
    version id ``null`` names no version of its own (the next PUT or DELETE replaces it in
    place), so the read's identity is the ETag there too."""
    etag = ref.etag.strip('"') if ref.etag else None
    version = ref.version_id if ref.version_id not in (None, "null") else etag
    return ObjectIdentity(
        ref.url,
        version or "unknown",
        datetime.now(UTC),
        version_id=ref.version_id if ref.version_id != "null" else None,
        etag=etag,
    )


def _pin_to_notified_version(ref: ObjectRef) -> dict[str, str]:
    """GetObject parameters that read exactly the notified bytes, or fail."""
    pin: dict[str, str] = {}
    if ref.version_id:
        pin["VersionId"] = ref.version_id
    # A version id pins the content, except "null" (versioning suspended): that version is
    # replaced in place by the next PUT, like an unversioned object, so the ETag pins it.
    if ref.etag and ref.version_id in (None, "null"):
        unquoted = ref.etag.strip('"')  # notifications carry it bare; If-Match wants it quoted
        pin["IfMatch"] = f'"{unquoted}"'
    return pin


def open_local(path: Path) -> OpenedObject:
    """Open a local file; its version is its content hash, so a renamed copy is the same object only
    when its path is the same too. The hash and the read are of one open file: a file replaced
    at its path in between (a download or a copy finishing by a rename) would otherwise be read
    under the hash of the bytes it replaced, its records recorded as the other's."""
    handle = path.open("rb")
    try:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:32]
        stat = os.fstat(handle.fileno())
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    identity = ObjectIdentity(str(path.resolve()), digest, modified, size=stat.st_size)
    return OpenedObject(identity, handle)


def open_bytes(location: str, data: bytes, version: str, last_modified: datetime) -> OpenedObject:
    return OpenedObject(ObjectIdentity(location, version, last_modified), io.BytesIO(data))


def list_s3(s3: Any, bucket: str, prefix: str) -> Iterator[ObjectRef]:
    """Every object under ``s3://bucket/prefix`` (for backfills), with the listed ETag (unquoted):
    a resume compares it with the version it goes on with (:func:`ingest.backfill.process_each`)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            etag = entry.get("ETag", "").strip('"') or None
            yield ObjectRef(bucket, entry["Key"], etag=etag, size=entry.get("Size"))


def list_local(root: Path) -> Iterator[Path]:
    """A file, or every file below a directory (sorted, hidden files skipped)."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            yield path
