"""User errors of the command line, each explained in one line instead of a traceback.

``siem_cli.main`` catches :data:`USER_ERRORS` around every command and prints
:func:`explain`'s line with exit status 2: the endpoint cannot be reached (DNS, refused,
no answer), it refuses the credentials (401/403: the likely causes named), an index is
missing, the AWS configuration is incomplete (region, credentials, profile) or an S3 call
is refused (no such bucket, access denied). :func:`unreachable` is also the backfills'
check before their first object; :func:`require_findings_indices` tells "no finding" from
"no findings index" for ``siem investigate`` and ``siem findings list``.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import botocore.exceptions
from opensearchpy import OpenSearch
from opensearchpy.exceptions import (
    AuthenticationException,
    AuthorizationException,
    NotFoundError,
    TransportError,
)
from opensearchpy.exceptions import ConnectionError as EndpointConnectionError

from ingest.ledger import WrongLedger
from opensearch_client import ConnectionConfigError, ConnectionSettings
from siem_cli.options import UsageError, endpoint_service_region

PROBE_TIMEOUT_SECONDS = 5.0


class EndpointUnreachable(Exception):
    """The endpoint's host cannot be resolved or reached: nothing will work until it is fixed."""


class AccessRefused(Exception):
    """The endpoint refused the credentials (401/403): every further request would be refused too."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    UsageError,
    ConnectionConfigError,
    EndpointUnreachable,
    AccessRefused,
    EndpointConnectionError,
    AuthenticationException,
    AuthorizationException,
    NotFoundError,
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.NoRegionError,
    botocore.exceptions.ProfileNotFound,
    botocore.exceptions.ClientError,
    botocore.exceptions.EndpointConnectionError,
    OSError,  # a path that does not exist or cannot be written, a socket refused
    WrongLedger,  # a --ledger file that records writes into another destination
)


def explain(error: BaseException, connection: ConnectionSettings | None) -> str:
    """One line saying what went wrong and what to change."""
    endpoint = connection.endpoint if connection else "the endpoint"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach {endpoint}: {unreachable(endpoint) or _cause(error)}"
    if isinstance(error, AuthenticationException | AuthorizationException):
        return refused(error.status_code, _reason(error), connection)
    if isinstance(error, NotFoundError) and _error_type(error) == "index_not_found_exception":
        index = _index_of(error)
        return (
            f"index {index} does not exist on {endpoint}: nothing was ingested there yet, or "
            "--index-prefix is wrong (run `siem assets install`, then `siem ingest`)"
        )
    if isinstance(error, TransportError):
        return f"{endpoint} answered {error.status_code}: {_reason(error)}"
    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "error")
        message = error.response.get("Error", {}).get("Message", "")
        bucket = error.response.get("Error", {}).get("BucketName")
        return f"AWS refused {error.operation_name}: {code}: {message}" + (f" ({bucket})" if bucket else "")
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE (or --profile) or the AWS_ACCESS_KEY_ID variables"
    if isinstance(error, botocore.exceptions.NoRegionError):
        return "no AWS region: pass --region or set AWS_REGION"
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror or error}"
    return str(error)


def refused(status: object, reason: str, connection: ConnectionSettings | None) -> str:
    """The line for a 401/403: what the endpoint said and the likely cause."""
    head = f"{connection.endpoint if connection else 'the endpoint'} refused the request ({status} {reason})"
    return f"{head}: {likely_cause(connection)}"


def likely_cause(connection: ConnectionSettings | None) -> str:
    """The most likely cause of a 401/403 given the settings, else the list to check."""
    named = endpoint_service_region(connection.endpoint) if connection else None
    if connection and named:
        service, region = named
        if connection.auth != service:
            return f"--auth {connection.auth} signs for the wrong service: this endpoint is {service} (--auth {service})"
        if connection.region and connection.region != region:
            return (
                f"signed for region {connection.region}, but the endpoint is in {region} (--region {region})"
            )
    if connection and connection.auth in ("aoss", "es"):
        return (
            "check the collection's data access policy (or the domain's access policy) grants your "
            "principal, the endpoint is the right collection or domain, --auth names its service "
            "(aoss: Serverless, es: managed domain) and --region its region"
        )
    if connection and connection.auth == "none":
        return "the endpoint wants authentication: --auth aoss (Serverless), es (managed domain) or basic"
    return "check the user name and password (OPENSEARCH_USERNAME / OPENSEARCH_PASSWORD) and the user's roles"


def require_reachable(*endpoints: str) -> None:
    """Raise :class:`EndpointUnreachable` for the first endpoint that cannot be reached."""
    for endpoint in dict.fromkeys(endpoints):
        why = unreachable(endpoint)
        if why:
            raise EndpointUnreachable(f"cannot reach {endpoint}: {why}")


def require_findings_indices(client: OpenSearch, prefix: str, endpoint: str) -> None:
    """Raise a :class:`UsageError` naming the findings indices when neither exists: a finding
    cannot be found where nothing was ingested, and saying "not found" would reassure falsely.

    Told by the search itself, as on Serverless (no ``_cat``, no ``HEAD``): with
    ``ignore_unavailable`` an index that is missing is skipped, and ``allow_no_indices=false``
    answers ``index_not_found_exception`` when none is left."""
    indices = [f"{prefix}{source}" for source in ("guardduty", "securityhub")]
    try:
        client.search(
            index=",".join(indices), body={"size": 0}, ignore_unavailable=True, allow_no_indices=False
        )
    except NotFoundError as error:
        if _error_type(error) != "index_not_found_exception":
            raise
        raise UsageError(
            f"indices {' and '.join(indices)} do not exist on {endpoint}: nothing was ingested there "
            "yet, or --index-prefix is wrong (run `siem assets install`, then `siem ingest`)"
        ) from None


def unreachable(endpoint: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """Why the endpoint's host cannot be resolved or connected to; ``None`` when it can."""
    parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"{endpoint!r} is not a valid URL"
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"cannot resolve host {host!r} ({error.strerror})"
    last = "no address"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.settimeout(timeout)
            try:
                probe.connect(address)
                return None
            except ConnectionRefusedError:
                last = f"connection refused by {host}:{port} (nothing listening)"
            except TimeoutError:
                last = f"no answer from {host}:{port} within {timeout:g} s"
            except OSError as error:
                last = f"{host}:{port}: {error.strerror or error}"
    return last


def _cause(error: EndpointConnectionError) -> str:
    return str(error.error) if error.error else str(error)


def _reason(error: TransportError) -> str:
    info = error.info
    if isinstance(info, dict):
        inner = info.get("error", info)
        if isinstance(inner, dict):
            return str(inner.get("reason") or inner.get("type") or inner)
        return str(inner or info.get("message") or "")
    return str(error.error)


def _error_type(error: TransportError) -> str | None:
    info = error.info
    inner = info.get("error") if isinstance(info, dict) else None
    return inner.get("type") if isinstance(inner, dict) else str(error.error)


def _index_of(error: TransportError) -> str:
    info = error.info
    inner = info.get("error") if isinstance(info, dict) else None
    index = inner.get("index") if isinstance(inner, dict) else None
    return str(index) if index else "(unknown)"
