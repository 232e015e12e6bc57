"""What every activity needs to write records: the organization, seeded randomness, a clock.

``Context.call`` is :func:`demo.records.cloudtrail.event` with the corpus's seeded ids;
the user agents, error shapes and time patterns below are the ones real trails show.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from demo.benign.org import HOME_REGION, WEEK, WEEK_START, Organization
from demo.ids import Ids
from demo.records import cloudtrail as ct

Record = dict[str, Any]

# --- user agents (the forms AWS SDKs, tools and the console send) ------------------------

CONSOLE = "AWS Internal"
BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36"
)
CLI = (
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off"
)
BOTO3 = (
    "Boto3/1.34.60 md/Botocore#1.34.60 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.60"
)
JAVA = (
    "aws-sdk-java/2.25.6 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS "
    "Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"
)
GO_SDK = "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64"
SSM_AGENT = "aws-sdk-go/1.44.260 (go1.20.10; linux; amd64) amazon-ssm-agent/3.3.40.0"
CDK = "aws-sdk-nodejs/2.1580.0 linux/v20.11.1 aws-cdk/2.133.0 promise"
GITHUB_OIDC = "configure-aws-credentials-for-github-actions"


def terraform(service: str) -> str:
    """Terraform's AWS provider, which names the called service's API at the end."""
    return (
        "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0 "
        f"(+https://registry.terraform.io/providers/hashicorp/aws) {GO_SDK} api/{service}#1.0.0"
    )


# --- errors ------------------------------------------------------------------------------

Error = tuple[str | None, str]


EC2_UNAUTHORIZED: Error = (
    "Client.UnauthorizedOperation",
    "You are not authorized to perform this operation.",
)
THROTTLED: Error = ("ThrottlingException", "Rate exceeded")
EC2_THROTTLED: Error = ("Client.RequestLimitExceeded", "Request limit exceeded.")
S3_NOT_CONFIGURED: dict[str, Error] = {
    "GetBucketPolicy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "GetBucketCors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    "GetBucketWebsite": (
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration",
    ),
    "GetBucketReplication": (
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
    ),
    "GetBucketLifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "GetBucketTagging": ("NoSuchTagSet", "The TagSet does not exist"),
    "GetObjectLockConfiguration": (
        "ObjectLockConfigurationNotFoundError",
        "Object Lock configuration does not exist for this bucket",
    ),
}
"""What S3 answers for a bucket setting that was never configured: routine, every scanner sees it."""

_READ_PREFIXES = (
    "Describe",
    "List",
    "Get",
    "Head",
    "Lookup",
    "Search",
    "Check",
    "BatchGet",
    "Filter",
    "Scan",
)


def is_read(name: str) -> bool:
    return name.startswith(_READ_PREFIXES)


# --- S3 data events ---------------------------------------------------------------------


def s3_object(
    account: str, bucket: str, key: str, *, bytes_in: float = 0.0, bytes_out: float = 0.0
) -> dict[str, Any]:
    """The ``request``, ``resources`` and ``additional`` of an S3 object-level data event."""
    return {
        "request": {"bucketName": bucket, "Host": f"{bucket}.s3.{HOME_REGION}.amazonaws.com", "key": key},
        "resources": (
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ),
        "additional": {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": "EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
            "bytesTransferredOut": bytes_out,
        },
    }


# --- the context -------------------------------------------------------------------------


@dataclass
class Context:
    org: Organization
    rng: random.Random
    ids: Ids

    def call(
        self,
        identity: Record,
        when: datetime,
        source: str,
        name: str,
        *,
        account: str,
        ip: str,
        agent: str,
        region: str = HOME_REGION,
        read_only: bool | None = None,
        request: Any = None,
        response: Any = None,
        error: Error | None = None,
        resources: Sequence[Record] = (),
        additional: Record | None = None,
        category: str = "Management",
        shared_event_id: str | None = None,
    ) -> Record:
        """One API call (``read_only`` defaults from the name: Describe/List/Get... are reads)."""
        return ct.event(
            ct.Call(
                identity,
                when,
                source,
                name,
                region,
                ip,
                agent,
                account,
                is_read(name) if read_only is None else read_only,
                request,
                response,
                error,
                tuple(resources),
                additional,
                shared_event_id,
                category=category,
            ),
            self.ids,
        )

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def private_ip(self) -> str:
        return f"10.{self.rng.randrange(16, 80)}.{self.rng.randrange(0, 256)}.{self.rng.randrange(4, 255)}"

    def hex(self, length: int) -> str:
        return self.ids.hex(length)


class Clock:
    """The time inside one episode: each step moves it forward a few seconds."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.now = start

    def tick(self, low: float = 0.2, high: float = 3.0) -> datetime:
        self.now += timedelta(seconds=self.rng.uniform(low, high))
        return self.now.replace(microsecond=0)

    def wait(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now.replace(microsecond=0)


# --- when episodes start -----------------------------------------------------------------

LATEST_START = WEEK - timedelta(hours=2)
"""Episodes start early enough to end inside the week."""


def any_time(rng: random.Random) -> datetime:
    """Automation that runs around the clock."""
    return WEEK_START + timedelta(seconds=rng.uniform(0, LATEST_START.total_seconds()))


def working_hours(rng: random.Random) -> datetime:
    """People (and the pipelines they trigger): weekdays, mostly 07:00-19:00 UTC, rarely late."""
    day = rng.randrange(5)
    hour = min(max(rng.gauss(13.0, 3.0), 0.0), 23.5)
    return WEEK_START + timedelta(days=day, hours=hour)


def nightly(rng: random.Random, hour: int) -> datetime:
    """A scheduled job: every day at ``hour`` UTC, within its first half hour."""
    return WEEK_START + timedelta(days=rng.randrange(7), hours=hour, minutes=rng.uniform(0, 30))


def weekly(rng: random.Random, day: int, hour: int) -> datetime:
    """A weekly job: ``day`` 0 is Monday."""
    return WEEK_START + timedelta(days=day, hours=hour, minutes=rng.uniform(0, 45))
