"""The organization a detection run holds inside for ``outside_account``, its accounts and
its id (:class:`detections.principals.Organization`): the accounts directory the ingest side reads (enrichment.accounts, ``ACCOUNTS_LOCATION``), kept
per container and read again after ``ACCOUNTS_TTL_SECONDS`` (enrichment.account_store).

Which accounts: those the organization still governs, status ``ACTIVE`` or
``PENDING_ACTIVATION`` (being created by the organization), and those without a status (a
directory written by hand). A ``SUSPENDED``, ``PENDING_CLOSURE`` or ``CLOSED`` account is not
ours to trust any more: nobody runs workloads there, its owner can take it out of the
organization (a closed account can be reopened through its root e-mail for 90 days), and a
grant to it is a grant outside. An account that left the organization is not in the directory.

The organization's id is the directory's ``organization_id`` (written by ``siem accounts
sync``): a condition naming another organization (``aws:PrincipalOrgID: o-<another>``) then
grants outside. A directory without it (written by hand) leaves any organization id pinning.

A directory that cannot be read (yet) is none: only the record's own account is inside, as
without ``ACCOUNTS_LOCATION``, so a broken directory raises more alerts, never fewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from detections.principals import Organization
from enrichment.account_store import CachedDirectory, open_store
from enrichment.accounts import Account, AccountDirectory

INSIDE_STATUSES = frozenset({"ACTIVE", "PENDING_ACTIVATION"})
"""Organizations account states whose account is inside; an account without a status is too."""

_DIRECTORIES: dict[str, CachedDirectory] = {}
"""Location -> the container's copy of the directory (the Lambda runs every few minutes)."""


def inside_ids(accounts: Iterable[Account]) -> frozenset[str]:
    """The ids of ``accounts`` that are inside: status unknown or in :data:`INSIDE_STATUSES`."""
    return frozenset(
        account.id
        for account in accounts
        if account.status is None or account.status.strip().upper() in INSIDE_STATUSES
    )


def organization_of(directory: AccountDirectory) -> Organization:
    """The organization ``directory`` describes: its inside accounts and its id."""
    return Organization(inside_ids(directory), directory.organization_id or None)


def directory_organization(location: str, ttl: float, s3: Any | None = None) -> Organization:
    """The organization of the directory at ``location`` (``s3://bucket/key`` or a file), read
    at most every ``ttl`` seconds per process; empty until it is first read."""
    directory = _DIRECTORIES.get(location)
    if directory is None or directory.ttl != ttl:
        directory = _DIRECTORIES[location] = CachedDirectory(open_store(location, s3), ttl)
    return organization_of(directory.current())


__all__ = ["INSIDE_STATUSES", "directory_organization", "inside_ids", "organization_of"]
