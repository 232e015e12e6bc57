"""The member-account stack: findings -> Firehose -> the central bucket, deployable by StackSets."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from tests.infra.cfn import as_list, render, resources
from tests.infra.conftest import REGION, Assembly

pytestmark = pytest.mark.slow


def streams(member: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(member, "AWS::KinesisFirehose::DeliveryStream")


def test_stack_is_parameterized_and_needs_no_bootstrap(member: dict[str, Any], assembly: Assembly) -> None:
    # StackSets deploy a plain template: no CDK bootstrap version check, no file assets.
    assert set(member["Parameters"]) == {
        "LogBucketName",
        "LogBucketKeyArn",
        "GuarddutyPrefix",
        "SecurityhubPrefix",
        "GuarddutyRuleState",
    }
    assert member["Parameters"]["GuarddutyPrefix"]["Default"] == "guardduty/"
    assert "Rules" not in member
    manifest = json.loads((assembly.directory / "manifest.json").read_text())
    member_artifacts = [name for name in manifest["artifacts"] if name.startswith("AwsSiemMemberFindings")]
    assert member_artifacts == ["AwsSiemMemberFindings"]
    assert "AwsSiemMemberFindings.assets" not in manifest["artifacts"]


def test_one_encrypted_gzip_stream_per_finding_source(member: dict[str, Any]) -> None:
    found = streams(member)
    assert len(found) == 2
    prefixes = set()
    for stream in found.values():
        props = stream["Properties"]
        assert props["DeliveryStreamType"] == "DirectPut"
        assert props["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
        s3 = props["ExtendedS3DestinationConfiguration"]
        assert s3["CompressionFormat"] == "GZIP"
        assert (
            render(s3["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"])
            == "<LogBucketKeyArn>"
        )
        assert render(s3["BucketARN"]).endswith(":s3:::<LogBucketName>")
        assert s3["ProcessingConfiguration"]["Processors"] == [{"Type": "AppendDelimiterToRecord"}]
        prefixes.add(render(s3["Prefix"]).split("AWSLogs/")[0])
    assert prefixes == {"<GuarddutyPrefix>", "<SecurityhubPrefix>"}


@pytest.mark.parametrize(
    ("source", "detail_types"),
    [
        ("aws.guardduty", ["GuardDuty Finding"]),
        ("aws.securityhub", ["Security Hub Findings - Imported", "Findings Imported V2"]),  # ASFF, OCSF
    ],
)
def test_rules_send_findings_to_their_stream(
    member: dict[str, Any], source: str, detail_types: list[str]
) -> None:
    [rule] = [
        r
        for r in resources(member, "AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["source"] == [source]
    ]
    assert rule["Properties"]["EventPattern"]["detail-type"] == detail_types
    [target] = rule["Properties"]["Targets"]
    stream_id = render(target["Arn"]).strip("<>").removesuffix(".Arn")
    assert stream_id in streams(member)
    prefix_parameter = "GuarddutyPrefix" if source == "aws.guardduty" else "SecurityhubPrefix"
    stream_prefix = render(
        streams(member)[stream_id]["Properties"]["ExtendedS3DestinationConfiguration"]["Prefix"]
    )
    assert stream_prefix.startswith(f"<{prefix_parameter}>")


def test_the_guardduty_rule_can_be_turned_off_where_the_export_delivers(member: dict[str, Any]) -> None:
    states = {
        r["Properties"]["EventPattern"]["source"][0]: render(r["Properties"]["State"])
        for r in resources(member, "AWS::Events::Rule").values()
    }
    assert states == {"aws.guardduty": "<GuarddutyRuleState>", "aws.securityhub": "ENABLED"}
    parameter = member["Parameters"]["GuarddutyRuleState"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("ENABLED", ["ENABLED", "DISABLED"])


def test_delivery_role_name_is_admitted_by_the_central_bucket_policy(
    member: dict[str, Any], central: dict[str, Any]
) -> None:
    [role] = [
        r
        for r in resources(member, "AWS::IAM::Role").values()
        if "firehose.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    role_name = render(role["Properties"]["RoleName"]).replace("<AWS::Region>", REGION)
    patterns = {
        render(s["Condition"]["ArnLike"]["aws:PrincipalArn"]).rsplit("/", 1)[1]
        for p in resources(central, "AWS::S3::BucketPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "aws:PrincipalArn" in s.get("Condition", {}).get("ArnLike", {})
    }
    [pattern] = patterns
    assert fnmatch.fnmatch(role_name, pattern)


def test_delivery_role_writes_only_its_own_account_and_region(member: dict[str, Any]) -> None:
    puts = [
        s
        for p in resources(member, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "s3:PutObject" in as_list(s["Action"])
    ]
    [put] = puts
    assert sorted(render(r).split(":s3:::", 1)[1] for r in put["Resource"]) == [
        "<LogBucketName>/<GuarddutyPrefix>AWSLogs/<AWS::AccountId>/firehose-errors/<AWS::Region>/*",
        "<LogBucketName>/<GuarddutyPrefix>AWSLogs/<AWS::AccountId>/firehose/<AWS::Region>/*",
        "<LogBucketName>/<SecurityhubPrefix>AWSLogs/<AWS::AccountId>/firehose-errors/<AWS::Region>/*",
        "<LogBucketName>/<SecurityhubPrefix>AWSLogs/<AWS::AccountId>/firehose/<AWS::Region>/*",
    ]


def test_delivery_role_lists_only_its_own_account(member: dict[str, Any]) -> None:
    [listing] = [
        s
        for p in resources(member, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "s3:ListBucket" in as_list(s["Action"])
    ]
    assert sorted(render(v) for v in listing["Condition"]["StringLike"]["s3:prefix"]) == [
        "<GuarddutyPrefix>AWSLogs/<AWS::AccountId>/*",
        "<SecurityhubPrefix>AWSLogs/<AWS::AccountId>/*",
    ]
