"""Where each document comes from, and whether its object had the right to say it.

Every document gets ``siem.object.id`` (16 characters naming its S3 object and version) and,
when the key says it, ``siem.object.account`` (the account folder the object was delivered
under). The first document of each object also carries the object's details (bucket, key,
version id, ETag, size), so they are stored once per object (docs/ingest.md, "Provenance").

The key is also checked against the content (docs/deploy.md, "Trust model"):

- under a source's prefix, only that source's records are accepted; a record of another
  source is dead-lettered ("source does not match its prefix");
- under a member delivery role's folders (``<prefix>AWSLogs/<account>/firehose/`` and
  ``firehose-errors/``, written by each account's Firehose), a record's ``cloud.account.id``
  must be the account of the key, unless that account is a delegated administrator
  (``DELEGATED_ADMIN_ACCOUNT_IDS``), whose findings legitimately name other accounts.

A key under no configured prefix (``siem ingest`` of another bucket or prefix) is not checked,
though an ``AWSLogs/<account>/`` folder in it is still recorded; a local file has no key: no
check, no account.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ingest.config import Settings
from ingest.reader import ObjectIdentity
from normalizers import DeadLetter, Item
from normalizers.object_key import AWS_LOGS_FOLDER
from normalizers.unencodable import original_bytes

SourcedItem = tuple[str, Item]

SOURCE_MISMATCH = "source does not match its prefix"
ACCOUNT_MISMATCH = "account does not match its key"
MEMBER_DELIVERY_FOLDERS = frozenset({"firehose", "firehose-errors"})
"""Folders after ``AWSLogs/<account>/`` that member delivery roles write (infra/storage.py)."""
OBJECT_ID_BYTES = 12
"""Bytes of SHA-256 kept in an object id: 16 base64url characters, 96 bits (no collision to
expect below ~10^14 objects)."""


@dataclass(frozen=True, slots=True)
class KeyOrigin:
    """What an object's key says about who delivered it."""

    bucket: str | None = None
    key: str | None = None
    """The S3 key; ``None`` for a local file."""
    sources: frozenset[str] | None = None
    """The sources whose prefix the key is under; ``None`` when it is under no configured prefix."""
    account: str | None = None
    """The account folder after ``AWSLogs/``."""
    member_delivery: bool = False
    """Written by a member account's delivery role (Firehose), which may only speak for itself."""


@dataclass(frozen=True, slots=True)
class ProvenanceLetter(DeadLetter):
    """A record its object had no right to carry: kept, never replayed as it is."""

    def to_json(self) -> dict[str, Any]:
        return {**DeadLetter.to_json(self), "stage": "provenance"}


def object_id(identity: ObjectIdentity) -> str:
    """16 URL-safe characters naming the object's location and version."""
    digest = hashlib.sha256(f"{identity.location}#{identity.version}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:OBJECT_ID_BYTES]).decode("ascii")


def key_origin(location: str, source_prefixes: Mapping[str, str]) -> KeyOrigin:
    """Read ``s3://bucket/key`` against the configured source prefixes (source -> prefix)."""
    if not location.startswith("s3://"):
        return KeyOrigin()
    bucket, _, key = location[len("s3://") :].partition("/")
    under = {prefix for prefix in source_prefixes.values() if key.startswith(prefix)}
    if not under:
        found = AWS_LOGS_FOLDER.search(key)
        return KeyOrigin(bucket, key, account=found.group(1) if found else None)
    prefix = max(under, key=len)
    sources = frozenset(source for source, its in source_prefixes.items() if its == prefix)
    found = AWS_LOGS_FOLDER.match(key, len(prefix))
    if not found:
        return KeyOrigin(bucket, key, sources)
    return KeyOrigin(bucket, key, sources, found.group(1), found.group(2) in MEMBER_DELIVERY_FOLDERS)


class Provenance:
    """Stamps and checks the documents of one object (see the module doc)."""

    def __init__(self, identity: ObjectIdentity, settings: Settings) -> None:
        self._identity = identity
        self._origin = key_origin(identity.location, settings.source_prefixes)
        self._id = object_id(identity)
        self._speaks_for_others = self._origin.account in settings.delegated_admin_account_ids
        self._checks = self._origin.sources is not None or (
            self._origin.member_delivery and not self._speaks_for_others
        )
        """Whether the key can refute a record at all (most keys cannot: no need to ask each)."""
        self._stamp: dict[str, Any] = {"id": self._id}
        """The stamp of every document but the first: one dict shared by all, never changed
        (each document is encoded before the next is read)."""
        if self._origin.account:
            self._stamp["account"] = self._origin.account

    def checked(self, items: Iterable[SourcedItem]) -> Iterator[SourcedItem]:
        """``items`` with each document stamped, or dead-lettered when its key refutes it."""
        if not self._checks:
            return self._stamped_all(items)
        return self._checked(items)

    def _stamped_all(self, items: Iterable[SourcedItem]) -> Iterator[SourcedItem]:
        """``checked`` of an object whose key refutes nothing (most): each document stamped, with
        no step per document that only a check needs (this runs once per document)."""
        items = iter(items)
        stamp = self._stamp
        stamped = {"object": stamp}  # one ``siem`` shared by the documents that had none (read-only)
        for sourced in items:
            item = sourced[1]
            if not isinstance(item, DeadLetter):
                self._stamped(item, {**stamp, **self._details()})
                yield sourced
                break
            yield sourced
        for sourced in items:
            item = sourced[1]
            if not isinstance(item, DeadLetter):  # _stamped inline
                siem = item.get("siem", stamp)
                if siem is stamp:
                    item["siem"] = stamped
                elif isinstance(siem, dict) and "object" not in siem:
                    siem["object"] = stamp
            yield sourced

    def _checked(self, items: Iterable[SourcedItem]) -> Iterator[SourcedItem]:
        first = True
        stamp = self._stamp
        for position, sourced in enumerate(items):
            source, item = sourced
            if isinstance(item, DeadLetter):
                yield sourced
                continue
            refusal = self._refusal(source, item)
            if refusal:
                try:
                    raw = orjson.dumps(item)
                except TypeError:  # a document the encoder refuses: the record stands for it
                    raw = original_bytes(item)
                yield (
                    source,
                    ProvenanceLetter(source, refusal, self._identity.location, f"record {position}", raw),
                )
                continue
            if first:
                first = False
                self._stamped(item, {**stamp, **self._details()})
            else:  # once per document: _stamped inline
                siem = item.get("siem", stamp)
                if siem is stamp:
                    item["siem"] = {"object": stamp}
                elif isinstance(siem, dict) and "object" not in siem:
                    siem["object"] = stamp
            yield sourced

    def _refusal(self, source: str, document: dict[str, Any]) -> str | None:
        origin = self._origin
        if origin.sources is not None and source not in origin.sources:
            expected = ", ".join(sorted(origin.sources))
            return f"{SOURCE_MISMATCH}: {source} record under the {expected} prefix"
        if origin.member_delivery and not self._speaks_for_others:
            account = _record_account(document)
            if account != origin.account:
                return f"{ACCOUNT_MISMATCH}: record of account {account or 'none'} delivered by account {origin.account}"
        return None

    @staticmethod
    def _stamped(document: dict[str, Any], stamp: dict[str, Any]) -> None:
        siem = document.setdefault("siem", {})
        if isinstance(siem, dict) and "object" not in siem:
            siem["object"] = stamp
        # else: a replayed document keeps the provenance it was first given

    def _details(self) -> dict[str, Any]:
        identity, origin = self._identity, self._origin
        details: dict[str, Any] = {
            "bucket": origin.bucket,
            "key": origin.key if origin.key is not None else identity.location,
            "version_id": identity.version_id,
            "etag": identity.etag,
            "size": identity.size,
        }
        return {name: value for name, value in details.items() if value is not None}


def _record_account(document: dict[str, Any]) -> str | None:
    cloud = document.get("cloud")
    account = cloud.get("account") if isinstance(cloud, dict) else None
    value = account.get("id") if isinstance(account, dict) else None
    return value if isinstance(value, str) else None
