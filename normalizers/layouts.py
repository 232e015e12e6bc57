"""What an object's key says about it, in a bucket an organization shares: the key layouts AWS
services deliver to, in one table (docs/ingest.md, "What a shared log bucket holds").

Every object a service writes into a shared log bucket is one of:

- a log of a source we read (CloudTrail, VPC flows, GuardDuty, Config, Security Hub through the
  member stack's Firehose, Security Lake's OCSF of those): its content decides the source, the
  key only says the account, region and day a backfill filters on;
- an object that holds no records to index, or the records of a service we do not read (digest
  files, write probes, load balancer logs, S3 server access logs...): skipped and counted with
  the reason its layout gives, on the live path and in backfills alike, never read, so never
  dead-lettered record by record nor mis-read as a source it resembles.

A key the table does not know is read for its content. Services deliver under
``[prefix/]AWSLogs/[<org id>/]<account>/<folder>/...`` (``AWSLogs`` is reserved: no prefix may
hold it, so a key with two is no delivery's), flow logs also in the Hive-compatible
``AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=/month=/day=[/hour=]``,
and Security Lake under ``aws/<SOURCE>/[<version>/]region=<region>/accountId=<account>/eventDay=<yyyymmdd>``
(``ext/<source>/...`` for custom sources).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from normalizers.registry import SOURCES


class Disposition(NamedTuple):
    """What is done with a layout's objects: read (as ``source``, ``None``: as the content says)
    or skipped with a reason (``source``: the source they come with, digests CloudTrail's)."""

    source: str | None = None
    skip: str | None = None
    delivery: str | None = None
    """The delivery path (normalizers/delivery.py) whose container every object of the layout
    is, whatever its first bytes say (Firehose error output: a bad first line must not decide)."""


def _read(source: str | None) -> Disposition:
    return Disposition(source=source)


def _skip(reason: str, source: str | None = None) -> Disposition:
    return Disposition(source, reason)


FIREHOSE = "firehose"
"""The member stack's Firehose streams deliver to ``<source prefix>AWSLogs/<account>/firehose/<region>/YYYY/MM/DD/``
(infra/member_stack.py): the source is the prefix's (``securityhub/``...), else the content's."""
FIREHOSE_ERRORS = "firehose-errors"
"""Their error output: ``<source prefix>AWSLogs/<account>/firehose-errors/<region>/<error output
type>/YYYY/MM/DD/``, read as Firehose error output (normalizers/firehose_errors), each record
Firehose could not deliver recovered from its ``rawData``."""
FIREHOSE_ERROR_OUTPUT = "firehose_errors"
"""The delivery path of :data:`FIREHOSE_ERRORS` objects (normalizers/registry.py)."""

AWS_LOGS_FOLDERS: dict[str, Disposition] = {
    # The folder after AWSLogs/<account>/ (compared in lower case) -> what its objects are.
    "cloudtrail": _read("cloudtrail"),  # management, data and network activity events
    "cloudtrail-insight": _read("cloudtrail"),  # Insights events: CloudTrail records
    "vpcflowlogs": _read("vpcflow"),  # text or Parquet, daily or hourly partitions
    "guardduty": _read("guardduty"),  # the findings export (JSON lines)
    "config": _read("config"),  # ConfigHistory, ConfigSnapshot, OversizedChangeNotification
    "securityhub": _read("securityhub"),
    FIREHOSE: _read(None),
    "cloudtrail-digest": _skip("CloudTrail digest file", "cloudtrail"),
    # Findings the member stack's Firehose could not deliver (base64 ``rawData``): recovered,
    # each line's record read as its source; a line that cannot be is dead-lettered with its
    # bytes. Skipped, those findings would be lost without a sound.
    FIREHOSE_ERRORS: Disposition(delivery=FIREHOSE_ERROR_OUTPUT),
    "elasticloadbalancing": _skip("Elastic Load Balancing access logs (not read)"),
    "elbaccesslogtestfile": _skip("Elastic Load Balancing test file"),
    "waflogs": _skip("AWS WAF logs (not read)"),
    "network-firewall": _skip("AWS Network Firewall logs (not read)"),
    "vpcdnsquerylogs": _skip("Route 53 Resolver query logs (not read)"),
    "cloudfront": _skip("CloudFront access logs (not read)"),
    "macie": _skip("Macie sensitive data discovery results (not read)"),
}
"""A folder not listed is another AWS service's (``AWSLogs`` is theirs): skipped as such."""

SECURITY_LAKE_SOURCES: dict[str, Disposition] = {
    # aws/<SOURCE>/ of Security Lake -> what its rows are (normalizers/securitylake/classes.py).
    "CLOUD_TRAIL_MGMT": _read("cloudtrail"),
    "S3_DATA": _read("cloudtrail"),
    "LAMBDA_EXECUTION": _read("cloudtrail"),
    "VPC_FLOW": _read("vpcflow"),
    "SH_FINDINGS": _read("securityhub"),
    # EKS audit logs are OCSF API Activity too: read, they would pass for CloudTrail records.
    "EKS_AUDIT": _skip("Security Lake EKS audit logs (not read)"),
    "ROUTE53": _skip("Security Lake Route 53 resolver query logs (not read)"),
    "WAF": _skip("Security Lake AWS WAF logs (not read)"),
}
"""A source not listed (a new AWS source, ``ext/`` custom sources) is skipped as such."""

PROBES: dict[str, Disposition] = {
    # A file name a service writes to check it may write to the bucket.
    "ConfigWritabilityCheckFile": _skip("AWS Config writability check file", "config"),  # 0 bytes
    "aws-logs-write-test": _skip("CloudWatch Logs export write test"),
}
"""Skipped wherever they are, an ``AWSLogs/`` folder we read included."""

FILES: tuple[tuple[re.Pattern[str], str], ...] = (
    # (the key, reason): objects outside the layouts above that hold no records of ours.
    (
        # <prefix>/<task id>/<log stream: may hold "/">/000000.gz
        re.compile(r"(?:^|/)[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}/.+/[0-9]{6}\.gz$"),
        "CloudWatch Logs export (not read: subscribe the log group instead)",
    ),
    (
        re.compile(r"(?:^|/)[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9A-F]{16}$"),
        "S3 server access logs (not read)",
    ),
    (
        re.compile(r"(?:^|/)E[0-9A-Z]{7,}\.[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}\.[0-9a-zA-Z]+(?:\.gz)?$"),
        "CloudFront access logs (not read)",
    ),
    (
        re.compile(r"(?:^|/)(?:manifest\.json|manifest\.checksum|hive/dt=[^/]+/symlink\.txt)$"),
        "S3 Inventory or Storage Lens manifest",
    ),
    (
        re.compile(r"/data/[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\.(?:csv\.gz|orc|parquet)$"),
        "S3 Inventory report (not read)",
    ),
    (re.compile(r"(?:^|/)StorageLens/"), "S3 Storage Lens export (not read)"),
)
"""Checked after the ``AWSLogs/`` layouts: a key in one of them is that layout's, whatever its
prefix says (a trail's prefix may be named ``processing-failed``)."""

_ACCOUNT = re.compile(r"[0-9]{12}")  # ASCII digits: ``\d`` takes any of Unicode's
_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
_HIVE = re.compile(
    r"aws-account-id=([0-9]{12})/aws-service=([^/]+)/aws-region=([^/]+)"
    r"/year=([0-9]{4})/month=([0-9]{1,2})/day=([0-9]{1,2})/(?:hour=[0-9]{1,2}/)?[^/]+"
)
_SECURITY_LAKE = re.compile(
    r"(?:^|/)(aws|ext)/([A-Za-z0-9_.-]+)/(?:[0-9][0-9.]*/)?region=([^/]+)/accountId=([0-9]{12})"
    r"/event(?:Day|Hour)=([0-9]{4})([0-9]{2})([0-9]{2})[0-9]*/[^/]+$"
)


@dataclass(frozen=True, slots=True)
class KeyLayout:
    """What a key says; ``None`` where it does not say."""

    service: str | None = None
    """The ``AWSLogs/<account>/`` folder or the Security Lake source; ``None``: a key in no layout."""
    account: str | None = None
    region: str | None = None
    day: date | None = None
    source: str | None = None
    """The source the layout's objects are read as (their content still decides), or, skipped,
    the source they come with (a CloudTrail digest file)."""
    skip: str | None = None
    """Why the object is skipped, unread: it holds no records of a source we read."""
    delivery: str | None = None
    """The delivery path every object of the layout is read as (Firehose error output)."""


def read_key(key: str) -> KeyLayout:
    """The layout of ``key`` (an S3 key, or a path ending in one)."""
    parts = key.split("/")
    if parts[-1] in PROBES:
        return KeyLayout(None, None, None, None, *PROBES[parts[-1]])
    if parts.count("AWSLogs") == 1:
        layout = _aws_logs(parts[: parts.index("AWSLogs")], "/".join(parts[parts.index("AWSLogs") + 1 :]))
        if layout.service is not None:
            return layout
    # One account folder, as AWSLogs/ has one: a key with two is no delivery's, whichever it names.
    lake = _SECURITY_LAKE.search(key) if "AWSLogs" not in parts and key.count("accountId=") == 1 else None
    if lake is not None:
        kind, name, region, account, year, month, day = lake.groups()
        disposition = SECURITY_LAKE_SOURCES.get(name) if kind == "aws" else None
        if disposition is None:
            what = "custom source" if kind == "ext" else "source"
            disposition = _skip(f"Security Lake {what} {name} (not read)")
        return KeyLayout(name, account, region, _day(year, month, day), *disposition)
    for pattern, reason in FILES:
        if pattern.search(key):
            return KeyLayout(skip=reason)
    return KeyLayout()


def _aws_logs(prefix: list[str], rest: str) -> KeyLayout:
    hive = _HIVE.fullmatch(rest)
    if hive is not None:
        account, service, region, year, month, day = hive.groups()
        return KeyLayout(service, account, region, _day(year, month, day), *_folder(service, prefix))
    segments = rest.split("/")
    if segments and _ORG_ID.fullmatch(segments[0]):  # organization trails: AWSLogs/<org id>/<account>/
        segments = segments[1:]
    if len(segments) < 2 or not _ACCOUNT.fullmatch(segments[0]):
        return KeyLayout()
    account, service, *more = segments
    # <region>/YYYY/MM/DD/[HH/]<file>: a segment after <service> is a region only when more follows it
    region = more[0] if len(more) > 1 else None
    # Firehose error output has its error output type between the region and the day.
    first = 2 if service.lower() == FIREHOSE_ERRORS else 1
    day = _day(*more[first : first + 3]) if len(more) > first + 3 else None
    return KeyLayout(service, account, region, day, *_folder(service, prefix))


def _folder(service: str, prefix: list[str]) -> Disposition:
    disposition = AWS_LOGS_FOLDERS.get(service.lower())
    if disposition is None:
        return _skip(f"not a log source ({service})")
    if service.lower() in (FIREHOSE, FIREHOSE_ERRORS):  # the stream's source prefix, else the content says
        return disposition._replace(source=prefix[0] if prefix and prefix[0] in SOURCES else None)
    return disposition


_ERROR_OUTPUT_TYPE = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?[0-9]{12}/firehose-errors/[^/]+/([^/]+)/", re.I
)


def firehose_error_output_type(key: str) -> str | None:
    """The error output type (``processing-failed``...) a key of :data:`FIREHOSE_ERRORS` names:
    the folder Firehose writes for ``!{firehose:error-output-type}`` in the member stack's prefix."""
    found = _ERROR_OUTPUT_TYPE.search(key)
    return found.group(1) if found else None


def _day(year: str | None, month: str | None, day: str | None) -> date | None:
    try:
        return date(int(year or ""), int(month or ""), int(day or ""))
    except ValueError:
        return None
