"""How every part of the project talks to OpenSearch: one auth-mode type, one connection-settings
data class, one opensearch-py client factory and one requests session for OpenSearch Dashboards.

The bottom layer, beside ``normalizers``: it imports no other package of the project, so the
ingest path, detections, investigation, the asset installer, the command line and the Lambda
handlers all build their clients the same way (docs/cli.md, "Connection options").

    settings = ConnectionSettings("https://<id>.<region>.aoss.amazonaws.com", auth="aoss")
    client = make_client(settings)
"""

from opensearch_client.factory import dashboards_session, make_client, raw_answers, read_answer
from opensearch_client.settings import (
    AUTH_MODES,
    DEFAULT_TIMEOUT_SECONDS,
    SIGV4_MODES,
    AuthMode,
    ConnectionConfigError,
    ConnectionSettings,
    auth_mode,
)

__all__ = [
    "AUTH_MODES",
    "DEFAULT_TIMEOUT_SECONDS",
    "SIGV4_MODES",
    "AuthMode",
    "ConnectionConfigError",
    "ConnectionSettings",
    "auth_mode",
    "dashboards_session",
    "make_client",
    "raw_answers",
    "read_answer",
]
