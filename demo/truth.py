"""The ground truth of the demo incident: what happened, who did it, and what the files hold.

Detection, investigation and ingest tests assert against these values instead of
hard-coding ids, so the story can change (or the seed) without touching their code.
"""

from __future__ import annotations

from dataclasses import dataclass

from demo.records.cloudtrail import RoleSession
from normalizers import SOURCES


@dataclass(frozen=True, slots=True)
class DemoObject:
    """One S3 object of the demo and what the pipeline must make of it."""

    key: str
    """The object key, relative to the bucket (and to the directory it was written under)."""
    source: str
    """``cloudtrail``, ``vpcflow``, ``guardduty`` or ``securityhub``."""
    records: int
    """Records read from the object: documents + dead letters (0 for a skipped object)."""
    dead_letters: int = 0
    skipped: str | None = None
    """Why the pipeline skips the whole object (``CloudTrail digest file``), else ``None``."""
    delivery: str | None = None
    """The delivery path of an object that is not the service's own file (``cloudwatch_logs``:
    CloudWatch Logs payloads through Firehose; ``securitylake``: OCSF Parquet), else ``None``."""

    @property
    def documents(self) -> int:
        return self.records - self.dead_letters


@dataclass(frozen=True, slots=True)
class ExpectedDeadLetter:
    key: str
    source: str
    reason: str
    """The stable reason prefix (docs/schema.md "Dead letters"): ``invalid JSON``..."""
    position: str
    """As the normalizer reports it: ``line 3`` (1-based, header included for flow text)."""
    why: str
    """What is wrong with the record, for humans."""


@dataclass(frozen=True, slots=True)
class AttackEvent:
    """A CloudTrail event the attacker caused (each copy: cross-account calls log twice)."""

    event_id: str
    event_name: str
    event_source: str
    account_id: str
    """``recipientAccountId``: the account whose trail logged it."""
    access_key_id: str | None
    """The key the record names; ``None`` when it names none (a console sign-in, or the role
    owner's copy of a cross-account ``AssumeRole``, whose identity is ``AWSAccount``)."""
    source_ip: str
    time: str
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class FindingTruth:
    id: str
    """GuardDuty: the 32-hex finding id; Security Hub: the ASFF ``Id``."""
    source: str
    kind: str
    """GuardDuty: the finding type; Security Hub: the control id or the GuardDuty type."""
    account_id: str
    """The member account the finding is about (never the aggregating admin account)."""
    severity: float
    """Native scale: GuardDuty 0-10; Security Hub ``Severity.Normalized`` 0-100."""
    updated_at: str
    access_key_id: str | None = None
    remote_ip: str | None = None
    sample: bool = False
    compliance_status: str | None = None
    """Security Hub control findings: ``PASSED``/``FAILED``."""


@dataclass(frozen=True, slots=True)
class Incident:
    """Everything a test needs to know about the demo data written by ``write_incident``."""

    seed: int
    bucket: str
    """The bucket name the files assume (it appears inside CloudTrail digest files)."""
    window_start: str
    window_end: str
    region: str
    organization_id: str
    admin_account_id: str
    """The security account: GuardDuty administrator, Security Hub aggregator."""
    source_account_id: str
    """The member account of the compromised IAM user."""
    target_account_id: str
    """The member account of the chained roles, the instance and the exfiltrated bucket."""
    attacker_ip: str
    """API calls with the stolen key, the port scan and the SSH session come from here."""
    attacker_console_ip: str
    """The root console sign-in without MFA comes from here."""
    compromised_user_name: str
    compromised_user_arn: str
    compromised_user_id: str
    compromised_access_key_id: str
    """``AKIA...``: the stolen long-term key."""
    role_chain: tuple[RoleSession, ...]
    """The sessions in the order obtained; each was assumed with the previous one's key."""
    persistence_user_name: str
    persistence_access_key_id: str
    opened_security_group_id: str
    stopped_trail_arn: str
    exfiltrated_bucket: str
    exfiltrated_keys: tuple[str, ...]
    instance_id: str
    instance_private_ip: str
    instance_interface_id: str
    attack_events: tuple[AttackEvent, ...]
    guardduty_findings: tuple[FindingTruth, ...]
    securityhub_findings: tuple[FindingTruth, ...]
    objects: tuple[DemoObject, ...]
    dead_letters: tuple[ExpectedDeadLetter, ...]

    @property
    def attacker_ips(self) -> tuple[str, ...]:
        return (self.attacker_ip, self.attacker_console_ip)

    @property
    def final_session(self) -> RoleSession:
        """The last session of the chain: persistence, defense evasion and exfiltration."""
        return self.role_chain[-1]

    @property
    def account_ids(self) -> tuple[str, ...]:
        return (self.admin_account_id, self.source_account_id, self.target_account_id)

    def objects_of(self, source: str) -> tuple[DemoObject, ...]:
        """Every object holding the source's records, delivery paths' included."""
        return tuple(obj for obj in self.objects if obj.source == source)

    def files_of(self, source: str) -> tuple[DemoObject, ...]:
        """The objects in the source's own file format (not by a delivery path)."""
        return tuple(obj for obj in self.objects_of(source) if obj.delivery is None)

    @property
    def expected_records(self) -> dict[str, int]:
        """Records per source (documents + dead letters), skipped objects excluded."""
        return {source: sum(o.records for o in self.objects_of(source)) for source in SOURCES}

    @property
    def expected_documents(self) -> dict[str, int]:
        return {source: sum(o.documents for o in self.objects_of(source)) for source in SOURCES}

    @property
    def expected_dead_letters(self) -> dict[str, int]:
        return {source: sum(o.dead_letters for o in self.objects_of(source)) for source in SOURCES}
