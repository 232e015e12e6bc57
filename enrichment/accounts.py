"""The organization's accounts: id -> name, e-mail domain, status, OU path and selected tags.

An :class:`AccountDirectory` is built by :func:`enrichment.organizations.sync_from_organizations`
and kept as one small JSON document (a local file for the CLI, an S3 object for the deployed
stack: :mod:`enrichment.account_store`). Lookups are one ``dict`` access.

The document (``format: siem-accounts/1``)::

    {"format": "siem-accounts/1", "synced_at": "2026-01-01T00:00:00Z",
     "organization_id": "o-abc123", "tag_keys": ["owner", ...],
     "accounts": [{"id": "111122223333", "name": "prod-payments", "email_domain": "example.com",
                   "status": "ACTIVE", "ou_path": "Root/Workloads/Prod",
                   "tags": {"owner": "payments-team"}}]}

Only the e-mail *domain* is kept: the full root e-mail of every account is a phishing list.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

FORMAT = "siem-accounts/1"

DEFAULT_TAG_KEYS = ("owner", "team")
"""Tags copied to the directory (and so to every document of the account, and to alerts) unless
configured otherwise: who owns the account, what alert subscriptions filter on. Each selected
tag costs about 25 bytes in every document (docs/enrichment.md, "Cost"); an environment is
usually the OU path already (``Root/Workloads/Prod``), a cost centre is billing's concern."""

MAPPED_TAG_KEYS = ("owner", "team", "environment", "cost-center")
"""Tag keys the index templates map (searchable once selected with ``siem accounts sync --tag``
or ``ACCOUNT_TAG_KEYS``); other keys are kept in ``_source`` only."""

_ACCOUNT_ID = re.compile(r"\d{12}\Z")


class DirectoryError(ValueError):
    """An account directory that cannot be read (not JSON, wrong shape, unknown format)."""


@dataclass(frozen=True, slots=True)
class Account:
    """One account of the organization, as the documents and the alerts show it."""

    id: str
    name: str | None = None
    email_domain: str | None = None
    """The part after ``@`` of the account's root e-mail, lower-cased (never the whole address)."""
    status: str | None = None
    """Organizations' account ``State`` (``ACTIVE``, ``SUSPENDED``, ``PENDING_CLOSURE``, ``CLOSED``...)."""
    ou_path: str | None = None
    """Names from the root down to the account's parent, joined by ``/``: ``Root/Workloads/Prod``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """The selected tags, keyed by the configured (lower-case) key name."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        for key in ("name", "email_domain", "status", "ou_path"):
            value = getattr(self, key)
            if value:
                data[key] = value
        if self.tags:
            data["tags"] = dict(self.tags)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Account:
        if not isinstance(data, dict):
            raise DirectoryError(f"an account must be an object, not {type(data).__name__}")
        account_id = data.get("id")
        if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
            raise DirectoryError(f"an account id must be 12 digits, not {account_id!r}")
        texts = {key: data.get(key) for key in ("name", "email_domain", "status", "ou_path")}
        for key, value in texts.items():
            if value is not None and not isinstance(value, str):
                raise DirectoryError(f"account {account_id}: {key} must be a string")
        tags = data.get("tags") or {}
        if not isinstance(tags, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in tags.items()
        ):
            raise DirectoryError(f"account {account_id}: tags must be an object of strings")
        return cls(id=account_id, tags=tags, **texts)


def normalize_tag_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, stripped, distinct, in order: tag keys are matched case-insensitively."""
    seen: dict[str, None] = {}
    for key in keys:
        key = key.strip().lower()
        if key:
            seen[key] = None
    return tuple(seen)


def email_domain(email: str | None) -> str | None:
    """``ops+prod@Example.com`` -> ``example.com``; ``None`` when there is no ``@``."""
    if not email or "@" not in email:
        return None
    return email.rpartition("@")[2].strip().lower() or None


class AccountDirectory:
    """Accounts by id: built once, read on every document."""

    __slots__ = ("_accounts", "organization_id", "synced_at", "tag_keys")

    def __init__(
        self,
        accounts: Iterable[Account] = (),
        *,
        synced_at: str | None = None,
        organization_id: str | None = None,
        tag_keys: Iterable[str] = (),
    ) -> None:
        self._accounts = {account.id: account for account in accounts}
        self.synced_at = synced_at
        self.organization_id = organization_id
        self.tag_keys = tuple(tag_keys)

    def get(self, account_id: object) -> Account | None:
        return self._accounts.get(account_id) if isinstance(account_id, str) else None

    def __len__(self) -> int:
        return len(self._accounts)

    def __iter__(self) -> Iterator[Account]:
        """Accounts by OU path, then name, then id: the order ``siem accounts list`` shows."""
        return iter(
            sorted(self._accounts.values(), key=lambda a: (a.ou_path or "", (a.name or "").lower(), a.id))
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AccountDirectory):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "synced_at": self.synced_at,
            "organization_id": self.organization_id,
            "tag_keys": list(self.tag_keys),
            "accounts": [account.to_json() for account in self],
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json(), option=orjson.OPT_INDENT_2)

    @classmethod
    def from_bytes(cls, data: bytes, origin: str = "account directory") -> AccountDirectory:
        """Parse the JSON document; :class:`DirectoryError` names ``origin`` when it is not one."""
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise DirectoryError(f"{origin}: not JSON ({error})") from None
        if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
            raise DirectoryError(f"{origin}: not an account directory (expected format {FORMAT!r})")
        accounts = parsed.get("accounts")
        if not isinstance(accounts, list):
            raise DirectoryError(f"{origin}: 'accounts' must be a list")
        try:
            members = [Account.from_json(item) for item in accounts]
        except DirectoryError as error:
            raise DirectoryError(f"{origin}: {error}") from None
        tag_keys = parsed.get("tag_keys") or []
        synced_at, organization_id = parsed.get("synced_at"), parsed.get("organization_id")
        if not isinstance(tag_keys, list) or not all(isinstance(key, str) for key in tag_keys):
            raise DirectoryError(f"{origin}: 'tag_keys' must be a list of strings")
        if not all(value is None or isinstance(value, str) for value in (synced_at, organization_id)):
            raise DirectoryError(f"{origin}: 'synced_at' and 'organization_id' must be strings")
        return cls(members, synced_at=synced_at, organization_id=organization_id, tag_keys=tag_keys)

    @classmethod
    def load(cls, path: Path) -> AccountDirectory:
        """Read a directory file; :class:`DirectoryError` when it is missing or unreadable."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DirectoryError(f"{path}: no account directory (run `siem accounts sync`)") from None
        except OSError as error:
            raise DirectoryError(f"{path}: cannot read ({error.strerror or error})") from None
        return cls.from_bytes(data, str(path))

    def save(self, path: Path) -> None:
        """Write atomically (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(self.to_bytes())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/siem/accounts.json`` (``~/.local/state/siem/accounts.json`` by default)."""
    environ = os.environ if environ is None else environ
    state = environ.get("XDG_STATE_HOME")
    # The XDG spec: a relative path is invalid and must be ignored.
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local" / "state"
    return base / "siem" / "accounts.json"
