"""Context validation: every bad setting is reported, clearly, before anything is synthesized."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import DEAD_LETTER_PREFIX, Config, ConfigError

ORG = "o-a1b2c3d4e5"
TRAIL = "arn:aws:cloudtrail:us-east-1:222222222222:trail/org-trail"


def config(**context: Any) -> Config:
    return Config.from_context({"organizationId": ORG, "organizationTrailArn": TRAIL, **context}.get)


def problems(**context: Any) -> list[str]:
    """The problems of ``context`` (with the organization trail unless it says otherwise)."""
    with pytest.raises(ConfigError) as raised:
        Config.from_context({"organizationTrailArn": TRAIL, **context}.get)
    return raised.value.problems


def test_minimal_context_gives_a_public_new_bucket_deployment() -> None:
    settings = config()
    assert settings.log_bucket_name is None
    assert settings.network_access == "public" and settings.vpc is None
    assert settings.prefixes == {
        s: f"{s}/" for s in ("cloudtrail", "vpcflow", "guardduty", "securityhub", "config")
    }
    assert settings.logs_collection_name == "siem-logs" and settings.alerts_collection_name == "siem-alerts"
    assert settings.source_index("cloudtrail") == "siem-cloudtrail"


def test_values_given_as_cli_strings_are_converted() -> None:
    settings = config(
        analystPrincipalArns="arn:aws:iam::111111111111:role/A, arn:aws:iam::222222222222:role/B",
        ingestReservedConcurrency="25",
        keepOriginal="true",
        standbyReplicas="false",
    )
    assert settings.analyst_principal_arns == (
        "arn:aws:iam::111111111111:role/A",
        "arn:aws:iam::222222222222:role/B",
    )
    assert settings.ingest_reserved_concurrency == 25
    assert settings.keep_original is True and settings.standby_replicas is False


def test_json_list_from_cdk_json_is_accepted() -> None:
    arns = ["arn:aws:iam::111111111111:role/A", "arn:aws:sts::111111111111:assumed-role/Soc/alice"]
    assert config(analystPrincipalArns=arns).analyst_principal_arns == tuple(arns)


def test_missing_organization_id_is_named() -> None:
    [problem] = problems()
    assert "organizationId is required" in problem


@pytest.mark.parametrize("bad", ["org-123", "o-SHORT", "o-abc", "123456789012"])
def test_bad_organization_id(bad: str) -> None:
    [problem] = problems(organizationId=bad)
    assert problem.startswith(f"organizationId={bad!r} must be an organization id")


def test_bad_email_and_both_alert_targets() -> None:
    assert problems(organizationId=ORG, alertEmail="soc-at-example") == [
        "alertEmail='soc-at-example' must be an e-mail address"
    ]
    [both] = problems(
        organizationId=ORG, alertEmail="soc@example.com", alertTopicArn="arn:aws:sns:eu-west-1:111111111111:t"
    )
    assert "not both" in both


def test_overlapping_prefixes_are_rejected() -> None:
    [problem] = problems(organizationId=ORG, cloudtrailPrefix="logs/", vpcflowPrefix="logs/vpc/")
    assert "'logs/'" in problem and "'logs/vpc/'" in problem and "overlap" in problem


def test_a_source_prefix_may_not_contain_the_dead_letters() -> None:
    [problem] = problems(organizationId=ORG, guarddutyPrefix=DEAD_LETTER_PREFIX)
    assert "dead letters" in problem


def test_prefix_must_end_with_a_slash() -> None:
    [problem] = problems(organizationId=ORG, vpcflowPrefix="flows")
    assert problem.startswith("vpcflowPrefix='flows' must be a key prefix")


@pytest.mark.parametrize("bad", [".siem-", "_siem-", "SIEM-", "siem"])
def test_index_prefix_must_be_accepted_by_opensearch_serverless(bad: str) -> None:
    [problem] = problems(organizationId=ORG, indexPrefix=bad)
    assert problem.startswith(f"indexPrefix={bad!r}")


def test_vpc_access_needs_vpc_and_subnets() -> None:
    found = problems(organizationId=ORG, networkAccess="vpc")
    assert len(found) == 2
    assert any("vpcId" in p for p in found)
    assert any("subnetIds" in p for p in found)


def test_vpc_settings_are_parsed_and_the_endpoint_is_created_by_default() -> None:
    settings = config(networkAccess="vpc", vpcId="vpc-0123abcd", subnetIds="subnet-0a1b2c3d")
    assert settings.vpc is not None
    assert settings.vpc.subnet_ids == ("subnet-0a1b2c3d",)
    assert settings.vpc.endpoint_id is None and settings.vpc.public_dashboards is False
    assert settings.vpc.client_cidrs == ()


def test_an_existing_endpoint_and_public_dashboards_are_explicit_choices() -> None:
    settings = config(
        networkAccess="vpc",
        vpcEndpointId="vpce-0123456789abcdef0",
        vpcId="vpc-0123abcd",
        subnetIds=["subnet-0a1b2c3d", "subnet-0e1f2a3b"],
        publicDashboards="true",
    )
    assert settings.vpc is not None
    assert settings.vpc.endpoint_id == "vpce-0123456789abcdef0" and settings.vpc.public_dashboards is True


def test_client_networks_are_cidr_blocks_for_the_created_endpoint() -> None:
    base = {"networkAccess": "vpc", "vpcId": "vpc-0123abcd", "subnetIds": "subnet-0a1b2c3d"}
    settings = config(**base, vpcEndpointClientCidrs="10.20.0.0/16, fd00:10::/64")
    assert settings.vpc is not None and settings.vpc.client_cidrs == ("10.20.0.0/16", "fd00:10::/64")
    [problem] = problems(organizationId=ORG, **base, vpcEndpointClientCidrs="10.20.0.0/33")
    assert problem == "vpcEndpointClientCidrs: '10.20.0.0/33' is not a CIDR block (like 10.20.0.0/16)"
    [problem] = problems(
        organizationId=ORG,
        **base,
        vpcEndpointId="vpce-0123456789abcdef0",
        vpcEndpointClientCidrs="10.20.0.0/16",
    )
    assert problem.startswith("vpcEndpointClientCidrs applies to the endpoint the stack creates")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("vpcEndpointId", "vpce-0123456789abcdef0"),
        ("publicDashboards", "false"),
        ("vpcEndpointClientCidrs", "10.0.0.0/8"),
    ],
)
def test_private_network_keys_need_network_access_vpc(key: str, value: str) -> None:
    # publicDashboards=false with public collections would read as "Dashboards are private".
    [problem] = problems(organizationId=ORG, **{key: value})
    assert problem == f"{key} is set but networkAccess is 'public': set networkAccess=vpc"


def test_unknown_network_access() -> None:
    [problem] = problems(organizationId=ORG, networkAccess="private")
    assert "must be 'public' or 'vpc'" in problem


def test_numbers_out_of_range_and_not_numbers() -> None:
    found = problems(
        organizationId=ORG, logRetentionDays="0", ingestReservedConcurrency="many", ingestTimeoutSeconds=901
    )
    assert found == [
        "logRetentionDays='0' must be an integer from 1 to 3650",
        "ingestReservedConcurrency='many' must be an integer",
        "ingestTimeoutSeconds=901 must be an integer from 30 to 900",
        "objectLockRetentionDays=365 must not exceed logRetentionDays=0",
    ]


def test_analyst_principals_must_be_iam_arns() -> None:
    [problem] = problems(organizationId=ORG, analystPrincipalArns="alice@example.com")
    assert "not an IAM role, user or assumed-role ARN" in problem


def test_triage_principals_must_be_iam_arns_and_are_none_by_default() -> None:
    [problem] = problems(organizationId=ORG, triagePrincipalArns="oncall")
    assert problem == "triagePrincipalArns: 'oncall' is not an IAM role, user or assumed-role ARN"
    assert config(organizationId=ORG).triage_principal_arns == ()


def test_key_without_existing_bucket_is_rejected() -> None:
    [problem] = problems(
        organizationId=ORG, logBucketKmsKeyArn="arn:aws:kms:eu-west-1:111111111111:key/abc-1"
    )
    assert "only with logBucketName" in problem


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_context({"organizationId": "bad", "alertEmail": "x", "bulkMaxBytes": "1"}.get)
    message = str(raised.value)
    assert message.startswith("invalid CDK context:")
    assert "organizationId" in message and "alertEmail" in message and "bulkMaxBytes" in message


def test_an_ingest_timeout_must_leave_room_for_one_bulk_request() -> None:
    [problem] = problems(organizationId=ORG, ingestTimeoutSeconds=40)
    assert problem.startswith("ingestTimeoutSeconds=40 leaves no room for one bulk request")
    assert "at least 41" in problem
    assert config(ingestTimeoutSeconds=41).ingest_timeout_seconds == 41


def test_a_new_bucket_needs_the_organization_trail() -> None:
    [problem] = problems(organizationId=ORG, organizationTrailArn=None)
    assert problem.startswith("organizationTrailArn is required with a new log bucket")
    existing = config(organizationTrailArn=None, logBucketName="org-security-logs")
    assert existing.organization_trail_arn is None and existing.management_account_id is None


def test_the_trail_names_the_management_account() -> None:
    assert config().management_account_id == "222222222222"


@pytest.mark.parametrize(
    "bad",
    [
        "arn:aws:cloudtrail:us-east-1:2222:trail/org-trail",
        "arn:aws:s3:::org-trail",
        "org-trail",
        "arn:aws:cloudtrail:us-east-1:222222222222:eventdatastore/abc",
    ],
)
def test_a_bad_trail_arn_is_named(bad: str) -> None:
    [problem] = problems(organizationId=ORG, organizationTrailArn=bad)
    assert problem.startswith(f"organizationTrailArn={bad!r} must be a CloudTrail trail ARN")


def test_delegated_administrators_are_account_ids() -> None:
    assert config(delegatedAdminAccountIds="333333333333, 444444444444").delegated_admin_account_ids == (
        "333333333333",
        "444444444444",
    )
    assert config().delegated_admin_account_ids == ()
    [problem] = problems(organizationId=ORG, delegatedAdminAccountIds=["333333333333", "o-a1b2c3d4e5"])
    assert problem == "delegatedAdminAccountIds: 'o-a1b2c3d4e5' is not a 12-digit AWS account id"


def test_guardduty_opt_in_regions_are_region_names_for_the_delegated_administrators() -> None:
    chosen = config(delegatedAdminAccountIds="333333333333", guardDutyOptInRegions="me-south-1, af-south-1")
    assert chosen.guardduty_opt_in_regions == ("me-south-1", "af-south-1")
    assert config().guardduty_opt_in_regions == ()
    [problem] = problems(
        organizationId=ORG, delegatedAdminAccountIds="333333333333", guardDutyOptInRegions="me-south"
    )
    assert problem == "guardDutyOptInRegions: 'me-south' is not an AWS Region name like me-south-1"
    [problem] = problems(organizationId=ORG, guardDutyOptInRegions="me-south-1")
    assert problem.startswith("guardDutyOptInRegions applies only with delegatedAdminAccountIds")


def test_object_lock_retention_defaults_to_a_year_within_the_log_retention() -> None:
    assert config().object_lock_retention_days == 365
    assert config(objectLockRetentionDays="30", logRetentionDays="30").object_lock_retention_days == 30
    [problem] = problems(organizationId=ORG, objectLockRetentionDays=400, logRetentionDays=90)
    assert problem == "objectLockRetentionDays=400 must not exceed logRetentionDays=90"
    # An existing bucket's Object Lock is its owner's (docs/deploy.md): nothing to compare.
    assert config(logBucketName="org-security-logs", logRetentionDays=90).log_retention_days == 90
    [problem] = problems(organizationId=ORG, objectLockRetentionDays=0)
    assert problem == "objectLockRetentionDays=0 must be an integer from 1 to 3650"


def test_vpc_flow_formats_are_validated_and_kept_as_compact_json() -> None:
    formats = {"vpcflow/firehose/": "${version} ${srcaddr} ${dstaddr}", "/aws/vpc/": "srcaddr dstaddr"}
    assert config(vpcFlowFormats=formats).vpc_flow_formats == (
        '{"/aws/vpc/":"srcaddr dstaddr","vpcflow/firehose/":"version srcaddr dstaddr"}'
    )
    assert config(vpcFlowFormats='{"p/": "${srcaddr}"}').vpc_flow_formats == '{"p/":"srcaddr"}'
    assert config().vpc_flow_formats is None
    [problem] = problems(organizationId=ORG, vpcFlowFormats={"p/": "${version} ${bogus}"})
    assert problem.startswith("vpcFlowFormats:") and "'${bogus}' is not a VPC flow log field" in problem
    [problem] = problems(organizationId=ORG, vpcFlowFormats={f"p{n}/": "${srcaddr} " * 1 for n in range(200)})
    assert "more than the 2000" in problem
