"""Detections benchmark: what one run of each rule type costs on a realistic volume.

An embedded engine (osmem-server) gets the index templates and:

- **background**: ``--events`` CloudTrail records (default 100,000) over one hour, from 20
  accounts, 40 IAM users and 30 roles (sessions by CI jobs, instances and people), about 30
  APIs (reads, writes, AssumeRole, S3 data events), 4 regions, 5 % of calls denied; each
  object of 1,000 records ingested 5 minutes after its last event. 100,000 an hour is 2.4
  million a day: a 20-minute run window holds about 33,000 events;
- **history**: 20,000 records of the same population over the 15 days before, so new-terms
  rules have their history and are past learning;
- **attacks**: a deletion burst, a permission probe, an inventory walk, a secrets walk, a
  first write in a new region, a sign-in without MFA then a key, a role assumed from a new
  address then StopLogging, a GuardDuty finding on a key then IAM writes with it.

Every rule of those types runs twice through :func:`detections.matching.find_matches`, as
the runner does: a first run (window of 30 minutes; a new-terms rule fills its state from the
logs) and the next one 5 minutes later (20-minute window: 15 of overlap). Per run: searches
sent, events (hits) read, aggregation buckets read, terms looked up and written, alerts.

Silence rules are not among them: a first run on an empty state only learns, and what one
costs shows over days of runs at an organization's number of accounts. ``--silence`` runs only
their part (:mod:`benchmarks.silence`: 500 accounts, 8 days of hourly runs then 18 hours of
5-minute ones, an account silent alone and a whole-pipeline outage), without the 100,000
events and the 4 GB of the rest.

Run: ``python -m benchmarks.detections [--events N]``, ``python -m benchmarks.detections
--silence [--accounts N]``.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from benchmarks import silence
from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from detections.matching import Sources, find_matches
from detections.new_terms import TermsStore
from detections.rules import RULES_DIR, Rule, load_rules
from detections.runner import RunSettings, rule_window
from detections.windows import Checkpoint, iso
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULT_EVENTS = 100_000
HISTORY_EVENTS = 20_000
PER_OBJECT = 1000
REGIONS = ("us-east-1", "us-east-1", "eu-west-1", "us-west-2", "ap-northeast-1")
READS = (
    [
        ("ec2.amazonaws.com", name)
        for name in (
            "DescribeInstances",
            "DescribeVpcs",
            "DescribeSubnets",
            "DescribeSecurityGroups",
            "DescribeImages",
        )
    ]
    + [
        ("iam.amazonaws.com", name)
        for name in ("GetRole", "GetPolicy", "ListRolePolicies", "ListAttachedRolePolicies")
    ]
    + [
        ("s3.amazonaws.com", name)
        for name in ("GetBucketPolicy", "GetBucketAcl", "ListBuckets", "HeadBucket")
    ]
    + [
        ("kms.amazonaws.com", "Decrypt"),
        ("kms.amazonaws.com", "DescribeKey"),
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("lambda.amazonaws.com", "GetFunction20150331v2"),
        ("logs.amazonaws.com", "DescribeLogGroups"),
        ("cloudformation.amazonaws.com", "DescribeStacks"),
        ("dynamodb.amazonaws.com", "DescribeTable"),
        ("secretsmanager.amazonaws.com", "GetSecretValue"),
        ("ssm.amazonaws.com", "GetParameter"),
    ]
)
WRITES = [
    ("ec2.amazonaws.com", "CreateTags"),
    ("ec2.amazonaws.com", "RunInstances"),
    ("s3.amazonaws.com", "PutObject"),
    ("logs.amazonaws.com", "PutLogEvents"),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
    ("iam.amazonaws.com", "PutRolePolicy"),
    ("cloudformation.amazonaws.com", "UpdateStack"),
    ("dynamodb.amazonaws.com", "PutItem"),
]


class Population:
    """The organization's identities, deterministic for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.accounts = [f"{100000000000 + n * 7919:012d}" for n in range(20)]
        self.users = [
            ct.iam_user(self.accounts[n % 20], f"user{n}", f"AIDAUSER{n:012d}", f"AKIAUSER{n:012d}")
            for n in range(40)
        ]
        self.roles = [(self.accounts[n % 20], f"role-{n}", f"AROAROLE{n:012d}") for n in range(30)]

    def identity(self, when: datetime) -> dict[str, Any]:
        if self.rng.random() < 0.35:
            return self.rng.choice(self.users)
        account, role, role_id = self.rng.choice(self.roles)
        session = self.rng.choice(
            [f"ci-job-{self.rng.randint(1, 40)}", f"i-0{self.rng.getrandbits(56):015x}", "alice", "bob"]
        )
        key = f"ASIA{self.rng.getrandbits(64):016X}"
        return ct.assumed_role(
            ct.RoleSession(account, role, role_id, session, key, when - timedelta(minutes=5))
        )

    def call(self, when: datetime) -> dict[str, Any]:
        who = self.identity(when)
        if self.rng.random() < 0.08:
            account, role, role_id = self.rng.choice(self.roles)
            issued = ct.RoleSession(
                account,
                role,
                role_id,
                f"s{self.rng.randint(1, 99)}",
                f"ASIA{self.rng.getrandbits(64):016X}",
                when,
            )
            return ct.assume_role(
                who if who["type"] == "IAMUser" else self.rng.choice(self.users),
                issued,
                time=when,
                source_ip=self.address(),
            )
        write = self.rng.random() < 0.25
        source, name = self.rng.choice(WRITES if write else READS)
        denied = self.rng.random() < 0.05
        return ct.api_call(
            who,
            event_name=name,
            event_source=source,
            time=when,
            region=self.rng.choice(REGIONS),
            source_ip=self.address(),
            read_only=not write,
            request={"secretId": f"app/{self.rng.randint(1, 30)}"} if name == "GetSecretValue" else None,
            error_code="AccessDenied" if denied else None,
            error_message="not authorized" if denied else None,
            category="Data" if name in ("PutObject",) else "Management",
        )

    def address(self) -> str:
        return f"198.51.100.{self.rng.randint(1, 60)}"


def attacks(at: datetime) -> list[dict[str, Any]]:
    """One of each attack the typed rules are for, from ``at`` on."""
    mallory = ct.iam_user("100000000000", "mallory", "AIDAMALLORY000000001", "AKIAMALLORY000000001")
    records = [
        ct.api_call(
            mallory,
            event_name="DeleteObject",
            event_source="s3.amazonaws.com",
            time=at + timedelta(seconds=3 * n),
            read_only=False,
            request={"bucketName": "finance", "key": f"f{n}"},
            category="Data",
        )
        for n in range(30)
    ]
    probes = [
        "ListUsers",
        "ListRoles",
        "GetAccountAuthorizationDetails",
        "ListBuckets",
        "ListSecrets",
        "ListKeys",
        "ListTables",
        "ListTopics",
        "ListQueues",
        "ListClusters",
        "DescribeTrails",
        "ListDetectors",
        "ListGroups",
        "ListPolicies",
        "ListFunctions20150331",
        "ListAccessKeys",
    ]
    records += [
        ct.api_call(
            mallory,
            event_name=name,
            time=at + timedelta(seconds=5 * n),
            error_code="AccessDenied",
            error_message="not authorized",
        )
        for n, name in enumerate(probes)
    ]
    records += [
        ct.api_call(
            mallory,
            event_name="GetSecretValue",
            event_source="secretsmanager.amazonaws.com",
            time=at + timedelta(seconds=4 * n),
            request={"secretId": f"prod/secret-{n}"},
        )
        for n in range(12)
    ]
    records.append(
        ct.api_call(
            mallory,
            event_name="RunInstances",
            event_source="ec2.amazonaws.com",
            time=at,
            region="sa-east-1",
            read_only=False,
        )
    )
    alice = ct.iam_user("100000000000", "alice-nomfa", "AIDAALICENOMFA000001", None)
    records.append(ct.console_login(alice, time=at))
    records.append(
        ct.api_call(
            {**alice, "accessKeyId": "ASIAALICECONSOLE0001"},
            event_name="CreateAccessKey",
            event_source="iam.amazonaws.com",
            time=at + timedelta(minutes=3),
            read_only=False,
        )
    )
    ops = ct.RoleSession("100000000000", "ops-admin", "AROAOPSADMIN00000001", "x", "ASIAOPSADMIN00000001", at)
    records.append(ct.assume_role(mallory, ops, time=at, source_ip="203.0.113.66"))
    records.append(
        ct.api_call(
            ct.assumed_role(ops),
            event_name="StopLogging",
            event_source="cloudtrail.amazonaws.com",
            time=at + timedelta(minutes=2),
            read_only=False,
        )
    )
    stolen = ct.RoleSession(
        "100000000007", "role-7", "AROAROLE000000000007", "i-0abc", "ASIASTOLEN0000000001", at
    )
    records.append(
        ct.api_call(
            ct.assumed_role(stolen),
            event_name="AttachUserPolicy",
            event_source="iam.amazonaws.com",
            time=at + timedelta(minutes=4),
            read_only=False,
        )
    )
    return records


def finding(at: datetime) -> bytes:
    spec = gd.FindingSpec(
        type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        severity=8.0,
        account="100000000007",
        created=at + timedelta(minutes=6),
        first_seen=at,
        last_seen=at + timedelta(minutes=5),
        resource=gd.access_key_resource(
            "ASIASTOLEN0000000001", "AROAROLE000000000007:i-0abc", "role-7", "AssumedRole"
        ),
    )
    return gd.export_lines([gd.finding(spec)])


def objects(records: list[dict[str, Any]], delay: timedelta) -> Iterator[tuple[bytes, datetime]]:
    """Records in delivery objects of :data:`PER_OBJECT`, each ingested ``delay`` after its last event."""
    records.sort(key=lambda record: record["eventTime"])
    for start in range(0, len(records), PER_OBJECT):
        chunk = records[start : start + PER_OBJECT]
        last = datetime.fromisoformat(chunk[-1]["eventTime"].replace("Z", "+00:00"))
        yield orjson.dumps({"Records": chunk}), last + delay


def load(client: OpenSearch, source: str, raw: bytes, ingested: datetime) -> int:
    body: list[dict[str, Any]] = []
    for item in normalize_object(io.BytesIO(raw), Origin(object="bench", ingested=iso(ingested)), source):
        if not isinstance(item, DeadLetter):
            body += [{"create": {"_index": f"siem-{source}"}}, item]
    for start in range(0, len(body), 10_000):
        response = client.bulk(body=body[start : start + 10_000])
        assert not response["errors"], "bench documents refused"
    return len(body) // 2


def populate(client: OpenSearch, events: int, seed: int = 17) -> int:
    rng = random.Random(seed)
    people = Population(rng)
    history = [
        people.call(START - timedelta(days=15) + timedelta(seconds=rng.random() * 15 * 86400))
        for _ in range(HISTORY_EVENTS)
    ]
    background = [people.call(START + timedelta(seconds=rng.random() * 3600)) for _ in range(events)]
    loaded = 0
    for raw, ingested in objects(
        history + background + attacks(START + timedelta(minutes=45)), timedelta(minutes=5)
    ):
        loaded += load(client, "cloudtrail", raw, ingested)
    loaded += load(client, "guardduty", finding(START + timedelta(minutes=45)), START + timedelta(minutes=52))
    while client.count(index="siem-cloudtrail,siem-guardduty")["count"] < loaded:
        time.sleep(0.5)
    return loaded


def typed_rules() -> list[Rule]:
    return [rule for rule in load_rules([RULES_DIR]) if not rule.is_event and rule.type != "silence"]


def run(events: int = DEFAULT_EVENTS) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with OsmemServer.start(japanese=False) as server:
        client = OpenSearch(hosts=[server.url], timeout=120)
        install_templates(client, "siem-")
        populate(client, events)
        settings = RunSettings(first_lookback=timedelta(minutes=30))
        terms = TermsStore(client, "siem-alerts-terms")
        for rule in typed_rules():
            checkpoint: Checkpoint | None = None
            for label, now in (
                ("first run", START + timedelta(hours=1)),
                ("next run", START + timedelta(minutes=65)),
            ):
                window = rule_window(rule, now, checkpoint, settings)
                in_window = client.count(
                    index=",".join(f"siem-{source}" for source in rule.sources),
                    body={
                        "query": {
                            "range": {"event.ingested": {"gte": iso(window.start), "lt": iso(window.end)}}
                        }
                    },
                    ignore_unavailable=True,
                )["count"]
                started = time.perf_counter()
                found = find_matches(client, rule, Sources(), window, terms)
                if found.commit is not None:
                    found.commit()
                elapsed = time.perf_counter() - started
                cost = found.cost
                rows.append(
                    {
                        "name": f"{rule.type} {rule.id} ({label})",
                        "window_events": in_window,
                        "searches": cost.searches,
                        "hits": cost.hits,
                        "buckets": cost.buckets,
                        "state_reads": cost.state_reads,
                        "state_writes": cost.state_writes,
                        "alerts": len(found.matches),
                        "ms": round(elapsed * 1000),
                    }
                )
                checkpoint = Checkpoint(window.end)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--silence", action="store_true", help="only the silence rules (benchmarks.silence)")
    parser.add_argument("--accounts", type=int, default=500, help="--silence: accounts in the organization")
    args = parser.parse_args()
    for row in silence.run(args.accounts) if args.silence else run(args.events):
        print("  ".join(f"{key}={value}" for key, value in row.items()))


if __name__ == "__main__":
    main()
