"""A standard-specific control finding (consolidated control findings off: ``GeneratorId`` is
``<standard>/<control>``, no ``Compliance.SecurityControlId``) on the account itself is
investigated like the security control it stands for: the calls that change that setting, or
the root user's activity. The findings are the real ASR test findings (../shared/samples)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.records import cloudtrail as ct
from investigation import investigate
from investigation.controls import security_control
from tests.investigation.conftest import Siem

ACCOUNT = "111111111111"


@pytest.mark.parametrize(
    ("rule_id", "control"),
    [
        ("IAM.7", "IAM.7"),
        ("aws-foundational-security-best-practices/v/1.0.0/IAM.7", "IAM.7"),
        ("aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1", "CloudTrail.1"),
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.9", "IAM.15"),
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.14", "IAM.6"),
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/3.3", "CloudWatch.1"),
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/2.1", "CloudTrail.1"),
        ("pci-dss/v/3.2.1/PCI.IAM.8", "IAM.10"),
        ("pci-dss/v/3.2.1/PCI.CloudTrail.2", "CloudTrail.3"),
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/3.1", "CloudWatch.2"),
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/3.14", "CloudWatch.14"),
        ("pci-dss/v/3.2.1/PCI.EC2.1", "EC2.1"),
        ("pci-dss/v/3.2.1/PCI.AutoScaling.1", "AutoScaling.1"),
        # Not an account-level control of the map: the standard's own id, unchanged.
        ("arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1", None),
        ("pci-dss/v/3.2.1/PCI.EC2.2", None),
        (None, None),
    ],
)
def test_the_security_control_of_a_standard_control(rule_id: str | None, control: str | None) -> None:
    assert security_control(rule_id) == (control or rule_id)


def _sample(shared_dir: Path, name: str) -> dict[str, Any]:
    finding: dict[str, Any] = orjson.loads(
        (shared_dir / "samples/securityhub/asr-simtest" / name).read_bytes()
    )
    assert "SecurityControlId" not in finding.get("Compliance", {})
    assert finding["Resources"][0]["Id"] == f"AWS::::Account:{ACCOUNT}"
    return finding


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.integration
@pytest.mark.parametrize("name", ["afsbp-iam.7.json", "cis-19.json", "pci-iam.8.json"])
def test_a_standard_password_policy_control_finds_who_changed_the_policy(
    siem: Siem, shared_dir: Path, name: str
) -> None:
    finding = _sample(shared_dir, name)
    admin = ct.iam_user(ACCOUNT, "admin", "AIDAADMIN0000000001", "AKIAADMIN00000000001")
    changed = ct.api_call(
        admin,
        event_name="UpdateAccountPasswordPolicy",
        event_source="iam.amazonaws.com",
        time=_at(finding["LastObservedAt"]),
        read_only=False,
        request={"minimumPasswordLength": 6},
    )
    unrelated = ct.api_call(
        admin, event_name="ListUsers", event_source="iam.amazonaws.com", time=_at(finding["LastObservedAt"])
    )
    siem.cloudtrail([changed, unrelated])
    siem.securityhub([finding])

    report = investigate(siem.client, finding["Id"]).to_dict()

    assert report["finding"]["mode"] == "account"
    assert [action["action"] for action in report["what"]["actions"]] == ["UpdateAccountPasswordPolicy"]
    assert report["who"]["chain"][0]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"


@pytest.mark.integration
def test_cis_root_usage_alarm_control_finds_the_root_user(siem: Siem, shared_dir: Path) -> None:
    finding = _sample(shared_dir, "cis-33.json")
    when = _at(finding["LastObservedAt"])
    siem.cloudtrail(
        [
            ct.api_call(
                ct.root(ACCOUNT), event_name="ListBuckets", event_source="s3.amazonaws.com", time=when
            ),
            ct.api_call(
                ct.iam_user(ACCOUNT, "admin", "AIDAADMIN0000000001", "AKIAADMIN00000000001"),
                event_name="ListBuckets",
                event_source="s3.amazonaws.com",
                time=when,
            ),
        ]
    )
    siem.securityhub([finding])

    report = investigate(siem.client, finding["Id"]).to_dict()

    assert report["finding"]["mode"] == "account" and report["finding"]["control"] == "CloudWatch.1"
    assert report["what"]["events"] == 1
    assert report["who"]["chain"][0]["type"] == "Root"
