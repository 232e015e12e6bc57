"""False-positive budget: the harness counts what the runner would alert, and rules stay in budget.

The budget test runs every enabled rule over a 5,000-record slice of the benign corpus
(demo.benign), with its organization's exceptions and accounts directory, as the deployed
run has them; ``python -m benchmarks.false_positives`` runs the full 100,000 records.
"""

from __future__ import annotations

from collections import Counter

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes, generate
from demo.records import cloudtrail as ct
from detections import matching
from detections.exceptions import load_exceptions
from detections.false_positives import (
    CORPUS_EXCEPTIONS_FILE,
    BudgetError,
    Budgets,
    index_records,
    load_budgets,
    measure,
    parse_budgets,
)
from detections.organization import organization_of
from detections.rules import load_rules, parse_rule
from tests.detections.conftest import T0, cloudtrail_record, minutes, our_rule

pytestmark = pytest.mark.integration
SLICE = 5_000


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"default": -1}, "number >= 0"),
        ({"rules": {"x": {"budget": 1}}}, "budget: <alerts per 100,000>, reason"),
        ({"rules": {"x": {"budget": True, "reason": "r"}}}, "number >= 0"),
        ({"known_over_budget": {"x": " "}}, "a reason is required"),
        ({"budgets": {}}, "a mapping of default, rules and known_over_budget"),
    ],
)
def test_an_invalid_budget_is_rejected(data: dict, problem: str) -> None:
    with pytest.raises(BudgetError, match=problem):
        parse_budgets(data)


def test_budgets_scale_to_the_records_measured_rounding_up() -> None:
    budgets = Budgets(default=0, rules={"a": 5.0})
    assert budgets.allowed("a", 100_000) == 5
    assert budgets.allowed("a", 5_000) == 1  # 0.25 alerts: one is tolerated on a slice
    assert budgets.allowed("b", 5_000) == 0


def test_shipped_budgets_name_existing_rules_only() -> None:
    budgets = load_budgets()
    assert budgets.unknown_ids(rule.id for rule in load_rules(include_disabled=True)) == []
    assert budgets.default == 0


def test_corpus_exceptions_name_existing_rules_and_say_why() -> None:
    """The corpus organization's own exceptions (its scanner, rotation role, helpdesk, triage
    function) name rules that exist, each with a reason, and no blanket ``*``."""
    exceptions = load_exceptions(CORPUS_EXCEPTIONS_FILE)
    known = {rule.id for rule in load_rules(include_disabled=True)}
    assert exceptions.entries
    for entry in exceptions.entries:
        assert set(entry.rules) <= known and "*" not in entry.rules
        assert entry.reason and entry.principals


def test_alerts_are_counted_as_the_runner_raises_them(siem: OpenSearch) -> None:
    """siem-root-account-usage deduplicates on account and source per hour: 4 sign-ins, 3 alerts."""
    records = [
        cloudtrail_record("r-1", T0),
        cloudtrail_record("r-2", T0 + minutes(20)),  # same source, same hour: same alert
        cloudtrail_record("r-3", T0 + minutes(25), sourceIPAddress="203.0.113.9"),
        cloudtrail_record("r-4", T0 + minutes(70)),  # next hour
        ct.api_call(ct.iam_user(), event_name="ListUsers", event_source="iam.amazonaws.com", time=T0),
    ]
    index_records(siem, "siem-cloudtrail-fp", records)
    rules = [our_rule("siem-root-account-usage"), our_rule("siem-vpcflow-rejected-burst")]
    report = measure(siem, rules, "siem-cloudtrail-fp", len(records), budgets=Budgets())
    root, flows = report.results
    assert (root.alerts, root.events, root.applicable) == (3, 4, True)
    assert sorted(root.alert_event_ids) == ["r-1", "r-3", "r-4"]
    assert report.per_100k(root) == 3 * 100_000 / 5
    assert not flows.applicable and flows.alerts == 0
    assert [r.rule_id for r in report.over_budget] == ["siem-root-account-usage"]
    assert report.status(root) == "OVER" and report.status(flows) == "n/a"


def test_reads_on_past_the_hit_budget(siem: OpenSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [cloudtrail_record(f"r-{n}", T0 + minutes(n * 61)) for n in range(7)]
    index_records(siem, "siem-cloudtrail-fp", records)
    rule = our_rule("siem-root-account-usage")
    monkeypatch.setattr(matching, "MAX_HITS", 2)
    (result,) = measure(siem, [rule], "siem-cloudtrail-fp", len(records), budgets=Budgets()).results
    assert (result.alerts, result.events) == (7, 7)


def test_a_failing_rule_is_reported_and_the_others_measured(siem: OpenSearch) -> None:
    index_records(siem, "siem-cloudtrail-fp", [cloudtrail_record("r-1", T0)])
    broken = parse_rule(
        {"id": "broken-rule", "title": "t", "severity": "low", "index": "cloudtrail", "query": "a:("}
    )
    report = measure(
        siem, [broken, our_rule("siem-root-account-usage")], "siem-cloudtrail-fp", 1, budgets=Budgets()
    )
    assert report.results[0].error and report.results[1].alerts == 1
    assert [r.rule_id for r in report.over_budget] == ["broken-rule", "siem-root-account-usage"]


def test_dead_lettered_corpus_record_is_an_error(siem: OpenSearch) -> None:
    with pytest.raises(ValueError, match="dead-lettered"):
        index_records(siem, "siem-cloudtrail-fp", [{"eventName": "NoTime"}])


def test_rules_stay_within_their_false_positive_budget(siem: OpenSearch) -> None:
    corpus = generate(SLICE)
    index_records(siem, "siem-cloudtrail-benign", corpus.records)
    exceptions = load_exceptions(CORPUS_EXCEPTIONS_FILE)
    report = measure(
        siem,
        load_rules(),
        "siem-cloudtrail-benign",
        SLICE,
        exceptions=exceptions,
        organization=organization_of(corpus.directory),  # what the deployed run loads (ACCOUNTS_LOCATION)
        budgets=load_budgets(),
    )
    activity = corpus.activity_by_event_id()
    over = {
        result.rule_id: result.error or dict(Counter(activity[e] for e in result.alert_event_ids))
        for result in report.over_budget
    }
    assert not over, f"rules over their false-positive budget (alerts per benign activity): {over}"
    assert [r for r in report.results if r.applicable and r.alerts == 0]  # most rules stay silent


LOOKALIKE_ACTIVITIES = ("trail-stack-update", "terraform-guardrails", "codecommit-ssh-key", "instance-whoami")
LOOKALIKE_RULES = (
    "siem-cloudtrail-trail-destination-changed",
    "siem-cloudtrail-lake-logging-reduced",
    "siem-cloudtrail-logging-narrowed",
    "siem-s3-acl-grants-public",
    "siem-s3-acl-grants-other-account",
    "siem-s3-public-access-block-disabled",
    "siem-s3-access-point-policy-grants-outside",
    "siem-iam-credential-for-another-user",
    "siem-ec2-security-group-admin-port-open",
    "siem-ec2-instance-credentials-used-outside",
)


def test_routine_lookalikes_of_the_logging_and_exposure_rules_raise_nothing(siem: OpenSearch) -> None:
    """The corpus's guardrail upkeep (demo/benign/guardrails.py), too rare for the 5,000-record
    slice, measured on its own: 30 episodes of each activity hold every look-alike call (a
    trail resent by CloudFormation, Lake retention raised, public access blocks tightened,
    private and log-delivery ACLs, an access point for the account's own role, HTTPS open
    to the internet with SSH from the bastions, the office /16 and the VPC's IPv6 range in the same call, an IAM user's own SSH key, an instance asking through its own STS
    endpoint), and the rules about those calls raise nothing."""
    records = episodes(LOOKALIKE_ACTIVITIES)
    calls = {record["eventName"] for record in records}
    assert {
        "UpdateTrail", "UpdateEventDataStore", "PutBucketAcl", "PutAccountPublicAccessBlock",
        "PutBucketPublicAccessBlock", "PutAccessPointPolicy", "UploadSSHPublicKey", "AuthorizeSecurityGroupIngress",
    } <= calls  # fmt: skip
    assert any(record.get("vpcEndpointAccountId") for record in records)
    index_records(siem, "siem-cloudtrail-lookalikes", records)
    rules = [our_rule(rule_id) for rule_id in LOOKALIKE_RULES]
    report = measure(siem, rules, "siem-cloudtrail-lookalikes", len(records), budgets=load_budgets())
    assert {result.rule_id: result.alerts for result in report.results if result.alerts or result.error} == {}


SECURITY_SERVICE_ACTIVITIES = (
    "security-services-terraform",
    "security-baseline-stackset",
    "scp-stack-update",
    "securityhub-config-rules",
)
SECURITY_SERVICE_RULES = (
    "siem-guardduty-disabled",
    "siem-guardduty-findings-suppressed",
    "siem-securityhub-disabled",
    "siem-securityhub-findings-suppressed",
    "siem-config-recording-stopped",
    "siem-config-coverage-reduced",
    "siem-access-analyzer-deleted-or-archived",
    "siem-organizations-guardrail-weakened",
)


def _made_by_a_person(record: dict) -> dict:
    """The same call made directly with the role's session: no AWS service in between."""
    identity = {key: value for key, value in record["userIdentity"].items() if key != "invokedBy"}
    return {
        **record,
        "userIdentity": identity,
        "sourceIPAddress": "203.0.113.124",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22",
        "eventID": f"direct-{record['eventID']}",
    }


def test_routine_upkeep_of_the_security_services_raises_nothing(siem: OpenSearch) -> None:
    """The security services' upkeep (demo/benign/secsvcrules.py), too rare for the slice,
    measured on its own: 30 episodes of each activity hold every look-alike call, and the rules
    on attacks against the services raise nothing. The same StackSet and service calls made
    directly by a role session (no invokedBy) are what an intruder's look like: the
    suppression rules raise them, so what separates the routine is the AWS service in between."""
    records = episodes(SECURITY_SERVICE_ACTIVITIES)
    calls = {record["eventName"] for record in records}
    assert {
        "UpdateDetector", "CreateFilter", "UpdateOrganizationConfiguration", "CreateAutomationRule",
        "BatchUpdateStandardsControlAssociations", "PutConfigurationRecorder", "DeleteConfigRule",
        "CreateArchiveRule", "ApplyArchiveRule", "UpdatePolicy",
    } <= calls  # fmt: skip
    serviced = [
        _made_by_a_person(record)
        for record in records
        if record["userIdentity"].get("invokedBy") and record["eventName"] != "AssumeRole"
    ]
    index_records(siem, "siem-cloudtrail-lookalikes", records)
    index_records(siem, "siem-cloudtrail-direct", serviced)
    rules = [our_rule(rule_id) for rule_id in SECURITY_SERVICE_RULES]
    report = measure(siem, rules, "siem-cloudtrail-lookalikes", len(records), budgets=load_budgets())
    assert {result.rule_id: result.alerts for result in report.results if result.alerts or result.error} == {}
    direct = measure(siem, rules, "siem-cloudtrail-direct", len(serviced), budgets=load_budgets())
    assert {result.rule_id for result in direct.results if result.alerts} == {
        "siem-guardduty-findings-suppressed",
        "siem-securityhub-findings-suppressed",
        "siem-config-coverage-reduced",
        "siem-access-analyzer-deleted-or-archived",
        "siem-organizations-guardrail-weakened",
    }


ADMIN_ROUTE_ACTIVITIES = ("sso-provisioning", "scoped-policy-created")


def test_identity_center_provisioning_and_scoped_policies_raise_no_admin_alert(siem: OpenSearch) -> None:
    """Administrator grants made routinely (demo/benign/adminroutes.py), too rare for the slice,
    measured on their own: Identity Center's service-linked role attaching AdministratorAccess
    to the AWSReservedSSO_ roles it provisions, and Terraform creating and attaching a scoped
    customer policy, raise nothing. The same AdministratorAccess attachments made directly by a
    session of that role (another address, no service in between) each alert."""
    records = episodes(ADMIN_ROUTE_ACTIVITIES)
    admin = [
        record
        for record in records
        if record["eventName"] == "AttachRolePolicy"
        and record["requestParameters"]["policyArn"].endswith(":policy/AdministratorAccess")
    ]
    assert admin and {"CreateRole", "CreatePolicy"} <= {record["eventName"] for record in records}
    index_records(siem, "siem-cloudtrail-lookalikes", records)
    index_records(siem, "siem-cloudtrail-direct", [_made_by_a_person(record) for record in admin])
    rules = [our_rule("siem-iam-admin-policy-attached")]
    report = measure(siem, rules, "siem-cloudtrail-lookalikes", len(records), budgets=load_budgets())
    assert [(result.alerts, result.error) for result in report.results] == [(0, None)]
    direct = measure(siem, rules, "siem-cloudtrail-direct", len(admin), budgets=load_budgets())
    assert [result.alerts for result in direct.results] == [len(admin)]
