"""Write the demo incident: raw AWS log objects, laid out in S3 keys as AWS names them.

One actor, one set of keys and addresses, across four sources (docs/demo.md tells the
story). ``write_incident(directory)`` writes the objects under ``directory`` (the relative
path of each file is its S3 key) and returns the :class:`~demo.truth.Incident` ground truth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from demo.cast import BUCKET, REGION, WINDOW_END, WINDOW_START, Cast, cast
from demo.delivery_events import delivery_objects
from demo.finding_events import StoryFindings, story_findings
from demo.flow_events import flow_files
from demo.ids import Ids, iso
from demo.records import cloudtrail as ct
from demo.records import config as cfg
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from demo.records.cloudtrail import Record
from demo.records.compression import gzip_bytes
from demo.trail_events import TrailLog, attack, background
from demo.truth import DemoObject, ExpectedDeadLetter, FindingTruth, Incident

# CloudTrail delivers a log file about every five minutes; a wider slot keeps the demo to
# a readable number of files while still spreading each account over several of them.
_TRAIL_SLOT = timedelta(minutes=15)


@dataclass
class ObjectWriter:
    """Writes objects under a directory and remembers what each one must yield."""

    root: Path
    objects: list[DemoObject] = field(default_factory=list)
    dead_letters: list[ExpectedDeadLetter] = field(default_factory=list)

    def write(
        self,
        key: str,
        data: bytes,
        source: str,
        records: int,
        skipped: str | None = None,
        delivery: str | None = None,
    ) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        dead = sum(1 for letter in self.dead_letters if letter.key == key)
        self.objects.append(DemoObject(key, source, records, dead, skipped, delivery))

    def expect_dead_letter(self, letter: ExpectedDeadLetter) -> None:
        """Declare before :meth:`write` so the object's count includes it."""
        self.dead_letters.append(letter)


def write_incident(directory: Path, seed: int = 7) -> Incident:
    """Write every object of the incident under ``directory``; same seed, same bytes."""
    ids = Ids(seed)
    people = cast(ids)
    writer = ObjectWriter(Path(directory))
    log = TrailLog(ids)
    background(log, people)
    attack(log, people)
    write_cloudtrail(writer, log.records, people, ids)
    write_flows(writer, people, ids)
    story = story_findings(people, ids)
    guardduty = write_guardduty(writer, story, people, ids)
    securityhub = write_securityhub(writer, story, people, ids)
    for delivered in delivery_objects(people, ids):
        writer.write(
            delivered.key, delivered.body, delivered.source, delivered.records, delivery=delivered.delivery
        )
    write_config(writer, log, people)
    return Incident(
        seed=seed,
        bucket=BUCKET,
        window_start=iso(WINDOW_START),
        window_end=iso(WINDOW_END),
        region=REGION,
        organization_id=people.organization_id,
        admin_account_id=people.admin_account,
        source_account_id=people.dev_account,
        target_account_id=people.prod_account,
        attacker_ip=people.attacker_ip,
        attacker_console_ip=people.attacker_console_ip,
        compromised_user_name=people.ci_user,
        compromised_user_arn=people.ci_user_arn,
        compromised_user_id=people.ci_user_id,
        compromised_access_key_id=people.ci_key,
        role_chain=(people.deploy_role, people.admin_role),
        persistence_user_name=people.backdoor_user,
        persistence_access_key_id=people.backdoor_key,
        opened_security_group_id=people.security_group,
        stopped_trail_arn=people.stopped_trail_arn,
        exfiltrated_bucket=people.data_bucket,
        exfiltrated_keys=people.data_keys,
        instance_id=people.instance_id,
        instance_private_ip=people.instance_ip,
        instance_interface_id=people.instance_eni,
        attack_events=tuple(sorted(log.attack, key=lambda e: e.time)),
        guardduty_findings=guardduty,
        securityhub_findings=securityhub,
        objects=tuple(writer.objects),
        dead_letters=tuple(writer.dead_letters),
    )


# --- CloudTrail -------------------------------------------------------------------------


def _slot(moment: datetime) -> datetime:
    minutes = int(_TRAIL_SLOT.total_seconds() // 60)
    return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)


def write_cloudtrail(writer: ObjectWriter, records: list[Record], people: Cast, ids: Ids) -> None:
    """One log file per account, region and slot; then a digest file listing prod's files."""
    groups: dict[tuple[str, str, datetime], list[Record]] = defaultdict(list)
    for record in records:
        moment = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
        groups[(record["recipientAccountId"], record["awsRegion"], _slot(moment))].append(record)
    delivered: list[tuple[datetime, ct.DeliveredLog]] = []
    for (account, region, slot), group in sorted(groups.items()):
        group.sort(key=lambda r: r["eventTime"])
        delivery = slot + _TRAIL_SLOT + timedelta(minutes=ids.random.randint(2, 6))
        key = ct.log_file_key(account, region, delivery, ids.mixed_alnum(16))
        body = ct.log_file_json(group)
        writer.write(key, gzip_bytes(body), "cloudtrail", len(group))
        if account == people.prod_account and region == REGION:
            log = ct.DeliveredLog(key, body, group[0]["eventTime"], group[-1]["eventTime"])
            delivered.append((delivery, log))
    _write_digest(writer, people, ids, delivered)


def _write_digest(
    writer: ObjectWriter, people: Cast, ids: Ids, delivered: list[tuple[datetime, ct.DeliveredLog]]
) -> None:
    start = WINDOW_START.replace(hour=9, minute=1, second=31)
    end = start + timedelta(hours=1)
    logs = [log for when, log in delivered if start <= when < end]
    key = ct.digest_key(people.prod_account, REGION, people.trail_name, end)
    body = ct.digest_file_json(people.prod_account, BUCKET, key, start, end, logs, ids)
    writer.write(key, gzip_bytes(body), "cloudtrail", 0, skipped="CloudTrail digest file")


# --- VPC Flow Logs ----------------------------------------------------------------------


def write_flows(writer: ObjectWriter, people: Cast, ids: Ids) -> None:
    for flow_file in flow_files(people, ids):
        if flow_file.bad_line is not None:
            writer.expect_dead_letter(
                ExpectedDeadLetter(
                    flow_file.key,
                    "vpcflow",
                    "invalid record",
                    f"line {flow_file.bad_line}",
                    "a byte that is not UTF-8 in the interface id",
                )
            )
        data = flow_file.body if flow_file.parquet else gzip_bytes(flow_file.body)
        writer.write(flow_file.key, data, "vpcflow", flow_file.records)


# --- GuardDuty --------------------------------------------------------------------------


def write_guardduty(
    writer: ObjectWriter, story: StoryFindings, people: Cast, ids: Ids
) -> tuple[FindingTruth, ...]:
    """Two exports from the administrator account; the second holds one record damaged in transit."""
    first_key = gd.export_key(people.admin_account, REGION, WINDOW_START, ids.uuid())
    writer.write(
        first_key,
        gzip_bytes(gd.export_lines(story.first_export)),
        "guardduty",
        len(story.first_export),
    )
    second_key = gd.export_key(people.admin_account, REGION, WINDOW_START, ids.uuid())
    # The same JSON with one comma lost: braces and quotes still balance, so only this record is bad.
    damaged = gd.export_lines([story.second_export[0]]).rstrip(b"\n").replace(b',"title":', b' "title":', 1)
    bad_index = 1
    records: list[Record | bytes] = list(story.second_export)
    records.insert(bad_index, damaged)
    writer.expect_dead_letter(
        ExpectedDeadLetter(
            second_key,
            "guardduty",
            "invalid JSON",
            f"record {bad_index}",
            "a comma missing between two fields",
        )
    )
    writer.write(second_key, gzip_bytes(gd.export_lines(records)), "guardduty", len(records))
    return tuple(_guardduty_truth(f) for f in story.first_export + story.second_export)


def _guardduty_truth(finding: Record) -> FindingTruth:
    key = finding["resource"].get("accessKeyDetails", {}).get("accessKeyId")
    return FindingTruth(
        id=finding["id"],
        source="guardduty",
        kind=finding["type"],
        account_id=finding["accountId"],
        severity=finding["severity"],
        updated_at=finding["updatedAt"],
        access_key_id=key,
        remote_ip=_remote_ip(finding["service"].get("action") or {}),
        sample=bool(finding["service"]["additionalInfo"].get("sample", False)),
    )


def _remote_ip(action: Record) -> str | None:
    for name in ("awsApiCallAction", "networkConnectionAction"):
        if name in action:
            return str(action[name]["remoteIpDetails"]["ipAddressV4"])
    probes = action.get("portProbeAction", {}).get("portProbeDetails", [])
    return str(probes[0]["remoteIpDetails"]["ipAddressV4"]) if probes else None


# --- Security Hub -----------------------------------------------------------------------

_FIREHOSE_PREFIX = "securityhub/"
_FIREHOSE_STREAM = "siem-securityhub-findings"


def write_securityhub(
    writer: ObjectWriter, story: StoryFindings, people: Cast, ids: Ids
) -> tuple[FindingTruth, ...]:
    """Two Firehose objects: GuardDuty imports (gzip), then control results (uncompressed)."""
    batches = ((sorted(story.imported, key=_updated), True), (sorted(story.controls, key=_updated), False))
    truths: list[FindingTruth] = []
    for batch, compressed in batches:
        events = [sh.imported_event(f, people.admin_account, ids.uuid()) for f in batch]
        delivered = datetime.fromisoformat(_updated(batch[-1]).replace("Z", "+00:00")) + timedelta(minutes=5)
        key = sh.firehose_key(_FIREHOSE_PREFIX, _FIREHOSE_STREAM, delivered, ids, gzip=compressed)
        body = sh.firehose_body(events)
        writer.write(key, gzip_bytes(body) if compressed else body, "securityhub", len(batch))
        truths.extend(_securityhub_truth(f) for f in batch)
    return tuple(truths)


def _updated(finding: Record) -> str:
    return str(finding["UpdatedAt"])


def _securityhub_truth(finding: Record) -> FindingTruth:
    key_resources = [r for r in finding["Resources"] if r["Type"] == "AwsIamAccessKey"]
    compliance = finding.get("Compliance", {})
    guardduty_type = finding["Types"][0].rsplit("/", 1)[-1].replace("-", "/", 1)
    action = {k[:1].lower() + k[1:]: v for k, v in finding.get("Action", {}).items()}
    return FindingTruth(
        id=finding["Id"],
        source="securityhub",
        kind=compliance.get("SecurityControlId") or guardduty_type,
        account_id=finding["AwsAccountId"],
        severity=float(finding["Severity"]["Normalized"]),
        updated_at=finding["UpdatedAt"],
        access_key_id=key_resources[0]["Details"]["AwsIamAccessKey"]["AccessKeyId"]
        if key_resources
        else None,
        remote_ip=_asff_remote_ip(action),
        sample=bool(finding.get("Sample", False)),
        compliance_status=compliance.get("Status"),
    )


def _asff_remote_ip(action: Record) -> str | None:
    for name in ("awsApiCallAction", "networkConnectionAction"):
        if name in action:
            return str(action[name]["RemoteIpDetails"]["IpAddressV4"])
    probes = action.get("portProbeAction", {}).get("PortProbeDetails", [])
    return str(probes[0]["RemoteIpDetails"]["IpAddressV4"]) if probes else None


# --- AWS Config -------------------------------------------------------------------------


def write_config(writer: ObjectWriter, log: TrailLog, people: Cast) -> None:
    """Prod's Config delivery: the writability probe, then one history file holding the
    attacker's two changes (the opened security group, the backdoor user, each naming the
    CloudTrail event behind it in ``relatedEvents``) and the rules' verdicts on them."""
    account = people.prod_account
    writer.write(
        cfg.writability_check_key(account), b"", "config", 0, skipped="AWS Config writability check file"
    )
    changes = {(e.event_name, e.account_id): e for e in log.attack}
    opened = changes[("AuthorizeSecurityGroupIngress", account)]
    created = changes[("CreateUser", account)]
    opened_at = datetime.fromisoformat(opened.time.replace("Z", "+00:00")) + timedelta(seconds=41)
    created_at = datetime.fromisoformat(created.time.replace("Z", "+00:00")) + timedelta(seconds=37)
    group_arn = f"arn:aws:ec2:{REGION}:{account}:security-group/{people.security_group}"
    items = [
        cfg.configuration_item(
            account,
            "global",
            "AWS::IAM::User",
            people.backdoor_user_id,
            created_at,
            {"userName": people.backdoor_user, "userId": people.backdoor_user_id, "path": "/"},
            status="ResourceDiscovered",
            arn=f"arn:aws:iam::{account}:user/{people.backdoor_user}",
            name=people.backdoor_user,
            related_events=(created.event_id,),
        ),
        cfg.configuration_item(
            account,
            REGION,
            "AWS::EC2::SecurityGroup",
            people.security_group,
            opened_at,
            {
                "groupId": people.security_group,
                "vpcId": people.vpc_id,
                "ipPermissions": [
                    {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": ["0.0.0.0/0"]}
                ],
            },
            arn=group_arn,
            related_events=(opened.event_id,),
            relationships=(
                {"resourceId": people.vpc_id, "resourceType": "AWS::EC2::VPC", "name": "Is contained in Vpc"},
            ),
        ),
        cfg.resource_compliance_item(
            account,
            REGION,
            "AWS::EC2::SecurityGroup",
            people.security_group,
            opened_at + timedelta(minutes=2),
            (
                ("restricted-ssh", "NON_COMPLIANT"),
                ("securityhub-vpc-sg-restricted-common-ports-5d1f2a", "NON_COMPLIANT"),
            ),
        ),
        cfg.resource_compliance_item(
            account,
            "global",
            "AWS::IAM::User",
            people.backdoor_user_id,
            created_at + timedelta(minutes=2),
            (("iam-user-mfa-enabled", "NON_COMPLIANT"), ("iam-user-no-policies-check", "COMPLIANT")),
        ),
    ]
    documents = 2 + 2 + 2  # two items, then one document per rule of each compliance item
    start = min(created_at, opened_at).replace(minute=0, second=0, microsecond=0)
    key = cfg.history_key(account, REGION, "AWS::EC2::SecurityGroup", start, start + timedelta(hours=1))
    writer.write(key, gzip_bytes(cfg.history_file(items)), "config", documents)
