"""``siem accounts sync`` and ``siem accounts list``: the account directory enrichment reads.

``sync`` asks AWS Organizations (management account or delegated administrator, read-only)
for every account's name, e-mail domain, status, OU path and selected tags, and writes the
directory (docs/enrichment.md, "Accounts") to a local file, by default the one ``siem ingest``
reads, or to an S3 object (the deployed stack's ``ACCOUNTS_LOCATION``). ``list`` shows it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from enrichment.account_store import open_store
from enrichment.accounts import (
    DEFAULT_TAG_KEYS,
    MAPPED_TAG_KEYS,
    AccountDirectory,
    DirectoryError,
    default_path,
)
from enrichment.organizations import organizations_client, sync_from_organizations

LOCATION_HELP = "a file or s3://bucket/key (default: $ACCOUNTS_LOCATION, else {default})"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "accounts",
        help="sync and list the organization's accounts (names, OU paths, owner tags) used to enrich documents",
        description="The account directory: account id -> name, e-mail domain, status, OU path and "
        "selected tags, from AWS Organizations. `siem ingest` adds them to every document "
        "(cloud.account.name, aws.account.*) and alerts carry them (docs/enrichment.md).",
    )
    commands = parser.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")
    default = default_path()
    sync = commands.add_parser(
        "sync",
        help="read the accounts from AWS Organizations and write the directory",
        description="Read every account of the organization (ListRoots, ListAccounts, ListParents, "
        "DescribeOrganizationalUnit, ListTagsForResource: run it with credentials of the management "
        "account or of an Organizations delegated administrator) and write the directory. "
        "Exit status 2 when AWS or the destination refuses.",
    )
    sync.add_argument(
        "--tag",
        action="append",
        metavar="KEY",
        help=f"a tag key to keep, any case; repeat for several (default: {', '.join(DEFAULT_TAG_KEYS)}). "
        f"The index templates map {', '.join(MAPPED_TAG_KEYS)}; other keys stay in _source only",
    )
    sync.add_argument("--to", metavar="PATH|s3://bucket/key", help=LOCATION_HELP.format(default=default))
    sync.add_argument("--profile", help="AWS profile of the management or delegated administrator account")
    sync.set_defaults(func=run_sync)
    listing = commands.add_parser(
        "list",
        help="show the accounts of the directory",
        description="Show the directory's accounts, by OU path then name. Exit status 2 when it cannot be read.",
    )
    listing.add_argument(
        "--from", dest="source", metavar="PATH|s3://bucket/key", help=LOCATION_HELP.format(default=default)
    )
    listing.add_argument(
        "--json", action="store_true", help="the directory document itself (format siem-accounts/1)"
    )
    listing.add_argument("--profile", help="AWS profile to read an s3:// directory with")
    listing.set_defaults(func=run_list)


def accounts_location(option: str | None) -> str:
    """The directory's location: the option, else ``ACCOUNTS_LOCATION``, else the default file."""
    return option or os.environ.get("ACCOUNTS_LOCATION") or str(default_path())


def _fail(command: str, error: Exception) -> int:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        message = f"{details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
    else:
        message = str(error)
    print(f"siem accounts {command}: {message}", file=sys.stderr)
    return 2


def run_sync(args: argparse.Namespace) -> int:
    location = accounts_location(args.to)
    try:
        session = boto3.Session(profile_name=args.profile)
        store = open_store(location, session.client("s3") if location.startswith("s3://") else None)
        directory = sync_from_organizations(organizations_client(session), args.tag or DEFAULT_TAG_KEYS)
        store.write(directory)
    except (ClientError, BotoCoreError, DirectoryError, ValueError, OSError) as error:
        return _fail("sync", error)
    print(
        f"{len(directory)} accounts of {directory.organization_id or 'the organization'} written to "
        f"{store.location} (tags: {', '.join(directory.tag_keys) or 'none'})",
        file=sys.stderr,
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    location = accounts_location(args.source)
    try:
        s3 = boto3.Session(profile_name=args.profile).client("s3") if location.startswith("s3://") else None
        directory, _ = open_store(location, s3).read()
    except (ClientError, BotoCoreError, DirectoryError, ValueError, OSError) as error:
        return _fail("list", error)
    assert directory is not None  # read() without a known version always returns one
    if args.json:
        sys.stdout.write(directory.to_bytes().decode() + "\n")
        return 0
    _print_table(directory)
    return 0


def _print_table(directory: AccountDirectory) -> None:
    rows = [("ACCOUNT", "NAME", "STATUS", "OU PATH", "TAGS")]
    for account in directory:
        tags = " ".join(f"{key}={value}" for key, value in account.tags.items())
        rows.append((account.id, account.name or "-", account.status or "-", account.ou_path or "-", tags))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        print(
            "  ".join(
                [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]]
            ).rstrip()
        )
    print(
        f"{len(directory)} accounts, synced {directory.synced_at or 'at an unknown time'}"
        f"{f' from {directory.organization_id}' if directory.organization_id else ''}",
        file=sys.stderr,
    )
