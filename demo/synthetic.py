"""Fast, deterministic volume data for tests and benchmarks, in the AWS delivery formats.

Unlike :mod:`demo.incident`, nothing here tells a story: records are varied (identity
types, services, errors, request parameter shapes, addresses, finding kinds) and cheap to
make. Nested values may be shared between records: treat records as read-only.

Compressed outputs use gzip level 1 by default: the bytes differ from AWS's, the content
does not, and a benchmark should measure the reader, not the generator.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from demo.ids import Ids
from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from demo.records import vpcflow
from demo.records.cloudtrail import RoleSession
from demo.records.compression import gzip_bytes

Record = dict[str, Any]
Request = Callable[[random.Random], Any]

BASE = datetime(2026, 3, 1, tzinfo=UTC)
_BASE_EPOCH = int(BASE.timestamp())
_REGIONS = ("us-east-1", "us-east-1", "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
_FAST_GZIP = 1


# --- CloudTrail -------------------------------------------------------------------------


def _identities(ids: Ids, accounts: Sequence[str]) -> list[Record]:
    """A pool covering every userIdentity type CloudTrail documents."""
    pool: list[Record] = []
    for account in accounts:
        for name in ("deploy-bot", "alice", "bob", "backup"):
            pool.append(ct.iam_user(account, name, ids.unique_id("AIDA"), ids.access_key_id()))
        for role, session in (
            ("app-role", "i-0" + ids.hex(16)),
            ("AWSReservedSSO_Admin_" + ids.hex(16), "carol@example.com"),
            ("lambda-exec", "orders-handler"),
            ("ci-role", "botocore-session-1772000000"),
        ):
            pool.append(
                ct.assumed_role(
                    RoleSession(
                        account, role, ids.unique_id("AROA"), session, ids.access_key_id(temporary=True), BASE
                    )
                )
            )
        pool.append(ct.root(account))
        pool.append(
            ct.federated_user(
                account,
                "partner",
                access_key_id=ids.access_key_id(temporary=True),
                issuer_principal_id=ids.unique_id("AIDA"),
                issuer_name="federator",
                created=BASE,
            )
        )
        pool.append(ct.web_identity_user())
        pool.append(ct.aws_account(ids.account_id(), ids.unique_id("AIDA")))
    pool.append(ct.aws_service("ec2.amazonaws.com"))
    pool.append(ct.aws_service("config.amazonaws.com"))
    return pool


def _bucket(rng: random.Random) -> str:
    return f"data-{rng.randrange(40):02d}"


def _templates() -> list[tuple[str, str, bool, str, Request]]:
    """``(eventSource, eventName, readOnly, category, request parameters maker)``."""

    def s3_object(rng: random.Random) -> Any:
        bucket = _bucket(rng)
        return {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.amazonaws.com",
            "key": f"k/{rng.getrandbits(40):x}.json",
        }

    return [
        ("sts.amazonaws.com", "GetCallerIdentity", True, "Management", lambda rng: None),
        (
            "sts.amazonaws.com",
            "AssumeRole",
            True,
            "Management",
            lambda rng: {
                "roleArn": f"arn:aws:iam::{rng.randrange(10**11, 10**12)}:role/r{rng.randrange(20)}",
                "roleSessionName": f"s{rng.randrange(1000)}",
                "durationSeconds": 3600,
            },
        ),
        ("s3.amazonaws.com", "ListBuckets", True, "Management", lambda rng: {"Host": "s3.amazonaws.com"}),
        ("s3.amazonaws.com", "GetObject", True, "Data", s3_object),
        ("s3.amazonaws.com", "PutObject", False, "Data", s3_object),
        (
            "ec2.amazonaws.com",
            "DescribeInstances",
            True,
            "Management",
            lambda rng: {
                "instancesSet": {"items": [{"instanceId": f"i-{rng.getrandbits(68):017x}"}]},
                "filterSet": {},
            },
        ),
        (
            "ec2.amazonaws.com",
            "RunInstances",
            False,
            "Management",
            lambda rng: {
                "instancesSet": {
                    "items": [
                        {"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": rng.randrange(1, 9)}
                    ]
                },
                "instanceType": rng.choice(("t3.micro", "m5.large", "p4d.24xlarge")),
                "monitoring": {"enabled": False},
                "disableApiTermination": False,
                "blockDeviceMapping": {},
            },
        ),
        (
            "ec2.amazonaws.com",
            "AuthorizeSecurityGroupIngress",
            False,
            "Management",
            lambda rng: {
                "groupId": f"sg-{rng.getrandbits(68):017x}",
                "ipPermissions": {
                    "items": [
                        {
                            "ipProtocol": "tcp",
                            "fromPort": (port := rng.choice((22, 443, 3389, 5432))),
                            "toPort": port,
                            "ipRanges": {"items": [{"cidrIp": rng.choice(("0.0.0.0/0", "10.0.0.0/8"))}]},
                        }
                    ]
                },
            },
        ),
        (
            "iam.amazonaws.com",
            "CreateUser",
            False,
            "Management",
            lambda rng: {"userName": f"u{rng.randrange(10**6)}"},
        ),
        (
            "iam.amazonaws.com",
            "AttachRolePolicy",
            False,
            "Management",
            lambda rng: {
                "roleName": f"r{rng.randrange(50)}",
                "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
            },
        ),
        (
            "iam.amazonaws.com",
            "ListUsers",
            True,
            "Management",
            lambda rng: {"maxItems": rng.choice((100, "100"))},
        ),
        (
            "kms.amazonaws.com",
            "Decrypt",
            True,
            "Management",
            lambda rng: {
                "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "encryptionContext": {
                    "aws:lambda:FunctionArn": f"arn:aws:lambda:us-east-1:1:function:f{rng.randrange(30)}"
                },
            },
        ),
        (
            "dynamodb.amazonaws.com",
            "GetItem",
            True,
            "Data",
            lambda rng: {
                "tableName": "orders",
                "key": {"pk": {"S": f"o#{rng.randrange(10**8)}"}},
                "consistentRead": rng.random() < 0.5,
            },
        ),
        (
            "ssm.amazonaws.com",
            "GetParameter",
            True,
            "Management",
            lambda rng: {"name": f"/app/{rng.choice(('db', 'api', 'cache'))}/url", "withDecryption": True},
        ),
        (
            "cloudtrail.amazonaws.com",
            "LookupEvents",
            True,
            "Management",
            lambda rng: {
                "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "ConsoleLogin"}],
                "maxResults": 50,
                "startTime": "Mar 1, 2026, 12:00:00 AM",
                "endTime": None,
            },
        ),
        (
            "cloudtrail.amazonaws.com",
            "StopLogging",
            False,
            "Management",
            lambda rng: {"name": f"arn:aws:cloudtrail:us-east-1:1:trail/t{rng.randrange(5)}"},
        ),
        (
            "lambda.amazonaws.com",
            "UpdateFunctionCode20150331v2",
            False,
            "Management",
            lambda rng: {
                "functionName": f"f{rng.randrange(30)}",
                "publish": True,
                "dryRun": False,
                "architectures": ["x86_64"],
                "zipFile": "HIDDEN_DUE_TO_SECURITY_REASONS",
            },
        ),
        (
            "logs.amazonaws.com",
            "CreateLogStream",
            False,
            "Management",
            lambda rng: {
                "logGroupName": "/aws/lambda/f",
                "logStreamName": f"2026/03/01/[$LATEST]{rng.getrandbits(128):032x}",
            },
        ),
    ]


_ERRORS = (
    ("AccessDenied", "User is not authorized to perform this action"),
    ("Client.UnauthorizedOperation", "You are not authorized to perform this operation."),
    ("ThrottlingException", "Rate exceeded"),
    ("NoSuchEntityException", "The user with name u1 cannot be found."),
)
_AGENTS = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64",
    "Boto3/1.34.64 Python/3.12.2 Botocore/1.34.64",
    "console.amazonaws.com",
    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5",
    "AWS Internal",
)


def _event_id(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"


def cloudtrail_records(n: int, seed: int = 0, accounts: int = 3) -> Iterator[Record]:
    """``n`` CloudTrail records, one per second from 2026-03-01, varied in every dimension."""
    ids = Ids(seed)
    rng = ids.random
    account_ids = [ids.account_id() for _ in range(accounts)]
    identities = _identities(ids, account_ids)
    templates = _templates()
    addresses = (
        [f"203.0.113.{i}" for i in range(1, 255)]
        + [f"198.51.100.{i}" for i in range(1, 255)]
        + ["2001:db8::1", "ec2.amazonaws.com", "AWS Internal", "211.9.016.253"]
    )
    for index in range(n):
        identity = identities[int(rng.random() * len(identities))]
        source, name, read_only, category, request = templates[int(rng.random() * len(templates))]
        account = identity.get("accountId") or account_ids[index % accounts]
        source_ip = addresses[int(rng.random() * len(addresses))]
        error = _ERRORS[index % len(_ERRORS)] if rng.random() < 0.06 else (None, None)
        parameters = request(rng)
        yield ct.api_call(
            identity,
            event_name=name,
            event_source=source,
            time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_BASE_EPOCH + index)),
            region=_REGIONS[index % len(_REGIONS)],
            source_ip=source_ip,
            user_agent=_AGENTS[index % len(_AGENTS)],
            recipient_account=account,
            read_only=read_only,
            request=parameters,
            error_code=error[0],
            error_message=error[1],
            request_id=_event_id(rng),
            event_id=_event_id(rng),
            category=category,
        )


def cloudtrail_log_file(records: Iterable[Record], level: int = _FAST_GZIP) -> bytes:
    """A gzip CloudTrail log file: ``{"Records":[...]}``."""
    return gzip_bytes(ct.log_file_json(records), level)


# --- VPC Flow Logs ----------------------------------------------------------------------


class _FlowColumns:
    """Columns of ``n`` flow records, made one whole column at a time (fast) and on demand."""

    # Fields that have no value on a NODATA record.
    _TRAFFIC: ClassVar[set[str]] = {
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "packets",
        "bytes",
        "action",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "traffic-path",
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
    }

    def __init__(self, n: int, seed: int, version: int) -> None:
        self.n, self.version = n, version
        self.rng = random.Random(seed)
        ids = Ids(seed)
        self.account = ids.account_id()
        self.enis = [ids.resource_id("eni") for _ in range(20)]
        self._cache: dict[str, list[Any]] = {}
        self.nodata = [index % 997 == 996 for index in range(n)]

    def _uniform(self, low: int, high: int) -> list[int]:
        r, span = self.rng.random, high - low
        return [low + int(r() * span) for _ in range(self.n)]

    def _pick(self, choices: Sequence[Any]) -> list[Any]:
        r, size = self.rng.random, len(choices)
        return [choices[int(r() * size)] for _ in range(self.n)]

    def _base(self, name: str) -> list[Any]:
        if name not in self._cache:
            self._cache[name] = self._make(name)
        return self._cache[name]

    def _make(self, name: str) -> list[Any]:
        n, r = self.n, self.rng.random
        if name == "inbound":
            return [r() < 0.5 for _ in range(n)]
        if name == "inside":
            return [f"10.{int(r() * 256)}.{int(r() * 256)}.{int(r() * 254) + 1}" for _ in range(n)]
        if name == "outside":
            return [f"203.0.113.{int(r() * 254) + 1}" for _ in range(n)]
        if name in ("srcaddr", "pkt-srcaddr"):
            return [
                o if i else s
                for i, o, s in zip(
                    self._base("inbound"), self._base("outside"), self._base("inside"), strict=True
                )
            ]
        if name in ("dstaddr", "pkt-dstaddr"):
            return [
                s if i else o
                for i, o, s in zip(
                    self._base("inbound"), self._base("outside"), self._base("inside"), strict=True
                )
            ]
        if name == "start":
            return [_BASE_EPOCH + index // 50 for index in range(n)]
        makers: dict[str, Callable[[], list[Any]]] = {
            "version": lambda: [self.version] * n,
            "account-id": lambda: [self.account] * n,
            "interface-id": lambda: [self.enis[index % len(self.enis)] for index in range(n)],
            "srcport": lambda: self._uniform(1024, 65536),
            "dstport": lambda: self._pick((22, 80, 443, 443, 3389, 5432, 8080, 49152)),
            "protocol": lambda: self._pick((6, 6, 6, 17, 1)),
            "packets": lambda: self._uniform(1, 5000),
            "bytes": lambda: self._uniform(40, 1 << 33),
            "end": lambda: [start + 1 + int(r() * 59) for start in self._base("start")],
            "action": lambda: self._pick(("ACCEPT", "ACCEPT", "ACCEPT", "ACCEPT", "REJECT")),
            "log-status": lambda: ["NODATA" if empty else "OK" for empty in self.nodata],
            "vpc-id": lambda: ["vpc-0a1b2c3d4e5f60718"] * n,
            "subnet-id": lambda: ["subnet-0a1b2c3d4e5f60718"] * n,
            "instance-id": lambda: [f"i-{index % 40:017x}" for index in range(n)],
            "tcp-flags": lambda: self._pick((0, 2, 3, 18, 19)),
            "type": lambda: ["IPv4"] * n,
            "region": lambda: ["us-east-1"] * n,
            "az-id": lambda: ["use1-az2"] * n,
            "flow-direction": lambda: ["ingress" if i else "egress" for i in self._base("inbound")],
            "traffic-path": lambda: [None if i else 8 for i in self._base("inbound")],
        }
        return makers[name]() if name in makers else [None] * n

    def column(self, name: str) -> list[Any]:
        values = self._base(name)
        if name in self._TRAFFIC:
            values = [None if empty else value for empty, value in zip(self.nodata, values, strict=True)]
        return values


def vpcflow_text(
    n: int, seed: int = 0, fields: Sequence[str] = vpcflow.DEFAULT_FIELDS, level: int = _FAST_GZIP
) -> bytes:
    """A gzip text flow log of ``n`` records with the header ``fields`` (any order, any subset)."""
    columns = _FlowColumns(n, seed, vpcflow.field_version(fields))
    texts = [["-" if value is None else str(value) for value in columns.column(name)] for name in fields]
    lines = (" ".join(values) for values in zip(*texts, strict=True))
    return gzip_bytes(vpcflow.text_body(lines, fields), level)


def vpcflow_parquet(
    n: int, seed: int = 0, fields: Sequence[str] = vpcflow.DEFAULT_FIELDS, level: int = _FAST_GZIP
) -> bytes:
    """A Parquet flow log of ``n`` rows (Gzip columns, typed as documented)."""
    columns = _FlowColumns(n, seed, vpcflow.field_version(fields))
    return vpcflow.parquet_from_columns({name: columns.column(name) for name in fields}, fields, level)


# --- findings ---------------------------------------------------------------------------

_GD_KINDS = (
    ("UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", 5.0),
    ("Recon:IAMUser/MaliciousIPCaller", 5.0),
    ("Stealth:IAMUser/CloudTrailLoggingDisabled", 2.0),
    ("Exfiltration:S3/MaliciousIPCaller", 8.0),
    ("Recon:EC2/PortProbeUnprotectedPort", 2.0),
    ("UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", 5.0),
    ("AttackSequence:IAM/CompromisedCredentials", 9.4),
)


def _guardduty_findings(n: int, seed: int) -> Iterator[Record]:
    ids = Ids(seed)
    rng = ids.random
    accounts = [ids.account_id() for _ in range(3)]
    detector = ids.hex(32)
    for index in range(n):
        kind, severity = _GD_KINDS[index % len(_GD_KINDS)]
        account = accounts[index % len(accounts)]
        ip = f"203.0.113.{rng.randrange(1, 255)}"
        moment = BASE + timedelta(seconds=index * 7)
        private = f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        instance = gd.Instance(
            f"i-{index % 50:017x}",
            private,
            f"198.51.100.{index % 250 + 1}",
            f"eni-{index % 50:017x}",
            "vpc-0a1b2c3d4e5f60718",
            "subnet-0a1b2c3d4e5f60718",
            "sg-0a1b2c3d4e5f60718",
        )
        resource: Record
        action: Record | None
        if ":EC2/" in kind:
            resource = gd.instance_resource(instance)
            action = (
                gd.port_probe_action(ip, private, (22, 3389))
                if "PortProbe" in kind
                else gd.network_connection_action(ip, rng.randrange(1024, 65536), private, 22)
            )
        elif kind.startswith("AttackSequence"):
            resource, action = {"resourceType": "AttackSequence"}, None
        else:
            key = ids.access_key_id(temporary=rng.random() < 0.5)
            user_type = "AssumedRole" if key.startswith("ASIA") else "IAMUser"
            principal = ids.unique_id("AROA") + ":s" if user_type == "AssumedRole" else ids.unique_id("AIDA")
            resource = gd.access_key_resource(key, principal, f"user{index % 30}", user_type)
            action = gd.api_call_action("ListUsers", "iam.amazonaws.com", ip, "aws-cli/2.15.30")
        spec = gd.FindingSpec(
            type=kind,
            severity=severity + rng.choice((0.0, 0.1, 0.3)) if severity < 9 else severity,
            title=f"{kind} finding {index}",
            description=f'Synthetic {kind} finding with a "quote" and {{braces}}.',
            account=account,
            region=_REGIONS[index % len(_REGIONS)],
            detector=detector,
            id=ids.hex(32),
            created=moment,
            updated=moment + timedelta(minutes=index % 90),
            first_seen=moment,
            last_seen=moment + timedelta(minutes=5),
            resource=resource,
            action=action,
            count=1 + index % 9,
            sample=index % 50 == 49,
        )
        yield gd.finding(spec)


def guardduty_export(n: int, seed: int = 0, level: int = _FAST_GZIP) -> bytes:
    """A gzip GuardDuty export object of ``n`` JSON lines."""
    return gzip_bytes(gd.export_lines(_guardduty_findings(n, seed)), level)


def _control(index: int, ids: Ids, account: str) -> Record:
    status = "FAILED" if index % 3 else "PASSED"
    control = ("EC2.13", "IAM.3", "S3.8", "CloudTrail.1", "IAM.9")[index % 5]
    moment = BASE + timedelta(seconds=index * 11)
    resource = {
        "Type": "AwsAccount",
        "Id": f"AWS::::Account:{account}",
        "Partition": "aws",
        "Region": "us-east-1",
    }
    return sh.control_finding(
        sh.ControlSpec(
            control,
            f"{control} control",
            f"Synthetic result of {control}.",
            status,
            ("LOW", "MEDIUM", "HIGH", "CRITICAL")[index % 4],
            account,
            "us-east-1",
            resource,
            moment,
            moment,
            ids.uuid(),
        )
    )


def securityhub_firehose(n: int, seed: int = 0, level: int = _FAST_GZIP) -> bytes:
    """A gzip Firehose object of ``n`` concatenated "Security Hub Findings - Imported" envelopes:
    GuardDuty imports and control results, aggregated into one administrator account."""
    ids = Ids(seed + 1)
    admin, member = ids.account_id(), ids.account_id()
    imports = _guardduty_findings(n, seed)
    events = []
    for index in range(n):
        imported = next(imports)
        finding = sh.from_guardduty(imported) if index % 2 else _control(index, ids, member)
        events.append(sh.imported_event(finding, admin, ids.uuid()))
    return gzip_bytes(sh.firehose_body(events), level)
