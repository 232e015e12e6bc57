"""The auth modes and the connection settings shared by every OpenSearch client of the project."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

AuthMode = Literal["aoss", "es", "basic", "none"]
"""SigV4 for OpenSearch Serverless (``aoss``) or a managed domain (``es``), HTTP basic auth
(``basic``, the fine-grained access control's internal users), or no auth (``none``: a local
engine)."""

AUTH_MODES: tuple[AuthMode, ...] = get_args(AuthMode)
SIGV4_MODES: tuple[AuthMode, ...] = ("aoss", "es")
"""The modes that sign with AWS credentials; the mode is also the SigV4 service name."""

DEFAULT_TIMEOUT_SECONDS = 30.0


class ConnectionConfigError(ValueError):
    """The settings cannot make a client: no region or credentials for SigV4, no user name for
    basic auth. A configuration error of the caller (the command line prints it in one line)."""


def auth_mode(value: str, source: str = "auth") -> AuthMode:
    """``value`` as an :data:`AuthMode`; ``source`` names where it came from in the error."""
    for mode in AUTH_MODES:
        if mode == value:
            return mode
    raise ValueError(f"{source} must be one of {AUTH_MODES}, not {value!r}")


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where an OpenSearch endpoint is and how to authenticate to it."""

    endpoint: str
    auth: AuthMode = "aoss"
    region: str | None = None
    """AWS region for SigV4 (and the AWS clients of the caller); ``None``: from the AWS configuration."""
    username: str | None = None
    """Basic auth only."""
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    """Seconds one request may take."""

    @classmethod
    def from_env(
        cls,
        endpoint: str,
        environ: Mapping[str, str] | None = None,
        *,
        auth_variable: str = "OPENSEARCH_AUTH",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> ConnectionSettings:
        """Auth mode (``auth_variable``, default ``aoss``), ``AWS_REGION`` and, for basic auth,
        ``OPENSEARCH_USERNAME`` / ``OPENSEARCH_PASSWORD`` from the environment; each package
        finds its own endpoint."""
        env = os.environ if environ is None else environ
        return cls(
            endpoint=endpoint,
            auth=auth_mode(env.get(auth_variable) or "aoss", auth_variable),
            region=env.get("AWS_REGION") or None,
            username=env.get("OPENSEARCH_USERNAME") or None,
            password=env.get("OPENSEARCH_PASSWORD") or None,
            timeout=timeout,
        )
