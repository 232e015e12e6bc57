"""Raw AWS records written for the assets' tests, each one a labelled case for a saved search.

The records follow the AWS formats (../shared/reference/aws-docs: CloudTrail record contents
and console sign-in examples, VPC Flow Logs v2 records, GuardDuty finding format, ASFF) and
go through the real normalizers, so the searches are tested on documents exactly as the
pipeline writes them. Addresses are documentation ranges (RFC 5737: 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24) and names start with ``fixture-``, so no golden or sample
document can collide with an expectation.

Each case has a key (CloudTrail: the ``eventID``; flows: ``flow:<srcaddr>:<action>``;
findings: the finding id) that :func:`key_of` reads back from the normalized document.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from demo.records import cloudtrail as ct
from demo.records import config as cfg
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from demo.records import vpcflow
from detections.incident_status import StatusChange, change_status, reopen_on_alert
from detections.incidents import add_alert, merge_incident, new_incident
from normalizers import DeadLetter, Document, Origin, normalize_object
from tests.conftest import index_of

ACCOUNT = "210987654321"
OTHER_ACCOUNT = "210987654322"
INGESTED = "2026-01-01T00:00:00.000Z"
ALICE_KEY = "AKIAFIXTUREALICE0001"
MALLORY_KEY = "ASIAFIXTUREMALLORY01"
ATTACKER_IP = "203.0.113.66"
SCANNER_IP = "198.51.100.23"
CLIENT_IP = "192.0.2.10"
CLI_AGENT = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.fixture"
CONSOLE_AGENT = "Mozilla/5.0 (fixture console)"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/fixture-trail"
BUCKET_ARN = "arn:aws:s3:::fixture-bucket"
EVE_KEY = "AKIAFIXTUREEVE000001"
CHAIN_KEY = "ASIAFIXTURECHAIN0001"
"""The temporary key mallory obtains with AssumeRole (a hop of a role chain)."""
SECURITY_GROUP = "sg-0fixture00000001"


def _user(name: str, key: str | None = None, account: str = ACCOUNT) -> dict[str, Any]:
    return ct.iam_user(account, name, f"AIDAFIXTURE{name.upper()[:9]}", key)


def chain_session() -> ct.RoleSession:
    """The session of FixtureAdminRole mallory opens at 10:23 from the attacker's address."""
    return ct.role_session(
        ACCOUNT,
        "FixtureAdminRole",
        "fixture-mallory-session",
        CHAIN_KEY,
        "AROAFIXTUREADMINROLE",
        created=datetime(2024, 5, 1, 10, 23, tzinfo=UTC),
    )


def _role_session(role: str, session: str, key: str) -> dict[str, Any]:
    role_id = f"AROAFIXTURE{role.upper()[:8]}"
    issued = ct.role_session(
        ACCOUNT, role, session, key, role_id, created=datetime(2024, 5, 1, 9, tzinfo=UTC)
    )
    return ct.assumed_role(issued, web_id_federation=False)


def cloudtrail_record(
    event_id: str,
    action: str,
    source: str,
    identity: dict[str, Any],
    minute: int,
    ip: str = CLIENT_IP,
    read_only: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A call at 10:``minute`` on 2024-05-01; ``extra`` are :func:`demo.records.cloudtrail.api_call`'s."""
    return ct.api_call(
        identity,
        event_name=action,
        event_source=source,
        time=f"2024-05-01T10:{minute:02d}:00Z",
        source_ip=ip,
        user_agent=extra.pop("user_agent", CLI_AGENT),
        recipient_account=ACCOUNT,
        read_only=read_only,
        request_id=f"req-{event_id}",
        event_id=event_id,
        **extra,
    )


def _console_login(
    event_id: str, identity: dict[str, Any], minute: int, mfa: str, result: str
) -> dict[str, Any]:
    return ct.console_login(
        identity,
        time=f"2024-05-01T10:{minute:02d}:00Z",
        source_ip=CLIENT_IP,
        success=result == "Success",
        mfa_used=mfa == "Yes",
        user_agent=CLI_AGENT,
        event_id=event_id,
        read_only=None,
    )


def _endpoint_denied(event_id: str, identity: dict[str, Any], minute: int) -> dict[str, Any]:
    """A network activity event: the VPC endpoint's policy refused the call."""
    record = cloudtrail_record(
        event_id,
        "ListKeys",
        "kms.amazonaws.com",
        identity,
        minute,
        ip="10.0.12.34",
        error_code="VpceAccessDenied",
        error_message="The request was denied due to a VPC endpoint policy",
        event_type="AwsVpceEvent",
        category="NetworkActivity",
        read_only=None,
    )
    del record["managementEvent"]  # the record contents give it to the other event types only
    return {**record, "vpcEndpointId": "vpce-0a1b2c3d4e5f67890", "vpcEndpointAccountId": ACCOUNT}


ENDPOINT_COPIED = ("ct-iam-create-key", "ct-stop-logging", "ct-assume-role", "ct-session-list-secrets")
"""Calls made through a VPC endpoint whose owner logs network activity events: each has a copy
(``<key>-endpoint-copy``), which only the endpoint activity search shows."""
ENDPOINT_COPIES = frozenset(f"{key}-endpoint-copy" for key in ENDPOINT_COPIED)


def _ingress(event_id: str, cidr_key: str, cidr: str, minute: int, **extra: Any) -> dict[str, Any]:
    ranges = "ipv6Ranges" if cidr_key == "cidrIpv6" else "ipRanges"
    permission = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, ranges: {"items": [{cidr_key: cidr}]}}
    return cloudtrail_record(
        event_id,
        "AuthorizeSecurityGroupIngress",
        "ec2.amazonaws.com",
        _user("fixture-mallory", MALLORY_KEY),
        minute,
        ip=ATTACKER_IP,
        request={"groupId": SECURITY_GROUP, "ipPermissions": {"items": [permission]}},
        response={"_return": True},
        **extra,
    )


def cloudtrail_records() -> list[dict[str, Any]]:
    calls = _calls()
    return [
        *calls,
        *(
            ct.network_activity_copy(call, f"{call['eventID']}-endpoint-copy")
            for call in calls
            if call["eventID"] in ENDPOINT_COPIED
        ),
    ]


def _calls() -> list[dict[str, Any]]:
    alice = _user("fixture-alice", ALICE_KEY)
    mallory = _user("fixture-mallory", MALLORY_KEY)
    return [
        _console_login("ct-console-nomfa", alice, 1, "No", "Success"),
        _console_login("ct-console-mfa", _user("fixture-bob"), 2, "Yes", "Success"),
        _console_login("ct-console-nomfa-failed", _user("fixture-carol"), 3, "No", "Failure"),
        _console_login(
            "ct-console-role",
            _role_session("FixtureSSORole", "fixture-dave@example.com", "ASIAFIXTUREDAVE00001"),
            4,
            "No",
            "Success",
        ),
        _console_login("ct-console-root-nomfa", ct.root(ACCOUNT, access_key_id=None), 5, "No", "Success"),
        cloudtrail_record(
            "ct-root-listbuckets",
            "ListBuckets",
            "s3.amazonaws.com",
            ct.root(ACCOUNT, access_key_id=None),
            6,
            read_only=True,
        ),
        cloudtrail_record(
            "ct-root-service",
            "AssumeRole",
            "sts.amazonaws.com",
            ct.root(ACCOUNT, access_key_id=None, invoked_by="config.amazonaws.com"),
            7,
            ip="config.amazonaws.com",
        ),
        cloudtrail_record(
            "ct-access-denied",
            "ListRoles",
            "iam.amazonaws.com",
            mallory,
            8,
            ip=ATTACKER_IP,
            error_code="AccessDenied",
            error_message="User is not authorized",
            read_only=True,
        ),
        cloudtrail_record(
            "ct-unauthorized",
            "RunInstances",
            "ec2.amazonaws.com",
            mallory,
            9,
            ip=ATTACKER_IP,
            error_code="Client.UnauthorizedOperation",
            error_message="not authorized",
        ),
        _endpoint_denied("ct-vpce-denied", _user("fixture-erin", "AKIAFIXTUREERIN00001"), 9),
        cloudtrail_record(
            "ct-no-such-entity",
            "GetUser",
            "iam.amazonaws.com",
            alice,
            10,
            error_code="NoSuchEntityException",
            error_message="user not found",
            read_only=True,
        ),
        cloudtrail_record(
            "ct-iam-create-key",
            "CreateAccessKey",
            "iam.amazonaws.com",
            mallory,
            11,
            ip=ATTACKER_IP,
            request={"userName": "fixture-alice"},
            response={
                "accessKey": {
                    "accessKeyId": "AKIAFIXTURENEWKEY001",
                    "userName": "fixture-alice",
                    "status": "Active",
                }
            },
        ),
        cloudtrail_record(
            "ct-iam-attach-policy",
            "AttachUserPolicy",
            "iam.amazonaws.com",
            mallory,
            12,
            ip=ATTACKER_IP,
            request={
                "userName": "fixture-mallory",
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
        cloudtrail_record(
            "ct-iam-list-users", "ListUsers", "iam.amazonaws.com", mallory, 13, ip=ATTACKER_IP, read_only=True
        ),
        _ingress("ct-sg-open-v4", "cidrIp", "0.0.0.0/0", 14),
        _ingress("ct-sg-open-v6", "cidrIpv6", "::/0", 15),
        _ingress("ct-sg-internal", "cidrIp", "10.0.0.0/8", 16),
        _ingress("ct-sg-open-denied", "cidrIp", "0.0.0.0/0", 17, error_code="Client.UnauthorizedOperation"),
        cloudtrail_record(
            "ct-stop-logging",
            "StopLogging",
            "cloudtrail.amazonaws.com",
            mallory,
            18,
            ip=ATTACKER_IP,
            request={"name": "fixture-trail"},
            resources=[{"ARN": TRAIL_ARN, "type": "AWS::CloudTrail::Trail", "accountId": ACCOUNT}],
        ),
        cloudtrail_record(
            "ct-delete-detector",
            "DeleteDetector",
            "guardduty.amazonaws.com",
            mallory,
            19,
            ip=ATTACKER_IP,
            request={"detectorId": "fixture0detector"},
        ),
        cloudtrail_record(
            "ct-delete-flowlogs",
            "DeleteFlowLogs",
            "ec2.amazonaws.com",
            mallory,
            20,
            ip=ATTACKER_IP,
            request={"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-fixture", "tag": 1}}},
        ),
        cloudtrail_record(
            "ct-describe-trails",
            "DescribeTrails",
            "cloudtrail.amazonaws.com",
            alice,
            21,
            read_only=True,
            user_agent=CONSOLE_AGENT,
            request={"trailNameList": ["fixture-trail"]},
        ),
        cloudtrail_record(
            "ct-get-object",
            "GetObject",
            "s3.amazonaws.com",
            alice,
            22,
            read_only=True,
            user_agent=CONSOLE_AGENT,
            category="Data",
            request={"bucketName": "fixture-bucket", "key": "report.csv"},
            resources=[
                {"ARN": "arn:aws:s3:::fixture-bucket/report.csv", "type": "AWS::S3::Object"},
                {"ARN": BUCKET_ARN, "type": "AWS::S3::Bucket", "accountId": ACCOUNT},
            ],
        ),
        ct.assume_role(
            mallory, chain_session(), source_ip=ATTACKER_IP, user_agent=CLI_AGENT, event_id="ct-assume-role"
        ),
        cloudtrail_record(
            "ct-session-list-secrets",
            "ListSecrets",
            "secretsmanager.amazonaws.com",
            ct.assumed_role(chain_session(), web_id_federation=False),
            24,
            ip=ATTACKER_IP,
            read_only=True,
        ),
    ]


def flow_lines() -> list[str]:
    """v2 records of 2024-05-02 (a day without other fixtures): the scanner is rejected three
    times, the client accepted."""
    flows = (
        # source, source port, destination port, packets, bytes, start, action
        (SCANNER_IP, 40001, 22, 3, 180, 1714644000, "REJECT"),
        (SCANNER_IP, 40002, 3389, 3, 180, 1714644000, "REJECT"),
        (SCANNER_IP, 40003, 23, 2, 120, 1714644060, "REJECT"),
        (CLIENT_IP, 50000, 443, 20, 4249, 1714644000, "ACCEPT"),
    )
    return [
        vpcflow.text_line(
            vpcflow.flow(
                src=src,
                dst="10.0.1.5",
                src_port=src_port,
                dst_port=dst_port,
                packets=packets,
                byte_count=size,
                start=start,
                action=action,
                account=ACCOUNT,
                interface="eni-0fixture000000001",
            )
        )
        for src, src_port, dst_port, packets, size, start, action in flows
    ]


def guardduty_finding(
    finding_id: str,
    finding_type: str,
    severity: float,
    minute: int,
    archived: bool = False,
    user: str = "fixture-mallory",
    key: str = MALLORY_KEY,
    sample: bool = False,
) -> dict[str, Any]:
    updated = datetime(2024, 5, 1, 11, minute, tzinfo=UTC)
    spec = gd.FindingSpec(
        type=finding_type,
        severity=severity,
        title=f"Fixture finding {finding_id}",
        description="A finding written for the assets' tests.",
        account=ACCOUNT,
        detector="fixture0detector",
        id=finding_id,
        created=updated,
        first_seen=datetime(2024, 5, 1, 10, 8, tzinfo=UTC),
        last_seen=datetime(2024, 5, 1, 10, 20, tzinfo=UTC),
        resource=gd.access_key_resource(key, f"AIDAFIXTURE{user.upper()[8:]}", user, "IAMUser"),
        action=gd.api_call_action("ListRoles", "iam.amazonaws.com", ATTACKER_IP, CLI_AGENT, "AccessDenied"),
        count=3,
        sample=sample,
        archived=archived,
    )
    return gd.finding(spec)


def guardduty_findings() -> list[dict[str, Any]]:
    return [
        guardduty_finding("gd-fixture-high", "UnauthorizedAccess:IAMUser/MaliciousIPCaller", 8.0, 1),
        guardduty_finding("gd-fixture-critical", "CredentialAccess:IAMUser/AnomalousBehavior", 9.2, 2),
        guardduty_finding(
            "gd-fixture-low", "Recon:IAMUser/MaliciousIPCaller", 2.0, 3, user="fixture-eve", key=EVE_KEY
        ),
        guardduty_finding(
            "gd-fixture-high-archived", "Discovery:IAMUser/AnomalousBehavior", 8.5, 4, archived=True
        ),
        guardduty_finding(
            "gd-fixture-sample-critical", "Impact:IAMUser/AnomalousBehavior", 9.0, 5, sample=True
        ),
        attack_sequence(),
        kubernetes_finding(),
    ]


KUBERNETES_NAMESPACE = "fixture-ns"


def kubernetes_finding() -> dict[str, Any]:
    """An EKS audit finding (botocore ``KubernetesApiCallAction``, ``KubernetesDetails``): an
    ``exec`` into a pod of :data:`KUBERNETES_NAMESPACE` whose container runs privileged, by a
    Kubernetes user who is none of the fixture principals, from no fixture address."""
    finding = guardduty_finding("gd-fixture-k8s", "Execution:Kubernetes/ExecInKubeSystemPod", 2.0, 6)
    finding["resource"] = {
        "resourceType": "EKSCluster",
        "eksClusterDetails": {
            "name": "fixture-eks",
            "arn": f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/fixture-eks",
        },
        "kubernetesDetails": {
            "kubernetesUserDetails": {"username": "fixture-k8s-dev", "groups": ["system:authenticated"]},
            "kubernetesWorkloadDetails": {
                "name": "fixture-pod",
                "type": "pods",
                "namespace": KUBERNETES_NAMESPACE,
                "containers": [
                    {"name": "shell", "image": "busybox:1.36", "securityContext": {"privileged": True}}
                ],
            },
        },
    }
    finding["service"]["action"] = {
        "actionType": "KUBERNETES_API_CALL",
        "kubernetesApiCallAction": {
            "requestUri": f"/api/v1/namespaces/{KUBERNETES_NAMESPACE}/pods/fixture-pod/exec?command=sh",
            "verb": "create",
            "resource": "pods",
            "subresource": "exec",
            "namespace": KUBERNETES_NAMESPACE,
            "resourceName": "fixture-pod",
            "statusCode": 101,
        },
    }
    return finding


def attack_sequence() -> dict[str, Any]:
    """A GuardDuty attack sequence (botocore's ``Sequence``) naming mallory as its actor, the
    attacker's address as its endpoint, and gd-fixture-high as one of its signals."""
    when = datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    sequence = {
        "uid": "fixture-sequence",
        "actors": [
            {
                "id": "fixture-actor",
                "user": {
                    "name": "fixture-mallory",
                    "uid": "AIDAFIXTUREMALLORY",
                    "type": "IAMUser",
                    "credentialUid": MALLORY_KEY,
                    "account": {"uid": ACCOUNT},
                },
            }
        ],
        "endpoints": [{"id": ATTACKER_IP, "ip": ATTACKER_IP}],
        "signals": [
            {
                "uid": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/fixture0detector/finding/gd-fixture-high",
                "type": "FINDING",
                "name": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
                "description": "Fixture signal: a finding",
                "firstSeenAt": "2024-05-01T10:08:00Z",
                "lastSeenAt": "2024-05-01T10:20:00Z",
                "count": 3,
            },
            {
                "uid": "fixture-signal-api",
                "type": "CLOUD_TRAIL",
                "name": "StopLogging",
                "description": "Fixture signal: an API call",
                "firstSeenAt": "2024-05-01T10:15:00Z",
                "count": 1,
            },
        ],
    }
    spec = gd.FindingSpec(
        type="AttackSequence:IAM/CompromisedCredentials",
        severity=9.5,
        title="Fixture finding gd-fixture-sequence",
        description="An attack sequence written for the assets' tests.",
        account=ACCOUNT,
        detector="fixture0detector",
        id="gd-fixture-sequence",
        created=when,
        first_seen=datetime(2024, 5, 1, 10, 8, tzinfo=UTC),
        last_seen=datetime(2024, 5, 1, 10, 20, tzinfo=UTC),
        resource={"resourceType": "AttackSequence"},
        action=None,
        extra_service={"featureName": "Correlation", "detection": {"sequence": sequence}},
    )
    return gd.finding(spec)


def securityhub_finding(
    finding_id: str,
    status: str,
    label: str,
    account: str = ACCOUNT,
    record_state: str = "ACTIVE",
    control: str = "S3.8",
) -> dict[str, Any]:
    spec = sh.ControlSpec(
        control_id=control,
        title=f"Fixture control {control}",
        description="A control finding written for the assets' tests.",
        status=status,
        label=label,
        account=account,
        resource=sh.resource("AwsS3Bucket", f"arn:aws:s3:::fixture-{finding_id}"),
        created=datetime(2024, 5, 1, 8, tzinfo=UTC),
        updated=datetime(2024, 5, 1, 12, tzinfo=UTC),
        finding_id=finding_id,
        record_state=record_state,
    )
    return sh.control_finding(spec)


def securityhub_findings() -> list[dict[str, Any]]:
    return [
        securityhub_finding("sh-fixture-failed-high", "FAILED", "HIGH"),
        securityhub_finding(
            "sh-fixture-failed-medium-other", "FAILED", "MEDIUM", account=OTHER_ACCOUNT, control="IAM.6"
        ),
        securityhub_finding("sh-fixture-passed", "PASSED", "INFORMATIONAL"),
        securityhub_finding(
            "sh-fixture-failed-archived", "FAILED", "CRITICAL", record_state="ARCHIVED", control="EC2.19"
        ),
        privileged_task_definition(),
    ]


def privileged_task_definition() -> dict[str, Any]:
    """ECS.4 failed on a task definition whose second container runs privileged (ASFF
    ``AwsEcsTaskDefinition.ContainerDefinitions[]``): its first container is not."""
    finding = securityhub_finding("sh-fixture-privileged", "FAILED", "MEDIUM", control="ECS.4")
    definitions = [
        {"Name": "app", "Image": "fixture/app:1", "Privileged": False},
        {"Name": "agent", "Image": "fixture/agent:1", "Privileged": True},
    ]
    finding["Resources"] = [
        sh.resource(
            "AwsEcsTaskDefinition",
            f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/fixture:1",
            AwsEcsTaskDefinition={"Family": "fixture", "ContainerDefinitions": definitions},
        )
    ]
    return finding


CONFIG_GROUP = "sg-fixture-open"
CONFIG_CAPTURED = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
CONFIG_GROUP_ITEM = f"{ACCOUNT}/us-east-1/AWS::EC2::SecurityGroup/{CONFIG_GROUP}/1714557600000"
"""The security group's item: its state id is the capture time in milliseconds (1714557600000)."""
CONFIG_COMPLIANCE = f"{ACCOUNT}/us-east-1/AWS::Config::ResourceCompliance/AWS::EC2::SecurityGroup/{CONFIG_GROUP}/1714557720000"
"""The group's compliance item, two minutes later; one document per rule: ``<id>/<rule>``."""


def config_items() -> list[dict[str, Any]]:
    """A security group opened to the world (the change behind ``ct-sg-open-v4``), and the
    verdicts of two rules on it: one failing, one passing."""
    return [
        cfg.configuration_item(
            ACCOUNT,
            "us-east-1",
            "AWS::EC2::SecurityGroup",
            CONFIG_GROUP,
            CONFIG_CAPTURED,
            {"groupId": CONFIG_GROUP, "ipPermissions": [{"fromPort": 22, "ipRanges": ["0.0.0.0/0"]}]},
            related_events=("ct-sg-open-v4",),
        ),
        cfg.resource_compliance_item(
            ACCOUNT,
            "us-east-1",
            "AWS::EC2::SecurityGroup",
            CONFIG_GROUP,
            datetime(2024, 5, 1, 10, 2, tzinfo=UTC),
            (("restricted-ssh", "NON_COMPLIANT"), ("vpc-sg-port-restriction-check", "COMPLIANT")),
        ),
    ]


def raw_objects() -> list[tuple[str, bytes]]:
    """``(object name, bytes)`` in the formats AWS delivers them."""
    return [
        ("fixtures/cloudtrail.json", json.dumps({"Records": cloudtrail_records()}).encode()),
        ("fixtures/vpcflow.log", vpcflow.text_body(flow_lines())),
        ("fixtures/guardduty.jsonl", "".join(json.dumps(f) + "\n" for f in guardduty_findings()).encode()),
        ("fixtures/securityhub.json", json.dumps(sh.get_findings_response(securityhub_findings())).encode()),
        ("fixtures/config.json", cfg.history_file(config_items())),
    ]


def normalize_bytes(
    name: str, data: bytes, keep_original: bool = False, allow_dead_letters: bool = False
) -> tuple[str, list[Document]]:
    """``(source, documents)``; raises on a dead letter unless allowed (the fixtures are valid)."""
    normalized = normalize_object(
        io.BytesIO(data), Origin(object=name, ingested=INGESTED, keep_original=keep_original)
    )
    items = list(normalized)
    dead = [item for item in items if isinstance(item, DeadLetter)]
    if dead and not allow_dead_letters:
        raise AssertionError(f"{name}: fixture records dead-lettered: {[d.reason for d in dead]}")
    return str(normalized.outcome.source), [item for item in items if not isinstance(item, DeadLetter)]


def fixture_documents() -> list[tuple[str, Document]]:
    """``(source, document)`` for every fixture record (event.original kept: it must not be indexed)."""
    out: list[tuple[str, Document]] = []
    for name, data in raw_objects():
        source, documents = normalize_bytes(name, data, keep_original=True)
        out.extend((source, document) for document in documents)
    return out


def key_of(document: Document) -> str:
    """The case key a fixture document was written with (see the module docstring)."""
    if "incident" in document:
        return str(document["incident"]["id"])
    aws = document.get("aws", {})
    if "guardduty" in aws:
        return str(aws["guardduty"]["id"])
    if "securityhub_findings" in aws:
        return str(aws["securityhub_findings"]["id"])
    if "vpcflow" in aws or index_of(document) == "vpcflow":
        # A flow without a valid IP (or without an action: NODATA) is keyed by what it has.
        source = document.get("source", {})
        address = source.get("ip") or source.get("address", "-")
        action = document["event"].get("action") or document["aws"]["vpcflow"].get("log_status", "-")
        return f"flow:{address}:{action}"
    return str(document["event"]["id"])


def fixture_incidents() -> list[tuple[str, Document]]:
    """``("incidents", incident)``, one per status as detections/incident_status.py sets it:
    open, acknowledged, closed, reopened by an alert, merged."""
    at = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    made = {
        status: new_incident(f"incident-fixture-{status}", f"principal:{status}", at, at)
        for status in ("open", "acknowledged", "closed", "reopened", "merged")
    }
    for status, incident in made.items():
        alert = {
            "rule": {"id": "siem-root-account-usage", "name": "Root account usage", "ruleset": "siem"},
            "event": {"severity": 75, "start": "2026-03-14T11:00:00Z", "end": "2026-03-14T11:00:00Z"},
            "alert": {"id": f"alert-{status}", "severity": "high", "event_ids": [f"event-{status}"]},
            "related": {"user": [f"arn:aws:iam::{ACCOUNT}:root"]},
            "cloud": {"account": {"id": ACCOUNT}},
        }
        add_alert(incident, alert, at)
    change_status(made["acknowledged"], StatusChange("acknowledged", "alice"), at)
    for status in ("closed", "reopened"):
        change_status(made[status], StatusChange("closed", "bob", resolution="false_positive"), at)
    reopen_on_alert(made["reopened"], "alert-fixture", at)
    merge_incident(made["open"], made["merged"], at)
    return [("incidents", incident) for incident in made.values()]
