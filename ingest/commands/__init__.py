"""``siem`` subcommands: each module exposes ``register(subparsers)``."""

from opensearch_client import SIGV4_MODES, AuthMode

SIGV4_OR_NONE: tuple[AuthMode, ...] = (*SIGV4_MODES, "none")
"""The ``--auth`` choices of the commands that take no basic-auth credentials."""
