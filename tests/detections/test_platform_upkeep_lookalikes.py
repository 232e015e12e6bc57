"""The rules added or widened on 2026-12-07 (accelerated instances through launch templates,
Auto Scaling, EKS, fleets, Batch, EMR and SageMaker; Bedrock invocation logging deleted; web ACLs disassociated; traffic
mirroring; exposed-key quarantine; VPC endpoints used by outside accounts; CodeBuild made
public; root usage; identity providers changed through CloudFormation): their routine
look-alikes (demo/benign/platform_upkeep.py), too rare for the corpus slice, measured on their
own with every enabled rule, ours and the converted Sigma rules."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.exceptions import NO_EXCEPTIONS, Exceptions, load_exceptions
from detections.false_positives import CORPUS_EXCEPTIONS_FILE, index_records, load_budgets, measure
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import corpus_organizations

ACTIVITIES = (
    "compute-capacity-terraform",
    "fleet-and-ml-capacity-terraform",
    "bedrock-logging-setup",
    "web-acl-associations",
    "ids-traffic-mirroring",
    "identity-trust-stacks",
    "endpoint-network-activity",
    "codebuild-private",
    "sandbox-user-policies",
)
ORGANIZATIONS = 30
INDEX = "siem-cloudtrail-platform-upkeep"


@pytest.mark.integration
def test_routine_capacity_logging_acls_mirrors_roles_endpoints_and_projects_raise_nothing(
    siem: OpenSearch,
) -> None:
    """30 episodes of each activity (one organization each) hold every look-alike call. With
    the organizations' accounts directories and the corpus organization's exceptions no enabled
    rule alerts. Without the exceptions, every mirror session the IDS pipeline creates alerts
    (the rule cannot tell it from an intruder's: the organization excepts its own pipeline's
    role); without a directory, too, the workload accounts' calls through the network
    account's shared endpoint are another account's."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("ec2.amazonaws.com", "CreateLaunchTemplate"), ("ec2.amazonaws.com", "CreateLaunchTemplateVersion"),
        ("autoscaling.amazonaws.com", "CreateAutoScalingGroup"), ("autoscaling.amazonaws.com", "UpdateAutoScalingGroup"),
        ("eks.amazonaws.com", "CreateNodegroup"), ("eks.amazonaws.com", "UpdateNodegroupConfig"),
        ("ec2.amazonaws.com", "CreateFleet"), ("ec2.amazonaws.com", "ModifyFleet"), ("ec2.amazonaws.com", "RequestSpotFleet"),
        ("batch.amazonaws.com", "CreateComputeEnvironment"), ("elasticmapreduce.amazonaws.com", "RunJobFlow"),
        ("sagemaker.amazonaws.com", "CreateTrainingJob"), ("sagemaker.amazonaws.com", "CreateProcessingJob"),
        ("sagemaker.amazonaws.com", "CreateNotebookInstance"), ("sagemaker.amazonaws.com", "CreateEndpointConfig"),
        ("bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration"),
        ("wafv2.amazonaws.com", "AssociateWebACL"), ("wafv2.amazonaws.com", "DisassociateWebACL"),
        ("ec2.amazonaws.com", "CreateTrafficMirrorFilter"), ("ec2.amazonaws.com", "CreateTrafficMirrorFilterRule"),
        ("ec2.amazonaws.com", "CreateTrafficMirrorTarget"), ("ec2.amazonaws.com", "CreateTrafficMirrorSession"),
        ("iam.amazonaws.com", "CreateRole"), ("iam.amazonaws.com", "AttachUserPolicy"),
        ("codebuild.amazonaws.com", "UpdateProjectVisibility"),
        ("secretsmanager.amazonaws.com", "GetSecretValue"), ("kms.amazonaws.com", "Decrypt"),
    } <= calls  # fmt: skip
    assert not [record for record in records if record["userIdentity"]["type"] == "Root"]
    network = [record for record in records if record.get("eventCategory") == "NetworkActivity"]
    fellow = {
        record["eventID"]
        for record in network
        if record["userIdentity"]["accountId"] != record["vpcEndpointAccountId"]
    }
    assert fellow and len(fellow) < len(network)  # the shared endpoint and the accounts' own
    sessions = sum(record["eventName"] == "CreateTrafficMirrorSession" for record in records)
    organization = corpus_organizations(ORGANIZATIONS)
    index_records(siem, INDEX, records)
    rules = load_rules(RULE_DIRS)

    def alerts(inside: Organization, exceptions: Exceptions = NO_EXCEPTIONS) -> dict[str, set[str]]:
        report = measure(siem, rules, INDEX, len(records), exceptions=exceptions, organization=inside,
                         budgets=load_budgets())  # fmt: skip
        assert not [result.error for result in report.results if result.error]
        return {result.rule_id: set(result.alert_event_ids) for result in report.results if result.alerts}

    assert alerts(organization, load_exceptions(CORPUS_EXCEPTIONS_FILE)) == {}
    excepted = alerts(organization)
    assert set(excepted) == {"siem-ec2-traffic-mirroring-started"}
    assert len(excepted["siem-ec2-traffic-mirroring-started"]) == sessions
    outside = alerts(NO_ORGANIZATION)
    assert set(outside) == {"siem-ec2-traffic-mirroring-started", "siem-vpc-endpoint-used-by-outside-account"}
    assert outside["siem-vpc-endpoint-used-by-outside-account"] <= fellow
