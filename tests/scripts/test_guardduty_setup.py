"""scripts/guardduty_setup.py against botocore's Stubber: every request is validated against
the GuardDuty and EC2 service models, and the expected requests are written from the GuardDuty
API reference (ListDetectors, ListPublishingDestinations, DescribePublishingDestination,
CreatePublishingDestination, UpdatePublishingDestination, GetDetector, UpdateDetector,
ListOrganizationAdminAccounts, EnableOrganizationAdminAccount,
DescribeOrganizationConfiguration, UpdateOrganizationConfiguration)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from scripts import guardduty_setup
from tests.scripts.stubs import Clients, stubbed_clients

BUCKET = "central-logs"
KEY = "arn:aws:kms:eu-west-1:111111111111:key/0b1f6a6e-1111-2222-3333-444455556666"
DESTINATION = f"arn:aws:s3:::{BUCKET}/guardduty"
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
ADMIN = "333333333333"


@pytest.fixture
def clients() -> Iterator[Clients]:
    with stubbed_clients() as found:
        yield found


def regions(clients: Clients, *statuses: tuple[str, str]) -> None:
    clients.stub("ec2", "us-east-1").add_response(
        "describe_regions",
        {"Regions": [{"RegionName": name, "OptInStatus": status} for name, status in statuses]},
        {"AllRegions": False},
    )


def detector(stub: Stubber, ids: list[str] | None = None) -> None:
    stub.add_response("list_detectors", {"DetectorIds": [DETECTOR] if ids is None else ids}, {})


def existing_export(stub: Stubber, destination: str = DESTINATION, status: str = "PUBLISHING") -> None:
    """The detector already exports (ListPublishingDestinations, DescribePublishingDestination)."""
    stub.add_response(
        "list_publishing_destinations",
        {"Destinations": [{"DestinationId": "d-1", "DestinationType": "S3", "Status": status}]},
        {"DetectorId": DETECTOR},
    )
    stub.add_response(
        "describe_publishing_destination",
        {
            "DestinationId": "d-1",
            "DestinationType": "S3",
            "Status": status,
            "PublishingFailureStartTimestamp": 0 if status == "PUBLISHING" else 1700000000000,
            "DestinationProperties": {"DestinationArn": destination, "KmsKeyArn": KEY},
        },
        {"DetectorId": DETECTOR, "DestinationId": "d-1"},
    )


def run(clients: Clients, *argv: str) -> int:
    return guardduty_setup.main(list(argv), clients)


EXPORT = ("export", "--bucket", BUCKET, "--key-arn", KEY)


def test_export_in_every_region_that_needs_no_opt_in(
    clients: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    regions(
        clients,
        ("eu-west-1", "opt-in-not-required"),
        ("us-east-1", "opt-in-not-required"),
        ("me-south-1", "opted-in"),
    )
    for region in ("eu-west-1", "us-east-1"):
        stub = clients.stub("guardduty", region)
        detector(stub)
        stub.add_response("list_publishing_destinations", {"Destinations": []}, {"DetectorId": DETECTOR})
        stub.add_response(
            "create_publishing_destination",
            {"DestinationId": "d-1"},
            {
                "DetectorId": DETECTOR,
                "DestinationType": "S3",
                "DestinationProperties": {"DestinationArn": DESTINATION, "KmsKeyArn": KEY},
            },
        )
    assert run(clients, *EXPORT) == 0
    out = capsys.readouterr().out
    assert (
        "eu-west-1        created       detector 12abc34d567e8fa901bc2d34e56789f0: export to arn:aws:s3:::central-logs/guardduty"
        in out
    )
    assert "me-south-1" not in out and out.endswith("2 regions, 0 failed\n")


def test_a_second_run_changes_nothing(clients: Clients, capsys: pytest.CaptureFixture[str]) -> None:
    stub = clients.stub("guardduty", "eu-west-1")
    detector(stub)
    existing_export(stub)
    stub.add_response(
        "get_detector",
        {"FindingPublishingFrequency": "FIFTEEN_MINUTES", "ServiceRole": "r", "Status": "ENABLED"},
        {"DetectorId": DETECTOR},
    )
    assert run(clients, *EXPORT, "--regions", "eu-west-1", "--frequency", "FIFTEEN_MINUTES") == 0
    assert (
        "eu-west-1        unchanged     detector 12abc34d567e8fa901bc2d34e56789f0 exports to"
        in capsys.readouterr().out
    )


def test_an_export_elsewhere_is_moved_and_the_frequency_set(
    clients: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    stub = clients.stub("guardduty", "eu-west-1")
    detector(stub)
    existing_export(stub, "arn:aws:s3:::old-findings")
    stub.add_response(
        "update_publishing_destination",
        {},
        {
            "DetectorId": DETECTOR,
            "DestinationId": "d-1",
            "DestinationProperties": {"DestinationArn": DESTINATION, "KmsKeyArn": KEY},
        },
    )
    stub.add_response(
        "get_detector",
        {"FindingPublishingFrequency": "SIX_HOURS", "ServiceRole": "r", "Status": "ENABLED"},
        {"DetectorId": DETECTOR},
    )
    stub.add_response(
        "update_detector", {}, {"DetectorId": DETECTOR, "FindingPublishingFrequency": "FIFTEEN_MINUTES"}
    )
    assert run(clients, *EXPORT, "--regions", "eu-west-1", "--frequency", "FIFTEEN_MINUTES") == 0
    out = capsys.readouterr().out
    assert (
        "updated       detector 12abc34d567e8fa901bc2d34e56789f0: export arn:aws:s3:::old-findings -> " in out
    )
    assert "SIX_HOURS -> FIFTEEN_MINUTES" in out


def test_dry_run_changes_nothing(clients: Clients, capsys: pytest.CaptureFixture[str]) -> None:
    stub = clients.stub("guardduty", "eu-west-1")
    detector(stub)
    stub.add_response("list_publishing_destinations", {"Destinations": []}, {"DetectorId": DETECTOR})
    assert run(clients, *EXPORT, "--regions", "eu-west-1", "--dry-run") == 0
    assert "eu-west-1        would create  detector" in capsys.readouterr().out


def test_a_broken_export_and_a_missing_detector_fail(
    clients: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = clients.stub("guardduty", "eu-west-1")
    detector(broken)
    existing_export(broken, status="UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY")
    detector(clients.stub("guardduty", "us-east-1"), ids=[])
    denied = clients.stub("guardduty", "ap-south-1")
    denied.add_client_error(
        "list_detectors", service_error_code="AccessDeniedException", service_message="denied by an SCP"
    )
    assert run(clients, *EXPORT, "--regions", "eu-west-1", "us-east-1", "ap-south-1") == 1
    out = capsys.readouterr().out
    assert (
        "UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY (check the bucket and key policies: this account in "
        "delegatedAdminAccountIds, an opt-in Region in guardDutyOptInRegions)"
    ) in out
    assert "us-east-1        failed        no detector" in out
    assert "ap-south-1       failed        An error occurred (AccessDeniedException)" in out
    assert out.endswith("3 regions, 3 failed: eu-west-1 us-east-1 ap-south-1\n")


def test_delegate_in_each_region_once(clients: Clients, capsys: pytest.CaptureFixture[str]) -> None:
    done = clients.stub("guardduty", "eu-west-1")
    done.add_response(
        "list_organization_admin_accounts",
        {"AdminAccounts": [{"AdminAccountId": ADMIN, "AdminStatus": "ENABLED"}]},
        {},
    )
    todo = clients.stub("guardduty", "us-east-1")
    todo.add_response("list_organization_admin_accounts", {"AdminAccounts": []}, {})
    todo.add_response("enable_organization_admin_account", {}, {"AdminAccountId": ADMIN})
    other = clients.stub("guardduty", "us-west-2")
    other.add_response(
        "list_organization_admin_accounts",
        {"AdminAccounts": [{"AdminAccountId": "444444444444", "AdminStatus": "ENABLED"}]},
        {},
    )
    assert run(clients, "delegate", ADMIN, "--regions", "eu-west-1", "us-east-1", "us-west-2") == 1
    out = capsys.readouterr().out
    assert f"eu-west-1        unchanged     {ADMIN} is the delegated administrator" in out
    assert f"us-east-1        created       {ADMIN} is now the delegated administrator" in out
    assert (
        "us-west-2        failed        444444444444 is the delegated administrator: disable it first" in out
    )


def test_auto_enable_every_member(clients: Clients, capsys: pytest.CaptureFixture[str]) -> None:
    stub = clients.stub("guardduty", "eu-west-1")
    detector(stub)
    stub.add_response(
        "describe_organization_configuration",
        {"AutoEnableOrganizationMembers": "NEW", "MemberAccountLimitReached": False},
        {"DetectorId": DETECTOR},
    )
    stub.add_response(
        "update_organization_configuration",
        {},
        {"DetectorId": DETECTOR, "AutoEnableOrganizationMembers": "ALL"},
    )
    assert run(clients, "auto-enable", "--regions", "eu-west-1") == 0
    assert "eu-west-1        updated       auto-enable NEW -> ALL" in capsys.readouterr().out


def test_unusable_credentials_print_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert guardduty_setup.main(["auto-enable", "--profile", "no-such-profile"]) == 2
    assert (
        capsys.readouterr().err
        == "guardduty_setup.py: The config profile (no-such-profile) could not be found\n"
    )


def test_the_destination_keeps_the_partition_and_drops_the_slash() -> None:
    gov_key = "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/k"
    assert guardduty_setup.destination_arn("b", "guardduty/", gov_key) == "arn:aws-us-gov:s3:::b/guardduty"


@pytest.mark.parametrize("command", [[], ["export"]])
def test_help_sends_opt_in_regions_to_guard_duty_opt_in_regions(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The bucket and key policies admit an opt-in Region's GuardDuty principal only when the
    # central stack lists the Region in this context value (infra/config.py, infra/storage.py).
    with pytest.raises(SystemExit) as done:
        guardduty_setup.main([*command, "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "guardduty.<region>.amazonaws.com" in text
    assert "cdk deploy -c guardDutyOptInRegions=me-south-1,af-south-1" in text
