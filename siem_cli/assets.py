"""``siem assets install``: index templates and Dashboards saved objects onto a collection."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opensearch_assets.install import InstallError, install
from opensearch_assets.settings import TIMEOUT_SECONDS, InstallSettings
from siem_cli.errors import USER_ERRORS
from siem_cli.options import add_connection_options, connection_from


def register(subparsers: Any) -> None:
    assets = subparsers.add_parser(
        "assets",
        help="install index templates and Dashboards saved objects",
        description="Manage the OpenSearch assets (docs/assets.md).",
    )
    commands = assets.add_subparsers(dest="assets_command", required=True, metavar="ACTION")
    parser = commands.add_parser(
        "install",
        help="create the index templates, add their new fields to existing indices and import the "
        "Dashboards saved objects (idempotent)",
        description="Create or replace the component and index templates on ENDPOINT, add to each "
        "existing index a template matches the fields it lacks (PUT <index>/_mapping; a field mapped "
        "with another type is reported, never changed: docs/assets.md) and, with --dashboards-url, "
        "import the saved objects (index patterns, searches, visualizations, dashboards) with "
        "overwrite. Without --dashboards-url the saved objects are not imported. Exit status 1 when "
        "a step fails or an index refused its mapping update (the others are updated all the same).",
    )
    add_connection_options(parser)
    parser.add_argument(
        "--dashboards-url",
        metavar="URL",
        help="OpenSearch Dashboards base URL (Serverless: <endpoint>/_dashboards; "
        "managed domain: https://<domain-endpoint>/_dashboards)",
    )
    parser.set_defaults(func=run_install)


def run_install(args: argparse.Namespace) -> int:
    try:
        connection = connection_from(args, timeout=TIMEOUT_SECONDS)
        report = install(InstallSettings(connection, args.dashboards_url, args.index_prefix))
    except InstallError as error:
        if isinstance(error.__cause__, USER_ERRORS):  # explained in one line by siem_cli.main
            raise error.__cause__ from None
        print(f"siem assets install: {error}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1
