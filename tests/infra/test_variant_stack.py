"""The other branches of the configuration: existing bucket and topic, private collections."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import as_list, by_name, only, policy_document, render, resources, statements
from tests.infra.conftest import (
    ANALYST_NETWORK,
    EXISTING_BUCKET,
    EXISTING_KEY,
    EXISTING_TOPIC,
    SUBNETS,
    VPC_ID,
)

pytestmark = pytest.mark.slow


def test_existing_bucket_is_used_not_created(variant: dict[str, Any]) -> None:
    # The only buckets the stack creates are its state bucket (the account directory) and the
    # reports bucket.
    ours = ("StateBucket", "ReportsBucket")
    assert [n for n in resources(variant, "AWS::S3::Bucket") if not any(o in n for o in ours)] == []
    assert all(
        any(name in render(p["Properties"]["Bucket"]) for name in ours)
        for p in resources(variant, "AWS::S3::BucketPolicy").values()
    )
    _, notifications = only(variant, "Custom::S3BucketNotifications")
    assert notifications["Properties"]["BucketName"] == EXISTING_BUCKET
    # The handler merges with notifications the bucket already has instead of replacing them.
    assert notifications["Properties"]["Managed"] is False


def test_ingest_may_decrypt_with_the_existing_key(variant: dict[str, Any]) -> None:
    [ingest] = [
        f
        for f in resources(variant, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "ingest.handler.lambda_handler"
    ]
    role = ingest["Properties"]["Role"]["Fn::GetAtt"][0]
    kms = [s for s in statements(variant, role) if "kms:Decrypt" in as_list(s["Action"])]
    assert [s["Resource"] for s in kms] == [EXISTING_KEY]
    reads = [s for s in statements(variant, role) if "s3:GetObject" in as_list(s["Action"])]
    log_reads = [render(r) for s in reads for r in as_list(s["Resource"]) if "StateBucket" not in render(r)]
    assert log_reads and all(f":s3:::{EXISTING_BUCKET}/" in read for read in log_reads)


def test_the_stack_creates_the_collections_vpc_endpoint(variant: dict[str, Any]) -> None:
    _, endpoint = only(variant, "AWS::OpenSearchServerless::VpcEndpoint")
    props = endpoint["Properties"]
    assert props["VpcId"] == VPC_ID and props["SubnetIds"] == SUBNETS
    [group_ref] = props["SecurityGroupIds"]
    group = resources(variant, "AWS::EC2::SecurityGroup")[
        render(group_ref).strip("<>").removesuffix(".GroupId")
    ]
    assert "SecurityGroupEgress" not in group["Properties"] or all(
        rule["CidrIp"] == "255.255.255.255/32" for rule in group["Properties"]["SecurityGroupEgress"]
    )
    ingress = [
        rule["Properties"]
        for rule in resources(variant, "AWS::EC2::SecurityGroupIngress").values()
        if render(rule["Properties"]["GroupId"]) == render(group_ref)
    ] + group["Properties"].get("SecurityGroupIngress", [])
    assert {(rule["FromPort"], rule["ToPort"]) for rule in ingress} == {(443, 443)}
    sources = {rule.get("CidrIp") or render(rule.get("SourceSecurityGroupId")) for rule in ingress}
    [function_group] = [
        g for g in resources(variant, "AWS::EC2::SecurityGroup") if "FunctionSecurityGroup" in g
    ]
    assert sources == {ANALYST_NETWORK, f"<{function_group}.GroupId>"}


def test_collections_and_dashboards_are_reachable_only_through_that_endpoint(variant: dict[str, Any]) -> None:
    endpoint_id, _ = only(variant, "AWS::OpenSearchServerless::VpcEndpoint")
    [network] = policy_document(by_name(variant, "AWS::OpenSearchServerless::SecurityPolicy", "siem-net"))
    assert network["AllowFromPublic"] is False
    assert network["SourceVPCEs"] == [f"<{endpoint_id}.Id>"]
    assert {r["ResourceType"] for r in network["Rules"]} == {"collection", "dashboard"}
    # The policy must exist before the collections, and the endpoint before the policy (GetAtt).
    policy_id = next(
        n
        for n, p in resources(variant, "AWS::OpenSearchServerless::SecurityPolicy").items()
        if p["Properties"]["Name"] == "siem-net"
    )
    for collection in resources(variant, "AWS::OpenSearchServerless::Collection").values():
        assert policy_id in collection["DependsOn"]


def test_python_functions_run_in_the_given_subnets(variant: dict[str, Any]) -> None:
    python = [
        f
        for f in resources(variant, "AWS::Lambda::Function").values()
        if f["Properties"].get("Runtime") == "python3.12"
    ]
    assert len(python) == 6
    for function in python:
        assert function["Properties"]["VpcConfig"]["SubnetIds"] == SUBNETS
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        actions = {a for s in statements(variant, role) for a in as_list(s["Action"])}
        assert {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"} <= actions
    # The CDK library's functions (bucket notifications, the Provider framework) call no collection.
    others = [f for f in resources(variant, "AWS::Lambda::Function").values() if f not in python]
    assert others and all("VpcConfig" not in f["Properties"] for f in others)
    [group] = [
        g for n, g in resources(variant, "AWS::EC2::SecurityGroup").items() if "FunctionSecurityGroup" in n
    ]
    assert [rule["FromPort"] for rule in group["Properties"]["SecurityGroupEgress"]] == [443]


def test_existing_topic_receives_alarms_and_alerts(variant: dict[str, Any]) -> None:
    # The stack's only topic is the report topic (docs/report.md).
    assert [name[:12] for name in resources(variant, "AWS::SNS::Topic")] == ["ReportsTopic"]
    for alarm in resources(variant, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [EXISTING_TOPIC]
    [detection] = [
        f
        for f in resources(variant, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "detections.handler.lambda_handler"
    ]
    role = detection["Properties"]["Role"]["Fn::GetAtt"][0]
    publish = [s for s in statements(variant, role) if s["Action"] == "sns:Publish"]
    assert [s["Resource"] for s in publish] == [EXISTING_TOPIC]


def test_no_analyst_policy_without_analysts(variant: dict[str, Any]) -> None:
    names = {
        p["Properties"]["Name"]
        for p in resources(variant, "AWS::OpenSearchServerless::AccessPolicy").values()
    }
    assert names == {"siem-ingest", "siem-detections", "siem-assets", "siem-investigate", "siem-reports"}
