"""What an on-call engineer reads in an alert, on the recorded Stratus Red Team detonations
(../shared/samples/cloudtrail/stratus-red-team), normalized by the real normalizer:

- ``Who`` of a role session: the session, its role (``userIdentity.sessionContext.sessionIssuer``),
  its ``sourceIdentity``, and, followed in one search, the identity that assumed it; the same
  for a real GuardDuty finding on that session whose investigation failed;
- ``What``: the targets the documents hold (ECS target fields, else the request parameter that
  names the resource), and the other accounts the request names.

Expected texts are written from the records (the trail, image, account, role and user they
name), not from the code's output.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import ConnectionError as EngineConnectionError
from opensearchpy import OpenSearch

from detections.alerts import build_alert
from detections.matches import Match
from detections.notify import message_text
from detections.rules import RULE_DIRS, load_rules
from detections.search import with_dataset
from detections.summary import behind_sessions, compact, summarize
from detections.testing import INGESTED, index_and_wait
from detections.windows import Window, parse_time
from normalizers import DeadLetter, Origin, normalize_object

SAMPLES = "samples/cloudtrail/stratus-red-team"
LEAVE_ORG_SESSION = (
    "role session aws-go-sdk-1722587398902687000 (key ASIA36EV31F1RB3OA8IG) via role "
    "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"
)


def records(shared_dir: Path, technique: str) -> list[dict[str, Any]]:
    raw = json.loads((shared_dir / SAMPLES / f"{technique}.json").read_bytes())
    return list(raw["Records"] if isinstance(raw, dict) else raw)


def normalized(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    body = json.dumps({"Records": raw}).encode()
    items = list(
        normalize_object(io.BytesIO(body), Origin(object="stratus", ingested=INGESTED), "cloudtrail")
    )
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    assert len(documents) == len(items)
    return documents


def calls(documents: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """The documents of one call, as a hit reads (``event.dataset`` from the index)."""
    return [
        with_dataset({"_index": "siem-cloudtrail", "_source": copy.deepcopy(document)})
        for document in documents
        if document["event"]["action"] == action
    ]


def alert_text(rule_id: str, documents: list[dict[str, Any]], **summary: Any) -> str:
    """The per-alert text ``siem detect run`` prints for ``documents`` matched by ``rule_id``."""
    rule = next(rule for rule in load_rules(RULE_DIRS) if rule.id == rule_id)
    now = parse_time(INGESTED)
    match = Match(key=(), bucket=now, count=len(documents), documents=documents)
    built = compact(documents, len(documents), None, None, **summary)
    return message_text(build_alert(rule, match, Window(now, now), now, built))


def line(text: str, label: str) -> str:
    return next(row for row in text.splitlines() if row.startswith(f"{label}: "))


def test_stop_logging_names_the_trail(shared_dir: Path) -> None:
    documents = calls(normalized(records(shared_dir, "aws.defense-evasion.cloudtrail-stop")), "StopLogging")
    text = alert_text("siem-cloudtrail-stopped-or-deleted", documents)
    assert line(text, "What") == (
        "What: cloudtrail.amazonaws.com StopLogging (success) on name stratus-red-team-ct-stop-trail-buykxbqejv"
    )


def test_an_image_share_names_the_image_and_the_account_it_is_shared_with(shared_dir: Path) -> None:
    documents = calls(
        normalized(records(shared_dir, "aws.exfiltration.ec2-share-ami")), "ModifyImageAttribute"
    )
    text = alert_text("siem-ec2-ami-shared", documents)
    assert line(text, "What") == (
        "What: ec2.amazonaws.com ModifyImageAttribute (success) on imageId ami-de1fbCab6ccB03e6D, "
        "naming account 846424999548"
    )


def test_a_snapshot_share_names_the_snapshot_and_the_account(shared_dir: Path) -> None:
    # The AMI detonation's call made on a snapshot, in CloudTrail's ModifySnapshotAttribute
    # request shape (the one the rule reads: detections/rules/ec2-snapshot-shared.yml).
    raw = records(shared_dir, "aws.exfiltration.ec2-share-ami")
    raw[0]["eventName"] = "ModifySnapshotAttribute"
    raw[0]["requestParameters"] = {
        "snapshotId": "snap-0f1e2d3c4b5a69788",
        "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": "846424999548"}]}},
    }
    documents = calls(normalized(raw), "ModifySnapshotAttribute")
    assert compact(documents, 1, None, None).what == (
        "ec2.amazonaws.com ModifySnapshotAttribute (success) on snapshotId snap-0f1e2d3c4b5a69788, "
        "naming account 846424999548"
    )


def test_an_ecs_target_field_is_named_before_request_parameters(shared_dir: Path) -> None:
    # GetFederationToken's ``name`` is the federated user: user.target.name holds it already.
    documents = calls(
        normalized(records(shared_dir, "aws.persistence.sts-federation-token")), "GetFederationToken"
    )
    assert compact(documents, 1, None, None).what == (
        "sts.amazonaws.com GetFederationToken (success) on session stratus_red_team"
    )


def test_a_role_session_names_its_role_and_session(shared_dir: Path) -> None:
    documents = calls(
        normalized(records(shared_dir, "aws.defense-evasion.organizations-leave")), "LeaveOrganization"
    )
    text = alert_text("siem-organizations-leave", documents)
    assert line(text, "Who") == f"Who: {LEAVE_ORG_SESSION}"


def test_a_session_names_its_source_identity(shared_dir: Path) -> None:
    # sourceIdentity in the session's context: cloudtrail-event-reference-user-identity.md,
    # "AWS STS source identity" (its example value, "Admin").
    raw = records(shared_dir, "aws.defense-evasion.organizations-leave")
    for record in raw:
        if record["eventName"] == "LeaveOrganization":
            record["userIdentity"]["sessionContext"]["sourceIdentity"] = "Admin"
    documents = calls(normalized(raw), "LeaveOrganization")
    assert compact(documents, 1, None, None).who == (
        "role session aws-go-sdk-1722587398902687000 (key ASIA36EV31F1RB3OA8IG, source identity Admin) "
        "via role arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"
    )


def test_a_federated_user_names_the_iam_user_it_federates_from(shared_dir: Path) -> None:
    documents = calls(
        normalized(records(shared_dir, "aws.persistence.sts-federation-token")), "GetCallerIdentity"
    )
    assert compact(documents, 1, None, None).who == (
        "federated user stratus_red_team (key ASIASTJKC5GCM7ZE6LUP) via IAM user "
        "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user"
    )


class CountingClient:
    """The engine, with the searches sent counted."""

    def __init__(self, client: OpenSearch) -> None:
        self._client = client
        self.searches = 0

    def search(self, **kwargs: Any) -> Any:
        self.searches += 1
        return self._client.search(**kwargs)


def indexed(siem: OpenSearch, shared_dir: Path, technique: str) -> list[dict[str, Any]]:
    documents = normalized(records(shared_dir, technique))
    index_and_wait(siem, "siem-cloudtrail", documents)
    return documents


@pytest.mark.integration
def test_the_alert_follows_the_session_to_the_user_that_assumed_it(
    siem: OpenSearch, shared_dir: Path
) -> None:
    documents = calls(
        indexed(siem, shared_dir, "aws.defense-evasion.organizations-leave"), "LeaveOrganization"
    )
    client = CountingClient(siem)
    summary = summarize(client, "cloudtrail", documents, 1, "2024-08-02T08:30:00Z", None, "siem-")  # type: ignore[arg-type]
    assert summary.who == (
        f"{LEAVE_ORG_SESSION} assumed by IAM user arn:aws:iam::307578594326:user/christophe (key AKIADVISM0T50G52IF0D)"
    )
    assert client.searches == 1


@pytest.mark.integration
def test_a_session_assumed_by_another_session_is_followed_one_hop(siem: OpenSearch, shared_dir: Path) -> None:
    # Role chaining: the AssumeRole that issued the leave-organization session made by the
    # password-data detonation's role session (its real userIdentity block), from another account.
    chained = next(
        record["userIdentity"]
        for record in records(shared_dir, "aws.credential-access.ec2-get-password-data")
        if record["eventName"] == "GetPasswordData"
    )
    raw = records(shared_dir, "aws.defense-evasion.organizations-leave")
    for record in raw:
        issued = (record.get("responseElements") or {}).get("credentials", {}).get("accessKeyId")
        if record["eventName"] == "AssumeRole" and issued == "ASIA36EV31F1RB3OA8IG":
            record["userIdentity"] = chained
    documents = normalized(raw)
    index_and_wait(siem, "siem-cloudtrail", documents)
    client = CountingClient(siem)
    leave = calls(documents, "LeaveOrganization")
    summary = summarize(client, "cloudtrail", leave, 1, "2024-08-02T08:30:00Z", None, "siem-")  # type: ignore[arg-type]
    assert summary.who == (
        f"{LEAVE_ORG_SESSION} assumed by role session arn:aws:sts::457448411975:assumed-role/"
        "stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000 "
        "(key ASIANQQHHS551LWULIWD); chain followed one hop"
    )
    assert client.searches == 1


@pytest.mark.integration
def test_a_federated_user_behind_its_iam_user_names_the_key_that_asked(
    siem: OpenSearch, shared_dir: Path
) -> None:
    documents = calls(indexed(siem, shared_dir, "aws.persistence.sts-federation-token"), "GetCallerIdentity")
    summary = summarize(siem, "cloudtrail", documents, 1, "2024-11-30T08:43:18Z", None, "siem-")
    assert summary.who == (
        "federated user stratus_red_team (key ASIASTJKC5GCM7ZE6LUP) via IAM user "
        "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user "
        "(GetFederationToken with key AKIA6V1GNZTT65XQH36M)"
    )


@pytest.mark.integration
def test_a_session_whose_issuing_call_is_not_indexed_says_the_chain_is_incomplete(
    siem: OpenSearch, shared_dir: Path
) -> None:
    documents = calls(
        indexed(siem, shared_dir, "aws.impact.bedrock-invoke-model"), "PutFoundationModelEntitlement"
    )
    summary = summarize(siem, "cloudtrail", documents, 1, "2024-10-17T20:07:50Z", None, "siem-")
    assert summary.who.startswith(
        "role session cli (key ASIA6FTSFH98XNF7DFZB) via role arn:aws:iam::494659789341:role/test-role; "
        "chain incomplete: no "
    )
    assert summary.who.endswith("event that issued ASIA6FTSFH98XNF7DFZB was found in CloudTrail")


class FailingClient:
    def search(self, **kwargs: Any) -> Any:
        raise EngineConnectionError("N/A", "the endpoint is unreachable", None)


def test_the_alert_goes_out_with_the_session_when_the_chain_lookup_fails(shared_dir: Path) -> None:
    documents = calls(
        normalized(records(shared_dir, "aws.defense-evasion.organizations-leave")), "LeaveOrganization"
    )
    summary = summarize(FailingClient(), "cloudtrail", documents, 1, "2024-08-02T08:30:00Z", None, "siem-")  # type: ignore[arg-type]
    assert summary.who == LEAVE_ORG_SESSION
    assert summary.what == "organizations.amazonaws.com LeaveOrganization (AccessDenied)"


GUARDDUTY_SAMPLES = "samples/guardduty/panther-guardduty-findings.jsonl"
LEAVE_ORG_KEY = "ASIA36EV31F1RB3OA8IG"


def guardduty_finding_on_the_leave_org_session(shared_dir: Path) -> dict[str, Any]:
    """The real "Principal AssumedRole:IAMRole attempted to add a policy to themselves" finding
    (not a sample one), acting with the organizations-leave detonation's role session, as a hit."""
    return guardduty_document(leave_org_guardduty_finding(shared_dir))


def leave_org_guardduty_finding(shared_dir: Path) -> dict[str, Any]:
    """That finding as GuardDuty writes it. The samples carry no ``resource`` block:
    ``accessKeyDetails`` is added, its four members (botocore's guardduty ``AccessKeyDetails``)
    the session's, as its issuing AssumeRole names them; nothing else of the finding is changed."""
    lines = (shared_dir / GUARDDUTY_SAMPLES).read_text().splitlines()
    finding: dict[str, Any] = json.loads(lines[2])
    assert (
        finding["title"].startswith("Principal AssumedRole:IAMRole")
        and finding["service"]["additionalInfo"] == {}
    )
    issuing = leave_org_assume_role(shared_dir)
    finding["resource"] = {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": LEAVE_ORG_KEY,
            "principalId": issuing["responseElements"]["assumedRoleUser"]["assumedRoleId"],
            "userName": issuing["requestParameters"]["roleArn"].rsplit("/", 1)[-1],
            "userType": "AssumedRole",
        },
    }
    return finding


def guardduty_document(finding: dict[str, Any]) -> dict[str, Any]:
    """A GuardDuty finding through the real normalizer, as a hit of its index reads."""
    body = json.dumps(finding).encode()
    items = list(normalize_object(io.BytesIO(body), Origin(object="panther", ingested=INGESTED), "guardduty"))
    assert len(items) == 1 and not isinstance(items[0], DeadLetter)
    return with_dataset({"_index": "siem-guardduty", "_source": items[0]})


def leave_org_assume_role(shared_dir: Path) -> dict[str, Any]:
    """The real AssumeRole that issued the leave-organization session's key."""
    return next(
        record
        for record in records(shared_dir, "aws.defense-evasion.organizations-leave")
        if record["eventName"] == "AssumeRole"
        and record["responseElements"]["credentials"]["accessKeyId"] == LEAVE_ORG_KEY
    )


class InvestigationFails(CountingClient):
    """The engine, where the finding cannot be read (the investigation's first search fails)."""

    def search(self, **kwargs: Any) -> Any:
        if "guardduty" in str(kwargs.get("index")):
            raise EngineConnectionError("N/A", "the findings collection is unreachable", None)
        return super().search(**kwargs)


@pytest.mark.integration
def test_a_finding_alert_whose_investigation_fails_follows_its_session(
    siem: OpenSearch, shared_dir: Path
) -> None:
    # The AssumeRole moved to 5 minutes before the finding's eventFirstSeen (17:59:17Z): the
    # key it issued is the one the finding's principal acted with.
    issuing = copy.deepcopy(leave_org_assume_role(shared_dir))
    issuing["eventTime"] = "2020-02-14T17:54:17Z"
    index_and_wait(siem, "siem-cloudtrail", normalized([issuing]))
    document = guardduty_finding_on_the_leave_org_session(shared_dir)
    client = InvestigationFails(siem)
    updated = document["@timestamp"]

    summary = summarize(client, "guardduty", [document], 1, updated, updated, "siem-")  # type: ignore[arg-type]

    assert summary.who == (
        f"role session aws-go-sdk-1722587398902687000 (key {LEAVE_ORG_KEY}) via role "
        "stratus-red-team-leave-org-role assumed by IAM user "
        "arn:aws:iam::307578594326:user/christophe (key AKIADVISM0T50G52IF0D)"
    )
    assert client.searches == 1  # the lookup; the investigation's failed before reaching the engine


def test_a_finding_alert_goes_out_with_the_session_when_both_fail(
    shared_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The fallback tried the lookup (it says why it has no hop), and the alert still goes out.
    document = guardduty_finding_on_the_leave_org_session(shared_dir)
    summary = summarize(FailingClient(), "guardduty", [document], 1, document["@timestamp"], None, "siem-")  # type: ignore[arg-type]
    assert summary.who == (
        f"role session aws-go-sdk-1722587398902687000 (key {LEAVE_ORG_KEY}) via role "
        "stratus-red-team-leave-org-role"
    )
    assert "who is behind the alert's sessions: ConnectionError" in caplog.text
    assert summary.what.startswith(
        "PrivilegeEscalation:IAMUser/AdministrativePermissions: Principal AssumedRole"
    )


# A finding updated for days: the lookup reaches back from when its activity was first seen.

CHRISTOPHE = "assumed by IAM user arn:aws:iam::307578594326:user/christophe (key AKIADVISM0T50G52IF0D)"


def assume_role_before(shared_dir: Path, moment: str) -> list[dict[str, Any]]:
    """The real AssumeRole that issued the leave-organization key, moved to ``moment``."""
    issuing = copy.deepcopy(leave_org_assume_role(shared_dir))
    issuing["eventTime"] = moment
    return normalized([issuing])


@pytest.mark.integration
def test_a_guardduty_finding_updated_for_days_follows_its_session_from_its_first_activity(
    siem: OpenSearch, shared_dir: Path
) -> None:
    # GuardDuty aggregates later occurrences of the activity into the same finding, raising its
    # updatedAt and eventLastSeen (guardduty_findings.md, "GuardDuty finding aggregation"): the
    # real finding as updated 3 days after its first activity (eventFirstSeen 17:59:17Z, kept).
    # Its key was issued 5 minutes before that activity, 3 days before the update.
    index_and_wait(siem, "siem-cloudtrail", assume_role_before(shared_dir, "2020-02-14T17:54:17Z"))
    finding = leave_org_guardduty_finding(shared_dir)
    assert finding["service"]["eventFirstSeen"] == "2020-02-14T17:59:17Z"
    finding["updatedAt"] = "2020-02-17T18:12:22.316Z"
    finding["service"]["eventLastSeen"] = "2020-02-17T18:05:00Z"
    document = guardduty_document(finding)
    client = InvestigationFails(siem)

    updated = document["@timestamp"]
    summary = summarize(client, "guardduty", [document], 1, updated, updated, "siem-")  # type: ignore[arg-type]

    assert summary.who == (
        f"role session aws-go-sdk-1722587398902687000 (key {LEAVE_ORG_KEY}) via role "
        f"stratus-red-team-leave-org-role {CHRISTOPHE}"
    )
    assert client.searches == 1


SECURITYHUB_SAMPLES = "samples/securityhub/asr-simtest"


def securityhub_finding_with_the_leave_org_key(
    shared_dir: Path, sample: str, issuer: dict[str, Any] | None
) -> dict[str, Any]:
    """A real Security Hub finding with an ``AwsIamAccessKey`` resource added, in the shape of
    the ASFF example (asff-resourcedetails-awsiam.md), for the leave-organization session as its
    issuing AssumeRole names it; ``issuer``: its ``SessionContext.SessionIssuer``, or none."""
    finding: dict[str, Any] = json.loads((shared_dir / SECURITYHUB_SAMPLES / sample).read_text())
    issuing = leave_org_assume_role(shared_dir)
    details: dict[str, Any] = {
        "AccessKeyId": LEAVE_ORG_KEY,
        "AccountId": "307578594326",
        "PrincipalId": issuing["responseElements"]["assumedRoleUser"]["assumedRoleId"],
        "PrincipalName": issuing["requestParameters"]["roleArn"].rsplit("/", 1)[-1],
        "PrincipalType": "AssumedRole",
    }
    if issuer is not None:
        details["SessionContext"] = {"SessionIssuer": issuer}
    finding["Resources"].append(
        {"Type": "AwsIamAccessKey", "Id": LEAVE_ORG_KEY, "Details": {"AwsIamAccessKey": details}}
    )
    return finding


def securityhub_document(finding: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(finding).encode()
    items = list(normalize_object(io.BytesIO(body), Origin(object="asr", ingested=INGESTED), "securityhub"))
    assert len(items) == 1 and not isinstance(items[0], DeadLetter)
    return with_dataset({"_index": "siem-securityhub", "_source": items[0]})


LEAVE_ORG_ROLE_ARN = "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"


@pytest.mark.integration
def test_a_security_hub_finding_observed_for_days_follows_its_session_from_first_observed(
    siem: OpenSearch, shared_dir: Path
) -> None:
    # The real SNS.2 finding, first observed 2022-12-20T23:33:02.111Z and updated
    # 2022-12-29T21:40:55.166Z (its times kept), acting with the leave-organization key, issued
    # 5 minutes before the first observation: 9 days before the update.
    finding = securityhub_finding_with_the_leave_org_key(
        shared_dir,
        "afsbp-sns.2.json",
        {"Type": "Role", "Arn": LEAVE_ORG_ROLE_ARN, "AccountId": "307578594326"},
    )
    assert (finding["FirstObservedAt"], finding["UpdatedAt"]) == (
        "2022-12-20T23:33:02.111Z",
        "2022-12-29T21:40:55.166Z",
    )
    index_and_wait(siem, "siem-cloudtrail", assume_role_before(shared_dir, "2022-12-20T23:28:02Z"))
    document = securityhub_document(finding)
    client = InvestigationFails(siem)

    updated = document["@timestamp"]
    summary = summarize(client, "securityhub", [document], 1, updated, updated, "siem-")  # type: ignore[arg-type]

    assert summary.who == (
        f"role session aws-go-sdk-1722587398902687000 (key {LEAVE_ORG_KEY}) via role "
        f"{LEAVE_ORG_ROLE_ARN} {CHRISTOPHE}"
    )
    assert client.searches == 1


def time_ranges(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``range`` clause on ``@timestamp`` in a query."""
    if isinstance(node, dict):
        if "range" in node and "@timestamp" in node["range"]:
            yield node["range"]["@timestamp"]
        for value in node.values():
            yield from time_ranges(value)
    elif isinstance(node, list):
        for item in node:
            yield from time_ranges(item)


class Recording:
    """Records the searches sent, and finds nothing."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def search(self, **kwargs: Any) -> Any:
        self.sent.append(kwargs)
        return {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}


def test_the_lookup_reaches_back_at_most_90_days_and_the_credential_lifetime(shared_dir: Path) -> None:
    # The real CloudTrail.4 finding: first observed 2021-10-25T21:14:13.787Z, updated
    # 2022-01-24T15:48:47.416Z, 91 days later. The search starts 90 days before the update
    # (2021-10-26T15:48:47.416Z), less the 36 h a temporary credential may live:
    # 2021-10-25T03:48:47.416Z; it ends at the update. One search, 5 s.
    finding = securityhub_finding_with_the_leave_org_key(shared_dir, "afsbp-cloudtrail.4.json", None)
    assert (finding["FirstObservedAt"], finding["UpdatedAt"]) == (
        "2021-10-25T21:14:13.787Z",
        "2022-01-24T15:48:47.416Z",
    )
    document = securityhub_document(finding)
    client = Recording()

    chains = behind_sessions(client, [document], document["@timestamp"], None, "siem-")  # type: ignore[arg-type]
    summary = compact([document], 1, None, None, chains)

    assert len(client.sent) == 1 and client.sent[0]["request_timeout"] == 5.0
    ranges = list(time_ranges(client.sent[0]["body"]["query"]))
    assert [(r["gte"], r["lte"]) for r in ranges] == [
        ("2021-10-25T03:48:47.416Z", "2022-01-24T15:48:47.416Z")
    ]
    assert summary.who.endswith(
        f"via role stratus-red-team-leave-org-role; chain incomplete: no AssumeRole/AssumeRoleWithSAML/AssumeRoleWithWebIdentity/GetSessionToken/GetFederationToken event that issued {LEAVE_ORG_KEY} was found in CloudTrail"
    )


@pytest.mark.parametrize(
    ("user_name", "role"),
    [
        # The finding's own principal (its title: "Principal AssumedRole:IAMRole attempted to add
        # a policy to themselves") is the role its PutRolePolicy acted on: the ARN it names.
        ("IAMRole", "arn:aws:iam::123456789012:role/IAMRole"),
        # Another role's session acting on IAMRole: its role is named, not IAMRole's ARN.
        ("stratus-red-team-leave-org-role", "stratus-red-team-leave-org-role"),
    ],
)
def test_a_guardduty_session_names_its_role_by_the_arn_the_finding_gives(
    shared_dir: Path, user_name: str, role: str
) -> None:
    lines = (shared_dir / GUARDDUTY_SAMPLES).read_text().splitlines()
    finding: dict[str, Any] = json.loads(lines[2])
    assert finding["service"]["action"]["awsApiCallAction"]["affectedResources"] == {
        "AWS::IAM::Role": "arn:aws:iam::123456789012:role/IAMRole"
    }
    finding["resource"] = {
        "resourceType": "AccessKey",
        "accessKeyDetails": {"accessKeyId": LEAVE_ORG_KEY, "userName": user_name, "userType": "AssumedRole"},
    }
    assert compact([guardduty_document(finding)], 1, None, None).who == (
        f"role session (key {LEAVE_ORG_KEY}) via role {role}"
    )


def test_a_security_hub_session_names_its_role_by_an_iam_role_resource_of_its_account(
    shared_dir: Path,
) -> None:
    # A finding whose AwsIamAccessKey names its principal's role by name only (no
    # SessionContext), and which names that role as an AwsIamRole resource (its Id the ARN,
    # with a path no name gives); a role of that name in another account is not it.
    finding = securityhub_finding_with_the_leave_org_key(shared_dir, "afsbp-sns.2.json", None)
    for account in ("111111111111", "307578594326"):
        finding["Resources"].append(
            {
                "Type": "AwsIamRole",
                "Id": f"arn:aws:iam::{account}:role/stratus/stratus-red-team-leave-org-role",
                "Details": {
                    "AwsIamRole": {"RoleName": "stratus-red-team-leave-org-role", "Path": "/stratus/"}
                },
            }
        )
    assert compact([securityhub_document(finding)], 1, None, None).who == (
        f"role session aws-go-sdk-1722587398902687000 (key {LEAVE_ORG_KEY}) via role "
        "arn:aws:iam::307578594326:role/stratus/stratus-red-team-leave-org-role"
    )
