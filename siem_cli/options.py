"""Options shared by several subcommands: how to reach OpenSearch."""

from __future__ import annotations

import argparse
import os

from opensearch_client import DEFAULT_TIMEOUT_SECONDS, SIGV4_MODES, AuthMode, ConnectionSettings, auth_mode

SIGV4_OR_NONE: tuple[AuthMode, ...] = (*SIGV4_MODES, "none")
"""The ``--auth`` choices of the commands that take no basic-auth credentials."""


def connection_from(args: argparse.Namespace, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> ConnectionSettings:
    """``--endpoint``, ``--auth`` and ``--region`` (default: ``AWS_REGION``, else the AWS
    configuration); basic auth's credentials come from ``OPENSEARCH_USERNAME`` / ``OPENSEARCH_PASSWORD``."""
    return ConnectionSettings(
        args.endpoint,
        auth_mode(args.auth, "--auth"),
        args.region or os.environ.get("AWS_REGION"),
        os.environ.get("OPENSEARCH_USERNAME"),
        os.environ.get("OPENSEARCH_PASSWORD"),
        timeout,
    )
