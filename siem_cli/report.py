"""``siem report``: a period's security report per account (summary and detail CSV)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from opensearchpy.exceptions import OpenSearchException

from enrichment.account_store import open_store
from enrichment.accounts import DirectoryError, default_path
from opensearch_client import make_client
from posture.render import FORMATS, write_reports
from posture.report import Period, build_reports, missing_alerts_index, parse_period
from posture.scope import UnknownOu, accounts_in_directory, accounts_in_documents
from posture.state import Searcher
from siem_cli.accounts import accounts_location
from siem_cli.options import (
    add_alerts_endpoint_option,
    add_connection_options,
    add_dashboards_url_option,
    connection_from,
)

_ACCOUNT = re.compile(r"\A\d{12}\Z")


def formats(text: str) -> list[str]:
    """``html,csv,md`` -> the formats, in order, each once (argparse type)."""
    asked = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in asked if part not in FORMATS]
    if unknown or not asked:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or text!r}: use {','.join(FORMATS)}"
        )
    return list(dict.fromkeys(asked))


def account(text: str) -> str:
    if not _ACCOUNT.match(text):
        raise argparse.ArgumentTypeError(f"invalid account {text!r}: twelve digits")
    return text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="a month's security report per account: findings, failed controls, alerts, changes",
        description="Write a period's report per account from the indices: findings new, resolved and "
        "open by severity, failed controls and rules at the period's start and end, alerts raised, the "
        "identities behind high-severity alerts, the period's configuration changes (AWS Config), and "
        "a detail CSV of the findings open at the period's end (each finding's newest update up to "
        "then; UTF-8 with a byte order mark). A rerun for a closed period writes the same bytes "
        "(docs/report.md). Without the alerts index the report is written with its alerts "
        "given as unknown (not 0) and a warning on stderr. Exit status 1 when the endpoint fails, "
        "2 for a bad option or an unknown OU.",
    )
    parser.add_argument("--period", required=True, metavar="YYYY-MM", help="the month, e.g. 2026-11")
    parser.add_argument(
        "--account",
        type=account,
        action="append",
        default=[],
        metavar="ID",
        help="this account (repeatable; with --ou, added to the OU's accounts; default: every "
        "account with data)",
    )
    parser.add_argument(
        "--ou",
        action="append",
        default=[],
        metavar="PATH",
        help="every account under this OU path, nested OUs included, e.g. Root/Workloads or "
        "Workloads (repeatable; from the account directory, else from the documents' OU paths)",
    )
    parser.add_argument(
        "--accounts-from",
        metavar="PATH|s3://bucket/key",
        help="the account directory --ou reads, a file or s3://bucket/key (default: $ACCOUNTS_LOCATION, "
        "else the file siem accounts sync writes when it exists, else the documents' OU paths)",
    )
    parser.add_argument(
        "--format",
        type=formats,
        default=list(FORMATS),
        metavar="LIST",
        help="comma-separated: html, csv, md (default: all three)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="directory to write the files in"
    )
    add_connection_options(parser, endpoint_help="logs collection or domain (default: $OPENSEARCH_ENDPOINT)")
    add_alerts_endpoint_option(parser)
    add_dashboards_url_option(
        parser, "to link each account of the HTML report to its compliance drill-down over the period"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        period = parse_period(args.period)
    except ValueError as error:
        print(f"siem report: {error}", file=sys.stderr)
        return 2
    if not args.endpoint:
        print("siem report: no endpoint: pass --endpoint or set OPENSEARCH_ENDPOINT", file=sys.stderr)
        return 2
    try:
        logs = connection_from(args)
        client = make_client(logs)
        alerts = make_client(replace(logs, endpoint=args.alerts_endpoint)) if args.alerts_endpoint else None
        accounts = tuple(sorted({*args.account, *_ou_accounts(args, client, period)}))
        reports = build_reports(client, args.index_prefix, period, accounts, alerts=alerts)
    except (UnknownOu, DirectoryError) as error:
        print(f"siem report: {error}", file=sys.stderr)
        return 2
    except (OpenSearchException, ValueError) as error:
        print(f"siem report: {args.endpoint}: {error}", file=sys.stderr)
        return 1
    suffix = f"-{accounts[0]}" if len(accounts) == 1 else ""
    try:
        written = write_reports(reports, period, args.format, args.out, suffix, args.dashboards_url)
    except OSError as error:
        print(f"siem report: {args.out}: {error.strerror or error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    missing = missing_alerts_index(reports)
    if missing:  # written all the same: the rest of the report stands (docs/report.md)
        print(
            f"siem report: index {missing} does not exist on {args.alerts_endpoint or args.endpoint}: "
            "the report gives its alerts as unknown (--alerts-endpoint names the alerts collection)",
            file=sys.stderr,
        )
    return 0


def _ou_accounts(args: argparse.Namespace, client: Searcher, period: Period) -> list[str]:
    """The accounts under each ``--ou``: from the account directory when there is one (named,
    ``ACCOUNTS_LOCATION``, or the file ``siem accounts sync`` writes), else from the documents."""
    if not args.ou:
        return []
    configured = args.accounts_from or os.environ.get("ACCOUNTS_LOCATION")
    if not configured and not default_path().is_file():
        return [
            account
            for ou in args.ou
            for account in accounts_in_documents(client, args.index_prefix, ou, period.end)
        ]
    try:
        directory, _ = open_store(accounts_location(args.accounts_from)).read()
    except (ClientError, BotoCoreError) as error:
        raise DirectoryError(f"the account directory cannot be read: {error}") from None
    assert directory is not None  # read() without a known version always returns one
    return [account for ou in args.ou for account in accounts_in_directory(directory, ou)]
