"""``siem``: the command-line entry point; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from opensearchpy.exceptions import OpenSearchException

from opensearch_client import ConnectionSettings
from siem_cli.errors import USER_ERRORS, explain
from siem_cli.options import UsageError, connection_from

# Modules exposing ``register(subparsers)``; each registers one or more subcommands.
COMMAND_MODULES = [
    "siem_cli.normalize",
    "siem_cli.assets",
    "siem_cli.investigate",
    "siem_cli.findings",
    "siem_cli.report",
    "siem_cli.detect",
    "siem_cli.rules",
    "siem_cli.incidents",
    "siem_cli.ingest",
    "siem_cli.replay",
    "siem_cli.backfill_queue",
    "siem_cli.local_engine",
    "siem_cli.accounts",
    "siem_cli.demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siem",
        description="AWS log ingestion and correlation: normalize CloudTrail, VPC Flow Logs, "
        "GuardDuty, Security Hub and AWS Config to ECS and index them into OpenSearch.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


READER_LEFT = 141
"""Exit status when the reader of the output went away (``siem findings list | head``): 128 +
SIGPIPE, what a shell reports for a command that SIGPIPE ended."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a user error (:data:`siem_cli.errors.USER_ERRORS`) is one line on
    stderr and exit status 2, never a traceback. A reader that stops reading (``| head``) ends
    the command quietly with :data:`READER_LEFT`, whatever the command."""
    try:
        try:
            return _run(argv)
        finally:  # inside the try: a reader that left is met here, not at the exit's flush
            sys.stdout.flush()
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    """The way the ``signal`` module's "Note on SIGPIPE" recommends (rather than SIGPIPE's
    default action, which would end the command on any closed socket too): stdout goes to
    /dev/null, so that the interpreter's flush at exit does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return READER_LEFT


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except BrokenPipeError:  # an OSError, but not the user's: the reader left (main)
        raise
    except USER_ERRORS as error:
        print(f"{_prog(args)}: {explain(error, _connection(args))}", file=sys.stderr)
        return 2
    except OpenSearchException as error:  # the engine failed a request: not the user's doing
        print(f"{_prog(args)}: {explain(error, _connection(args))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: a backfill resumes from its ledger next time
        print(f"{_prog(args)}: interrupted", file=sys.stderr)
        return 130
    return status


def _prog(args: argparse.Namespace) -> str:
    """``siem rules export-monitors``: the parser's prog (set by the connection options), else
    the command and its action (``<command>_command``, as the modules name it)."""
    action = getattr(args, f"{args.command}_command", None)
    prog: str = getattr(args, "prog", None) or " ".join(["siem", args.command, *([action] if action else [])])
    return prog


def _connection(args: argparse.Namespace) -> ConnectionSettings | None:
    """The command's connection settings, to name the endpoint in an error (None without one)."""
    try:
        return connection_from(args) if getattr(args, "endpoint", None) else None
    except (UsageError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
