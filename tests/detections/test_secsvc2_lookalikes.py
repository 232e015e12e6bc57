"""The rules on Inspector, Macie, Detective, S3 access logging and logs shipped out
(demo/benign/secsvc2.py): their routine look-alikes, too rare for the corpus slice, measured
on their own, and the JSON text a ``where`` path reads into."""

from __future__ import annotations

import json

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import MAX_POLICY_TEXT, NO_ORGANIZATION, Organization
from detections.rules import field_values
from tests.detections.conftest import alerts_by_rule, corpus_organizations, our_rule

ACTIVITIES = ("scanners-terraform", "log-shipping-stack", "bucket-logging")
RULES = (
    "siem-inspector-disabled",
    "siem-macie-disabled",
    "siem-detective-disabled",
    "siem-s3-access-logging-disabled",
    "siem-logs-delivered-to-other-account",
    "siem-resource-policy-grants-outside",
)
ORGANIZATIONS = 30


def test_a_path_reads_into_json_text_of_an_object() -> None:
    destination = "arn:aws:logs:us-east-1:999988887777:destination:collector"
    document = {"request": {"policyDocument": json.dumps({"DestinationArn": destination}), "name": "x"}}
    assert field_values(document, "request.policyDocument.DestinationArn") == [destination]
    # The text itself is still the value at its own path (policies are compared as text).
    assert field_values(document, "request.policyDocument") == [document["request"]["policyDocument"]]
    for text in (
        '{"DestinationArn": "' + destination + '"',  # malformed
        json.dumps({"DestinationArn": destination, "padding": "x" * MAX_POLICY_TEXT}),  # past the bound
        '{"DestinationArn":' * 3_000 + '"x"' + "}" * 3_000,  # nested past the parser's limit
    ):
        assert (
            field_values({"request": {"policyDocument": text}}, "request.policyDocument.DestinationArn") == []
        )
    assert field_values({"request": {"name": "DestinationArn"}}, "request.name.DestinationArn") == []
    assert field_values({"request": {"list": '["DestinationArn"]'}}, "request.list.DestinationArn") == []


@pytest.mark.integration
def test_routine_upkeep_and_log_shipping_to_the_organization_raise_nothing(siem: OpenSearch) -> None:
    """30 episodes of each activity (one organization each) hold every look-alike call; with
    the organizations' accounts directories nothing alerts. Without a directory the log
    archive account is another account: the subscriptions to it alert. The empty logging
    status a stack sends, made directly by a role session, alerts."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("inspector2.amazonaws.com", "Enable"), ("inspector2.amazonaws.com", "UpdateOrganizationConfiguration"),
        ("macie2.amazonaws.com", "UpdateMacieSession"), ("macie2.amazonaws.com", "UpdateClassificationJob"),
        ("detective.amazonaws.com", "CreateMembers"), ("detective.amazonaws.com", "UpdateOrganizationConfiguration"),
        ("logs.amazonaws.com", "PutSubscriptionFilter"), ("logs.amazonaws.com", "PutAccountPolicy"),
        ("es.amazonaws.com", "UpdateDomainConfig"), ("s3.amazonaws.com", "PutBucketLogging"),
    } <= calls  # fmt: skip
    organization = corpus_organizations(ORGANIZATIONS)
    index_records(siem, "siem-cloudtrail-secsvc2", records)
    rules = [our_rule(rule_id) for rule_id in RULES]

    def alerts(index: str, inside: Organization, count: int) -> dict[str, int]:
        return alerts_by_rule(siem, rules, index, count, inside)

    assert alerts("siem-cloudtrail-secsvc2", organization, len(records)) == {}
    without = alerts("siem-cloudtrail-secsvc2", NO_ORGANIZATION, len(records))
    assert set(without) == {"siem-logs-delivered-to-other-account"}

    stack_sent = [
        record
        for record in records
        if record["eventName"] == "PutBucketLogging"
        and "LoggingEnabled" not in record["requestParameters"]["BucketLoggingStatus"]
    ]
    assert stack_sent and all(record["userIdentity"]["invokedBy"] for record in stack_sent)
    direct = [
        {
            **record,
            "userIdentity": {k: v for k, v in record["userIdentity"].items() if k != "invokedBy"},
            "sourceIPAddress": "203.0.113.124",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22",
            "eventID": f"direct-{record['eventID']}",
        }
        for record in stack_sent
    ]
    index_records(siem, "siem-cloudtrail-secsvc2-direct", direct)
    assert alerts("siem-cloudtrail-secsvc2-direct", organization, len(direct)) == {
        "siem-s3-access-logging-disabled": len(direct)
    }
