"""``siem local-engine``: run the embedded OpenSearch-compatible engine (osmem-server) locally."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from siem_cli.options import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local-engine",
        help="start the embedded OpenSearch-compatible engine and print its URL",
        description="Start osmem-server (an in-memory, OpenSearch-API compatible engine shipped as a "
        "wheel; install the dev extra) and print its URL on stdout, then run until Ctrl-C. Data lives "
        "in memory only. Point `siem ingest --endpoint URL --auth none` at it.",
    )
    parser.add_argument("--addr", default="127.0.0.1:9200", help="listen address (default: 127.0.0.1:9200)")
    parser.add_argument(
        "--templates",
        action="store_true",
        help="install the project's index templates (siem-* indices) before serving",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from osmem_server import OsmemError, OsmemServer
    except ImportError:
        print("siem local-engine: osmem-server is not installed (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    try:
        server = OsmemServer.start(addr=args.addr, japanese=False)
    except OsmemError as error:  # a port taken, an address that is none: said as siem demo says it
        raise UsageError(
            f"the engine did not start: {error} (is {args.addr} taken? --addr HOST:PORT)"
        ) from None
    with server:
        if args.templates:
            from opensearch_assets.templates import install_templates
            from opensearch_client import ConnectionSettings, make_client

            install_templates(make_client(ConnectionSettings(server.url, auth="none")))
        print(server.url, flush=True)
        print("siem local-engine: serving until Ctrl-C", file=sys.stderr)
        try:
            while server.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0
