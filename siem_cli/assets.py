"""``siem assets install``: index templates and Dashboards saved objects onto a collection."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opensearch_assets.install import InstallError, install
from opensearch_assets.settings import TIMEOUT_SECONDS, InstallSettings
from opensearch_assets.templates import DEFAULT_PREFIX
from siem_cli.options import SIGV4_OR_NONE, connection_from


def register(subparsers: Any) -> None:
    assets = subparsers.add_parser(
        "assets",
        help="install index templates and Dashboards saved objects",
        description="Manage the OpenSearch assets (docs/assets.md).",
    )
    commands = assets.add_subparsers(dest="assets_command", required=True, metavar="ACTION")
    parser = commands.add_parser(
        "install",
        help="create the index templates and import the Dashboards saved objects (idempotent)",
        description="Create or replace the component and index templates on ENDPOINT and, with "
        "--dashboards-url, import the saved objects (index patterns, searches, visualizations, "
        "dashboards) with overwrite. Without --dashboards-url only the templates are installed. "
        "Exit status 1 when a step fails.",
    )
    parser.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="collection or domain endpoint, e.g. https://<id>.<region>.aoss.amazonaws.com",
    )
    parser.add_argument(
        "--dashboards-url",
        metavar="URL",
        help="OpenSearch Dashboards base URL (Serverless: <endpoint>/_dashboards; "
        "managed domain: https://<domain-endpoint>/_dashboards)",
    )
    parser.add_argument(
        "--auth",
        choices=SIGV4_OR_NONE,
        default="aoss",
        help="SigV4 for Serverless (aoss) or a managed domain (es), or none (default: aoss)",
    )
    parser.add_argument("--region", metavar="R", help="AWS region for SigV4 (default: AWS_REGION / profile)")
    parser.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help=f"index name prefix (default: {DEFAULT_PREFIX})"
    )
    parser.set_defaults(func=run_install)


def run_install(args: argparse.Namespace) -> int:
    try:
        connection = connection_from(args, timeout=TIMEOUT_SECONDS)
        report = install(InstallSettings(connection, args.dashboards_url, args.prefix))
    except InstallError as error:
        print(f"siem assets install: {error}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1
