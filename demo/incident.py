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

from demo import cloudtrail as ct
from demo.cast import BUCKET, REGION, WINDOW_END, WINDOW_START, Cast, cast
from demo.cloudtrail import Record
from demo.flow_events import flow_files
from demo.ids import Ids, iso
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

    def write(self, key: str, data: bytes, source: str, records: int, skipped: str | None = None) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        dead = sum(1 for letter in self.dead_letters if letter.key == key)
        self.objects.append(DemoObject(key, source, records, dead, skipped))

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
    guardduty: tuple[FindingTruth, ...] = ()
    securityhub: tuple[FindingTruth, ...] = ()
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
        writer.write(key, ct.gzip_bytes(body), "cloudtrail", len(group))
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
    writer.write(key, ct.gzip_bytes(body), "cloudtrail", 0, skipped="CloudTrail digest file")


# --- VPC Flow Logs ----------------------------------------------------------------------


def write_flows(writer: ObjectWriter, people: Cast, ids: Ids) -> None:
    for flow_file in flow_files(people, ids):
        if flow_file.bad_line is not None:
            writer.expect_dead_letter(ExpectedDeadLetter(
                flow_file.key, "vpcflow", "invalid record", f"line {flow_file.bad_line}",
                "a byte that is not UTF-8 in the interface id",
            ))
        data = flow_file.body if flow_file.parquet else ct.gzip_bytes(flow_file.body)
        writer.write(flow_file.key, data, "vpcflow", flow_file.records)
