"""Where the account directory is kept, and a per-container cache of it.

- CLI: a local file, by default ``$XDG_STATE_HOME/siem/accounts.json``
  (:func:`enrichment.accounts.default_path`).
- Deployed stack: **one S3 object** (``s3://<bucket>/<key>``), written by the scheduled sync
  and read by the ingest and detection functions. Why S3: the directory of 500 accounts with
  tags is 100-200 KB, past an SSM parameter (4 KB standard, 8 KB advanced) and close to a
  DynamoDB item's 400 KB; an S3 ``GetObject`` with ``If-None-Match`` costs one small request
  and no transfer while the object is unchanged.

:class:`CachedDirectory` keeps the directory in the container and asks the store again only
after ``ttl`` seconds; a failed refresh keeps the previous directory (enrichment must never
stop ingestion) and is retried after the next ``ttl``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

from enrichment.accounts import AccountDirectory, DirectoryError

LOGGER = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 900.0
"""How long a container uses its copy before asking again (the sync runs hourly by default)."""


class AccountStore(Protocol):
    @property
    def location(self) -> str: ...

    def read(self, known_version: str | None = None) -> tuple[AccountDirectory | None, str | None]:
        """``(directory, version)``; ``(None, known_version)`` when unchanged since that version."""
        ...

    def write(self, directory: AccountDirectory) -> None: ...


@dataclass(slots=True)
class LocalFileStore:
    path: Path

    @property
    def location(self) -> str:
        return str(self.path)

    def read(self, known_version: str | None = None) -> tuple[AccountDirectory | None, str | None]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise DirectoryError(f"{self.path}: no account directory (run `siem accounts sync`)") from None
        version = f"{stat.st_mtime_ns}:{stat.st_size}"
        if version == known_version:
            return None, version
        return AccountDirectory.load(self.path), version

    def write(self, directory: AccountDirectory) -> None:
        directory.save(self.path)


@dataclass(slots=True)
class S3ObjectStore:
    client: Any
    bucket: str
    key: str

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def read(self, known_version: str | None = None) -> tuple[AccountDirectory | None, str | None]:
        arguments: dict[str, str] = {"Bucket": self.bucket, "Key": self.key}
        if known_version:
            arguments["IfNoneMatch"] = known_version
        try:
            response = self.client.get_object(**arguments)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error.response.get("Error", {}).get("Code")
            if status == 304 or code in ("304", "NotModified"):
                return None, known_version
            if code in ("NoSuchKey", "404"):
                raise DirectoryError(f"{self.location}: no account directory (has the sync run?)") from None
            raise
        with response["Body"] as body:
            data = body.read()
        return AccountDirectory.from_bytes(data, self.location), response.get("ETag")

    def write(self, directory: AccountDirectory) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.key, Body=directory.to_bytes(), ContentType="application/json"
        )


def open_store(location: str | Path, s3: Any | None = None) -> AccountStore:
    """``s3://bucket/key`` -> :class:`S3ObjectStore` (``s3`` client or a new one), else a file."""
    text = str(location)
    if text.startswith("s3://"):
        bucket, _, key = text[5:].partition("/")
        if not bucket or not key:
            raise ValueError(f"an S3 location is s3://bucket/key, not {text!r}")
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        return S3ObjectStore(s3, bucket, key)
    return LocalFileStore(Path(text).expanduser())


class CachedDirectory:
    """The store's directory, re-read at most every ``ttl`` seconds (see module doc).

    Until the first successful read the directory is empty: documents are then indexed
    without account names rather than held back.
    """

    def __init__(
        self,
        store: AccountStore,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._clock = clock
        self._directory = AccountDirectory()
        self._version: str | None = None
        self._expires = float("-inf")

    def current(self) -> AccountDirectory:
        if self._clock() >= self._expires:
            self.refresh()
        return self._directory

    def refresh(self) -> None:
        self._expires = self._clock() + self.ttl
        try:
            directory, self._version = self.store.read(self._version)
        except Exception as error:  # the pipeline keeps going on the copy it has
            LOGGER.warning(
                "account directory %s not refreshed, keeping %d accounts: %s",
                self.store.location,
                len(self._directory),
                error,
            )
            return
        if directory is not None:
            self._directory = directory
