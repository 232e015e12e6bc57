"""Where the command line keeps its SQLite ledgers: one per destination, in the user's state folder.

A ledger says which records were written *where*. Kept in the working folder
(``.siem/ledger.sqlite``, before 0.2) it made a backfill rerun from another folder index
everything again, and one aimed at a second endpoint index nothing. So the default ledger is
``$XDG_STATE_HOME/siem/ledgers/<host>_<port>_<prefix>_<hash>.sqlite`` (``~/.local/state`` when
``XDG_STATE_HOME`` is unset), named by the destination: the endpoint and the index prefix. Each
ledger file records its destination when it is first opened, and refuses any other
(:class:`~ingest.ledger.WrongLedger`), whether it is the default or given with ``--ledger``.

A ``.siem/ledger.sqlite`` of an earlier version in the working folder says nothing of where it
wrote: it is refused with a message, or merged into the destination's ledger on request
(:func:`migrate_legacy`), then renamed so it is not read again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ingest.ledger import SqliteLedger

LEGACY_LEDGER = Path(".siem/ledger.sqlite")
"""The CLI's default ledger before 0.2, relative to the working folder."""
MIGRATED_SUFFIX = ".migrated"
LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a run writes: the engine (scheme, host, port, path) and the index prefix."""

    endpoint: str
    index_prefix: str

    @classmethod
    def of(cls, endpoint: str, index_prefix: str) -> Destination:
        """The destination of ``endpoint`` in one spelling: ``HTTPS://Host/`` is ``https://host:443``."""
        parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        host = (parts.hostname or "").lower()
        return cls(f"{scheme}://{host}:{port}{parts.path.rstrip('/')}", index_prefix)

    def __str__(self) -> str:
        return f"{self.endpoint} (index prefix {self.index_prefix!r})"

    def file_name(self) -> str:
        parts = urlsplit(self.endpoint)
        digest = hashlib.sha256(f"{self.endpoint}\0{self.index_prefix}".encode()).hexdigest()[:12]
        readable = [parts.hostname or "", str(parts.port), self.index_prefix.rstrip("-_") or "none"]
        return (
            "_".join([*(re.sub(r"[^A-Za-z0-9.-]+", "-", part)[:60] for part in readable), digest]) + ".sqlite"
        )


def state_directory(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/siem``, else ``~/.local/state/siem`` (the XDG base directory default)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "siem"


def default_ledger_path(destination: Destination, environ: Mapping[str, str] | None = None) -> Path:
    return state_directory(environ) / "ledgers" / destination.file_name()


class LegacyLedgerFound(ValueError):
    """A ledger of an earlier version is in the working folder; the user must say what it is."""


def cli_ledger(
    destination: Destination, explicit: Path | None, migrate: bool, environ: Mapping[str, str] | None = None
) -> Path:
    """The ledger a CLI run uses: ``explicit`` (``--ledger``), else the destination's default,
    after merging a legacy ledger of the working folder into it when ``migrate`` says so."""
    if explicit is not None:
        return explicit
    path = default_ledger_path(destination, environ)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # object keys are nobody else's business
    if LEGACY_LEDGER.exists():
        if not migrate:
            raise LegacyLedgerFound(
                f"{LEGACY_LEDGER} is a ledger of an earlier version, kept per working folder and for "
                f"any endpoint; ledgers are now kept per destination, this one's in {path}. If "
                f"{LEGACY_LEDGER} recorded writes into {destination}, add --migrate-ledger to merge it "
                "there; if not, move it out of this folder. Nothing was written."
            )
        taken = migrate_legacy(LEGACY_LEDGER, path, destination)
        LOGGER.warning(
            "%s merged into %s (%d objects) and renamed %s", LEGACY_LEDGER, path, taken, MIGRATED_SUFFIX
        )
    return path


def migrate_legacy(legacy: Path, target: Path, destination: Destination) -> int:
    """Merge ``legacy`` into ``target`` (the destination's ledger), keep each object's furthest
    progress, rename ``legacy`` to ``*.migrated``; return the objects taken over."""
    for path in (legacy, target):  # both get today's columns (and the legacy file its destination)
        SqliteLedger(path, str(destination)).close()
    db = sqlite3.connect(str(target), isolation_level=None)
    try:
        db.execute("ATTACH DATABASE ? AS legacy", (str(legacy),))
        names = [row[1] for row in db.execute("PRAGMA main.table_info(ledger)")]
        # A lease in the old file cannot belong to a run of this version: leases are dropped.
        selected = ", ".join({"owner": "NULL", "lease_until": "0"}.get(name, name) for name in names)
        db.execute("BEGIN IMMEDIATE")
        taken = db.execute(
            f"INSERT OR REPLACE INTO main.ledger ({', '.join(names)}) SELECT {selected} FROM legacy.ledger AS old "
            "WHERE NOT EXISTS (SELECT 1 FROM main.ledger AS new WHERE new.key = old.key "
            "AND (new.finished > old.finished OR (new.finished = old.finished AND new.chunks_done >= old.chunks_done)))"
        ).rowcount
        db.execute("COMMIT")
        db.execute("DETACH DATABASE legacy")
    finally:
        db.close()
    legacy.rename(legacy.with_name(legacy.name + MIGRATED_SUFFIX))
    return int(taken)
