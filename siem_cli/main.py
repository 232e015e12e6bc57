"""``siem``: the command-line entry point; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules exposing ``register(subparsers)``; each registers one or more subcommands.
COMMAND_MODULES = [
    "siem_cli.normalize",
    "siem_cli.assets",
    "siem_cli.investigate",
    "siem_cli.detect",
    "siem_cli.rules",
    "siem_cli.incidents",
    "siem_cli.ingest",
    "siem_cli.replay",
    "siem_cli.local_engine",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siem",
        description="AWS log ingestion and correlation: normalize CloudTrail, VPC Flow Logs, "
        "GuardDuty and Security Hub to ECS and index them into OpenSearch.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
