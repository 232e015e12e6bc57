"""Investigation benchmark: one finding whose actor made 10,000 CloudTrail calls.

An embedded engine (osmem-server) gets the index templates, 10,000 CloudTrail events of
one role session (two hops from an IAM user, across three accounts) plus as many events of
other identities, and a GuardDuty finding on the session's key. The figure is the time of
one whole investigation (load the finding, aggregate the activity, walk the chain, related
findings) and the number of searches it sent; target: under 2 s, at most 10 searches.

Run: ``python -m benchmarks.investigate [--events N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from investigation import investigate
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates

DEFAULT_EVENTS = 10_000
DEFAULT_REPEAT = 5
TARGET_SECONDS = 2.0
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USER_ACCOUNT, HOP_ACCOUNT, TARGET_ACCOUNT = "111111111111", "222222222222", "333333333333"
ACTOR_KEY, HOP_KEY, USER_KEY = "ASIABENCHB0000000001", "ASIABENCHA0000000001", "AKIABENCHUSER0000001"
CALLS = (
    [
        ("s3.amazonaws.com", name, read)
        for name, read in (
            ("GetObject", True),
            ("ListBuckets", True),
            ("PutObject", False),
            ("GetBucketAcl", True),
            ("PutBucketPolicy", False),
            ("DeleteObject", False),
        )
    ]
    + [
        ("iam.amazonaws.com", name, read)
        for name, read in (
            ("ListUsers", True),
            ("ListRoles", True),
            ("CreateUser", False),
            ("CreateAccessKey", False),
            ("AttachUserPolicy", False),
            ("GetAccountAuthorizationDetails", True),
        )
    ]
    + [
        ("ec2.amazonaws.com", name, read)
        for name, read in (
            ("DescribeInstances", True),
            ("DescribeSecurityGroups", True),
            ("AuthorizeSecurityGroupIngress", False),
            ("RunInstances", False),
            ("CreateKeyPair", False),
        )
    ]
    + [
        ("sts.amazonaws.com", "GetCallerIdentity", True),
        ("cloudtrail.amazonaws.com", "StopLogging", False),
        ("kms.amazonaws.com", "Decrypt", True),
        ("secretsmanager.amazonaws.com", "GetSecretValue", True),
    ]
)


def identity(kind: str, account: str, name: str, key: str, role: str | None = None) -> dict[str, Any]:
    if kind == "IAMUser":
        return ct.iam_user(account, name, f"AIDA{name.upper()}", key)
    session = ct.RoleSession(account, str(role), f"AROA{role}", name, key, START)
    return ct.assumed_role(session, web_id_federation=False, attributes=False)


def _request(number: int, source: str) -> dict[str, Any] | None:
    if source.startswith("s3"):
        return {"bucketName": f"bucket-{number % 7}", "key": f"k/{number}"}
    if source.startswith("iam"):
        return {"userName": f"user-{number % 5}"}
    return None


def record(
    number: int,
    moment: datetime,
    who: dict[str, Any],
    ip: str,
    call: tuple[str, str, bool],
    account: str,
    rng: random.Random,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    error_code: str | None = "AccessDenied",
) -> dict[str, Any]:
    """A call that fails (``error_code``, "not authorized") one time in twenty."""
    source, name, read_only = call
    failed = rng.random() < 0.05
    return ct.api_call(
        who,
        event_name=name,
        event_source=source,
        time=moment,
        source_ip=ip,
        user_agent=rng.choice(
            ["aws-cli/2.15.30 Python/3.11.8", "Boto3/1.34.1 Python/3.12", "python-requests/2.31"]
        ),
        recipient_account=account,
        read_only=read_only,
        request=request or _request(number, source),
        response=response,
        error_code=error_code if failed else None,
        error_message="not authorized" if failed else None,
        request_id=f"r{number}",
        event_id=f"e-{number:08d}",
    )


def assume_role(
    number: int,
    moment: datetime,
    caller: dict[str, Any],
    role_account: str,
    role: str,
    session: str,
    issued: str,
    rng: random.Random,
) -> dict[str, Any]:
    issued_session = ct.RoleSession(role_account, role, f"AROA{role}", session, issued, moment)
    return record(
        number,
        moment,
        caller,
        "198.51.100.7",
        ("sts.amazonaws.com", "AssumeRole", True),
        caller["accountId"],
        rng,
        request=ct.assume_role_request(issued_session, duration_seconds=None),
        response=ct.assume_role_response(issued_session, session_token=None),
        error_code=None,
    )


def trail(events: int, seed: int = 11) -> list[dict[str, Any]]:
    """The actor's ``events`` calls over three hours, the chain that issued its key, and noise."""
    rng = random.Random(seed)
    user = identity("IAMUser", USER_ACCOUNT, "bench-user", USER_KEY)
    hop = identity("AssumedRole", HOP_ACCOUNT, "hop", HOP_KEY, role="HopRole")
    actor = identity("AssumedRole", TARGET_ACCOUNT, "actor", ACTOR_KEY, role="TargetRole")
    records = [
        assume_role(0, START, user, HOP_ACCOUNT, "HopRole", "hop", HOP_KEY, rng),
        assume_role(
            1, START + timedelta(minutes=1), hop, TARGET_ACCOUNT, "TargetRole", "actor", ACTOR_KEY, rng
        ),
    ]
    span = timedelta(hours=3).total_seconds()
    others = [identity("IAMUser", USER_ACCOUNT, f"dev{n}", f"AKIADEV{n:013d}") for n in range(20)]
    for number in range(events):
        moment = START + timedelta(minutes=2, seconds=rng.random() * span)
        records.append(
            record(
                2 + number,
                moment,
                actor,
                rng.choice(["198.51.100.7", "203.0.113.9"]),
                rng.choice(CALLS),
                TARGET_ACCOUNT,
                rng,
            )
        )
        records.append(
            record(
                2 + events + number,
                moment,
                rng.choice(others),
                f"192.0.2.{rng.randrange(1, 250)}",
                rng.choice(CALLS),
                USER_ACCOUNT,
                rng,
            )
        )
    return [{key: value for key, value in r.items() if value is not None} for r in records]


def finding() -> dict[str, Any]:
    spec = gd.FindingSpec(
        type="UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        severity=8.0,
        title="API GetObject was invoked from an IP address on a custom threat list.",
        account=TARGET_ACCOUNT,
        detector="d",
        id="be" * 16,
        created=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        updated=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        last_seen=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
        resource=gd.access_key_resource(ACTOR_KEY, "AROATargetRole:actor", "TargetRole", "AssumedRole"),
        action=gd.api_call_action("GetObject", "s3.amazonaws.com", "198.51.100.7"),
    )
    return gd.finding(spec)


def index(client: OpenSearch, raw: bytes, index_name: str, batch: int = 2000) -> int:
    documents = [
        item
        for item in normalize_object(io.BytesIO(raw), Origin("bench", "2026-03-02T12:00:00Z"))
        if not isinstance(item, DeadLetter)
    ]
    for start in range(0, len(documents), batch):
        body: list[Any] = []
        for document in documents[start : start + batch]:
            body += [{"create": {"_index": index_name}}, document]
        response = client.bulk(body=body)
        if response["errors"]:
            raise RuntimeError("bulk indexing failed")
    return len(documents)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used, from /proc; ``None`` elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(events: int = DEFAULT_EVENTS, repeat: int = DEFAULT_REPEAT) -> list[dict[str, Any]]:
    with OsmemServer.start(japanese=False) as server:
        client = OpenSearch(hosts=[server.url], timeout=120)
        install_templates(client)
        indexed = index(client, orjson.dumps({"Records": trail(events)}), "siem-cloudtrail")
        index(client, orjson.dumps(finding()), "siem-guardduty")
        investigate(client, "be" * 16)  # warm-up: first use of each index and aggregation
        timings, report = [], None
        cpu_before = cpu_seconds(server.pid)
        for _ in range(repeat):
            started = time.perf_counter()
            report = investigate(client, "be" * 16)
            timings.append(time.perf_counter() - started)
        cpu_after = cpu_seconds(server.pid)
    assert report is not None
    engine_cpu = (
        (cpu_after - cpu_before) / repeat if cpu_before is not None and cpu_after is not None else None
    )
    return [
        {
            "name": "investigate one finding",
            "actor_events": report.what.events,
            "indexed_events": indexed,
            "chain_length": len(report.who.chain),
            "queries": report.queries,
            "seconds_median": round(statistics.median(timings), 4),
            "seconds_min": round(min(timings), 4),
            # Wall time depends on what else the machine runs; the engine's CPU time does not.
            "engine_cpu_seconds": round(engine_cpu, 4) if engine_cpu is not None else None,
            "load_average": round(os.getloadavg()[0], 2),
            "target_seconds": TARGET_SECONDS,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="CloudTrail events of the actor")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed investigations")
    args = parser.parse_args()
    for row in run(args.events, args.repeat):
        print(orjson.dumps(row).decode())


if __name__ == "__main__":
    main()
