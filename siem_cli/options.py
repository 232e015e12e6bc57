"""The connection options every command that talks to OpenSearch takes, declared once.

A command gets them with one call when it registers its parser, and turns them into the
library's :class:`ConnectionSettings` with one call when it runs:

    add_connection_options(parser)                 # in register()
    connection = connection_from(args)             # in the command's function

A command that calls AWS but not OpenSearch takes ``add_aws_options(parser)`` and
``region = aws_region_from(args)``.

Same names, same defaults, same environment variables everywhere (docs/cli.md, "Connection
options"): ``--endpoint`` ($OPENSEARCH_ENDPOINT), ``--auth`` ($OPENSEARCH_AUTH, else
``aoss``), ``--region`` (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region, the
endpoint's host name), ``--profile`` ($AWS_PROFILE) and ``--index-prefix`` ($INDEX_PREFIX,
else ``siem-``; ``--prefix`` is kept as a hidden alias).
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Mapping

import boto3
import botocore.exceptions

from opensearch_client import AUTH_MODES, DEFAULT_TIMEOUT_SECONDS, ConnectionSettings, auth_mode

DEFAULT_AUTH = "aoss"
DEFAULT_INDEX_PREFIX = "siem-"

ENVIRONMENT: dict[str, str] = {
    "OPENSEARCH_ENDPOINT": "--endpoint",
    "OPENSEARCH_AUTH": "--auth",
    "AWS_REGION": "--region (first)",
    "AWS_DEFAULT_REGION": "--region (second)",
    "AWS_PROFILE": "--profile",
    "INDEX_PREFIX": "--index-prefix",
    "OPENSEARCH_USERNAME": "user name of --auth basic",
    "OPENSEARCH_PASSWORD": "password of --auth basic",
}
"""Each environment variable the connection options read, and what it stands for (docs/cli.md)."""

# <id>.<region>.aoss.amazonaws.com (Serverless) and search-<domain>-<id>.<region>.es.amazonaws.com
# (managed domains; vpc-... inside a VPC): the endpoint formats of the AWS documentation.
_AWS_HOST = re.compile(r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?P<service>aoss|es)\.amazonaws\.com\.?$")


class UsageError(Exception):
    """A user error of the command line: ``siem`` prints it on one line and exits with 2."""


def add_connection_options(
    parser: argparse.ArgumentParser,
    *,
    endpoint_help: str | None = None,
    endpoint_from_environment: bool = True,
) -> None:
    """``--endpoint``, ``--auth``, ``--region``, ``--profile`` and ``--index-prefix`` on ``parser``.

    ``endpoint_from_environment=False`` is for a command whose endpoint must be named on the
    command line (``siem rules test`` writes test events: never into $OPENSEARCH_ENDPOINT by accident).
    """
    group = parser.add_argument_group("connection (docs/cli.md)")
    environment = os.environ.get("OPENSEARCH_ENDPOINT") if endpoint_from_environment else None
    group.add_argument(
        "--endpoint",
        metavar="URL",
        default=environment,
        help=endpoint_help
        or "collection or domain endpoint, e.g. https://<id>.<region>.aoss.amazonaws.com"
        + (" (default: $OPENSEARCH_ENDPOINT)" if endpoint_from_environment else ""),
    )
    group.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default=os.environ.get("OPENSEARCH_AUTH") or DEFAULT_AUTH,
        help="SigV4 for Serverless (aoss) or a managed domain (es), basic auth "
        "($OPENSEARCH_USERNAME/$OPENSEARCH_PASSWORD), or none (default: $OPENSEARCH_AUTH, else aoss)",
    )
    add_aws_options(group)
    add_index_prefix_option(group)
    parser.set_defaults(prog=parser.prog)


def add_alerts_endpoint_option(parser: argparse.ArgumentParser) -> None:
    """``--alerts-endpoint``: the alerts collection (SEARCH), else ``--endpoint``'s."""
    parser.add_argument(
        "--alerts-endpoint",
        metavar="URL",
        default=os.environ.get("ALERTS_ENDPOINT"),
        help="alerts collection (SEARCH), where `siem detect run` writes alerts "
        "(default: $ALERTS_ENDPOINT, else --endpoint)",
    )


def add_dashboards_url_option(parser: argparse.ArgumentParser, links: str) -> None:
    """``--dashboards-url``: the OpenSearch Dashboards base URL; ``links`` says what it is for."""
    parser.add_argument(
        "--dashboards-url",
        metavar="URL",
        default=os.environ.get("DASHBOARDS_URL"),
        help=f"OpenSearch Dashboards base URL, {links} (default: $DASHBOARDS_URL)",
    )


def add_aws_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--region`` and ``--profile`` alone, for a command that calls AWS but not OpenSearch;
    :func:`aws_region_from` applies them."""
    parser.add_argument(
        "--region",
        metavar="REGION",
        help="AWS region of SigV4 and the AWS clients (default: $AWS_REGION, $AWS_DEFAULT_REGION, "
        "the profile's region, else the endpoint's host name)",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        default=os.environ.get("AWS_PROFILE"),
        help="AWS named profile for every AWS call of the command (default: $AWS_PROFILE)",
    )


def aws_region_from(args: argparse.Namespace, endpoint: str | None = None) -> str | None:
    """Apply ``--profile`` to every AWS client built from now on and return the region
    (:func:`resolve_region`); raises :class:`UsageError` for an unknown profile."""
    use_profile(args.profile)
    return resolve_region(args.region, endpoint)


def add_index_prefix_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--index-prefix`` alone, for a command that names indices without connecting."""
    prefix = os.environ.get("INDEX_PREFIX") or DEFAULT_INDEX_PREFIX
    parser.add_argument(
        "--index-prefix",
        default=prefix,
        metavar="PREFIX",
        help="index name prefix (default: $INDEX_PREFIX, else siem-)",
    )
    parser.add_argument("--prefix", dest="index_prefix", default=prefix, help=argparse.SUPPRESS)


def prefixed_index(value: str | None, variable: str, prefix: str, name: str) -> str:
    """An index option's value: ``value`` (the option), else ``$variable``, else
    ``<prefix><name>``, the name the stack gives the deployed functions (infra/config.py)."""
    return value or os.environ.get(variable) or f"{prefix}{name}"


def connection_from(args: argparse.Namespace, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> ConnectionSettings:
    """The :class:`ConnectionSettings` of the options; raises :class:`UsageError` when the
    endpoint is missing or the auth mode unknown. ``--profile`` applies to every AWS client the
    command builds afterwards (it becomes ``AWS_PROFILE`` for the run)."""
    if not args.endpoint:
        raise UsageError("no endpoint: pass --endpoint or set OPENSEARCH_ENDPOINT")
    try:
        auth = auth_mode(args.auth, "--auth / OPENSEARCH_AUTH")
    except ValueError as error:
        raise UsageError(str(error)) from None
    return ConnectionSettings(
        args.endpoint,
        auth,
        aws_region_from(args, args.endpoint),
        os.environ.get("OPENSEARCH_USERNAME"),
        os.environ.get("OPENSEARCH_PASSWORD"),
        timeout,
    )


def use_profile(profile: str | None) -> None:
    """Make ``profile`` the profile of every boto3 session and client built from now on."""
    if not profile:
        return
    os.environ["AWS_PROFILE"] = profile
    boto3.DEFAULT_SESSION = None  # boto3.client() builds its default session again, with the profile


def resolve_region(
    region: str | None, endpoint: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """``region``, else ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region, else the
    region named in an AWS endpoint's host name; ``None`` when none says."""
    env = os.environ if environ is None else environ
    found = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or _profile_region()
    return found or (endpoint_service_region(endpoint) or (None, None))[1]


def endpoint_service_region(endpoint: str | None) -> tuple[str, str] | None:
    """``(service, region)`` of an OpenSearch Service endpoint (``aoss`` or ``es``), else ``None``."""
    host = (endpoint or "").split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].lower()
    match = _AWS_HOST.search(host)
    return (match["service"], match["region"]) if match else None


def _profile_region() -> str | None:
    try:
        return boto3.Session().region_name
    except botocore.exceptions.ProfileNotFound as error:
        raise UsageError(f"{error} (--profile / AWS_PROFILE)") from None


def count_of(things: str) -> Callable[[str], int]:
    """An option's parser of a whole number of ``things``, 1 or more: anything else a usage error
    (no traceback)."""

    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"expected a number of {things} (1 or more), got {text!r}")
        return int(text)

    return parse


def number_within(low: float, high: float, expected: str) -> Callable[[str], float]:
    """An option's parser of a finite number from ``low`` to ``high``: anything else (NaN and the
    infinities included) a usage error saying ``expected``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse
