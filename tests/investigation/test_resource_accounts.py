"""A resource investigation matches a resource's short id (a user name) in the resource's own
account only: an organization has the same names in many accounts, and another account's
"sharrtest" is not this finding's resource. The finding is the real ASR test finding IAM.8 on
the IAM user ``sharrtest`` of 111111111111 (../shared/samples)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.records import cloudtrail as ct
from investigation import investigate
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

ACCOUNT, OTHER = "111111111111", "222222222222"


def _delete_login_profile(account: str, admin: str, when: datetime) -> dict[str, Any]:
    return ct.api_call(
        ct.iam_user(account, admin, f"AIDA{admin.upper():0<17}", f"AKIA{admin.upper():0<16}"),
        event_name="DeleteLoginProfile",
        event_source="iam.amazonaws.com",
        time=when,
        read_only=False,
        request={"userName": "sharrtest"},
    )


def test_the_same_user_name_in_another_account_is_not_the_resource(siem: Siem, shared_dir: Path) -> None:
    finding = orjson.loads((shared_dir / "samples/securityhub/asr-simtest/afsbp-iam.8.json").read_bytes())
    assert finding["Resources"][0]["Id"] == f"arn:aws:iam::{ACCOUNT}:user/sharrtest"
    when = datetime.fromisoformat(finding["LastObservedAt"].replace("Z", "+00:00")).astimezone(UTC)
    siem.cloudtrail(
        [_delete_login_profile(ACCOUNT, "alice", when), _delete_login_profile(OTHER, "mallory", when)]
    )
    siem.securityhub([finding])

    report = investigate(siem.client, finding["Id"]).to_dict()

    assert report["finding"]["mode"] == "resource"
    assert [identity["arn"] for identity in report["who"]["identities"]] == [
        f"arn:aws:iam::{ACCOUNT}:user/alice"
    ]
    assert report["what"]["events"] == 1
    assert report["timeline"]["events"] == 1
