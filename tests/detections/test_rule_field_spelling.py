"""The request fields of the rules on the security services and on grants are spelled as
CloudTrail logs them (docs/detections.md, "Field paths and their evidence").

A rule that reads a field CloudTrail spells differently never fires, and its own inline tests
do not show it: they are written in the spelling the rule reads. So the tests' records are
checked against botocore's model of each call, member by member, with CloudTrail's spelling
for the service: the member name with its first character alone lower-cased (JSON, query and
Lambda's rest-json: ``sSHPublicKey``, ``secretId`` in ../shared/samples), GuardDuty's
``locationName``s, Security Hub's and Detective's members as sent, S3's and S3 Control's XML
element names, EC2's two forms (the older calls flat: ``locationName``s lower-camel, lists as
``{items: [...]}``, ``launchPermission.add.items[].userId`` in ../shared/samples; the newer ones
wrapped in ``<Operation>Request`` with the names as sent, list items numbered by ``tag``), API
Gateway's ``<operation>Input`` and ``patch`` wrappers; and every request or response field a
rule reads is spelled so in one of its tests' records. A test
written in a second spelling the rule reads on purpose (``ALTERNATE``) holds the other one: the
members as sent, or lower-cased where CloudTrail logs them as sent (each of its records in one
of the two). A member the model marks
``sensitive`` (CloudTrail may hide its value) is read only for its presence.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.model import ListShape, OperationModel, ServiceModel, Shape, StructureShape

from detections.principals import json_object
from detections.rules import RULES_DIR, Rule, load_rule

RULE_FILES = (
    "resource-policy-grants-outside",
    "s3-data-delivered-to-other-account",
    "kms-key-disabled-or-deletion-scheduled",
    "guardduty-disabled",
    "guardduty-findings-suppressed",
    "securityhub-disabled",
    "securityhub-findings-suppressed",
    "config-coverage-reduced",
    "config-recording-stopped",
    "access-analyzer-deleted-or-archived",
    "organizations-guardrail-weakened",
    "iam-identity-provider-changed",
    "identity-center-permission-set-admin",
    "iam-mfa-removed-for-another-user",
    "iam-policy-default-version-set",
    "iam-password-policy-weakened",
    "iam-admin-policy-attached",
    "cloudformation-first-deployment-by-principal",
    "rds-master-password-reset",
    "rds-database-made-public",
    "ec2-imdsv1-enabled",
    "network-joined-to-outside-account",
    "route53-domain-transfer-out",
    "route53-domain-nameservers-changed",
    "inspector-findings-suppressed",
    "macie-findings-suppressed",
    "guardduty-coverage-narrowed",
    "ses-sending-enabled",
    "ses-identity-created-by-new-principal",
    "iam-access-key-reactivated-for-another-user",
    "firehose-delivers-to-third-party",
    "firehose-delivers-to-other-account",
    "data-copied-to-other-account",
    "ebs-default-key-outside-account",
    "data-exported-by-new-principal",
    "ssm-document-shared",
    "logs-delivered-to-other-account",
    "detective-disabled",
    "inspector-disabled",
    "macie-disabled",
    "s3-access-logging-disabled",
    "passrole-compute-first-use",
    "iam-self-escalation",
    "iam-exposed-key-quarantined",
    "iam-policy-grants-escalation",
    "lambda-permission-grants-outside",
    "rds-snapshot-shared",
    "iam-role-created-trusting-outside",
    "iam-role-trust-grants-outside",
    "ec2-ami-shared",
    "ec2-snapshot-shared",
    "ec2-accelerated-instance-launch",
    "ec2-get-password-data",
    "ec2-security-group-admin-port-open",
    "ec2-user-data-modified",
    "ec2-user-data-read",
    "s3-public-access-block-disabled",
    "s3-access-point-policy-grants-outside",
    "ec2-instance-connect-key-pushed",
    "ec2-serial-console-key-pushed",
    "cloudtrail-trail-destination-changed",
    "deployment-verification",
    "lambda-code-updated",
    "lambda-function-url-public",
    "lambda-layer-added",
    "s3-bucket-policy-grants-outside",
    "sagemaker-lifecycle-config-changed",
    "secretsmanager-batch-retrieval",
    "secretsmanager-retrieval-burst",
    "ssm-securestring-decrypted",
    "ssm-start-session",
    "ssm-send-command-shell",
    "s3-lifecycle-short-expiration",
    "s3-acl-grants-other-account",
    "s3-acl-grants-public",
    "s3-sse-c-encryption",
    "cloudtrail-event-selectors-narrowed",
    "cloudtrail-lake-logging-reduced",
    "ec2-traffic-mirroring-started",
)
MODELS = {
    "access-analyzer": "accessanalyzer",
    "acm-pca": "acm-pca",
    "elasticfilesystem": "efs",
    "es": "opensearch",
    "sso": "sso-admin",
    "aoss": "opensearchserverless",
    "aps": "amp",
    "bedrock-agentcore": "bedrock-agentcore-control",
    "cloudhsm": "cloudhsmv2",
    "elasticmapreduce": "emr",
    **{
        name: name
        for name in [
            "apigateway",
            "autoscaling",
            "appstream",
            "backup",
            "batch",
            "bedrock",
            "cloudformation",
            "cloudsearch",
            "cloudtrail",
            "codeartifact",
            "codebuild",
            "comprehend",
            "connect",
            "context",
            "config",
            "dataexchange",
            "datazone",
            "detective",
            "dlm",
            "ds",
            "dsql",
            "dynamodb",
            "ec2",
            "ec2-instance-connect",
            "ecr",
            "ecr-public",
            "eks",
            "elasticache",
            "entityresolution",
            "events",
            "firehose",
            "fsx",
            "glacier",
            "glue",
            "guardduty",
            "iam",
            "imagebuilder",
            "inspector2",
            "kafka",
            "kinesis",
            "kms",
            "lakeformation",
            "lambda",
            "lightsail",
            "logs",
            "macie2",
            "oam",
            "omics",
            "organizations",
            "payment-cryptography",
            "qbusiness",
            "quicksight",
            "ram",
            "rds",
            "redshift",
            "redshift-serverless",
            "rekognition",
            "route53domains",
            "s3",
            "s3files",
            "s3tables",
            "s3vectors",
            "sagemaker",
            "secretsmanager",
            "securityhub",
            "securitylake",
            "servicecatalog",
            "ses",
            "signer",
            "sns",
            "sqs",
            "ssm",
            "vpc-lattice",
            "wellarchitected",
            "workspaces",
        ]
    },
}
"""botocore's service of each ``eventSource`` (``<signing name>.amazonaws.com``)."""
ALTERNATE = {
    "siem-resource-policy-grants-outside": {
        "SQS AddPermission and SetQueueAttributes with the JSON protocol's member names",
        "SNS AddPermission with the API's member names as sent (AWSAccountId)",
        "a file system and a backup vault shared, the REST body's member names as sent (Policy)",
        "a Glacier vault open to everyone, the REST body's member name as sent (policy.Policy)",
        "a Lake Formation grant to another account and to another organization, the REST body's member"
        " names as sent (Principal.DataLakePrincipalIdentifier)",
        "a model package group and a Rekognition project shared, the JSON members as sent (ResourcePolicy,"
        " PolicyDocument)",
        "a data lake's settings trusting another account and a behavior graph of another account, the members"
        " lower-cased or as sent (DataLakeSettings.TrustedResourceOwners, graphArn)",
        "QuickSight grants to another account, the members as sent (GrantPermissions, GrantLinkPermissions,"
        " Permissions, LinkSharingConfiguration.Permissions)",
        "a new OpenSearch domain open to another account, the policy under its wire name",
    },
    "siem-data-copied-to-other-account": {
        "Backup's members as sent (DestinationBackupVaultArn, BackupPlan.Rules.CopyActions)",
        "a file system replicated to another account, the REST body's member names as sent"
        " (Destinations.FileSystemId)",
        "a lifecycle policy sharing its snapshots with another account, DLM's members as sent"
        " (PolicyDetails.Schedules.ShareRules.TargetAccounts)",
    },
    "siem-detective-disabled": {
        "auto-enable of new accounts off, the members lower-cased as CloudTrail logs most REST APIs",
    },
    "siem-s3-access-point-policy-grants-outside": {
        "an S3 access point on an FSx volume opened to another account, and one the REST body's member"
        " names as sent (S3AccessPoint.Policy)",
    },
    "siem-logs-delivered-to-other-account": {
        "a link to another account's sink, the REST body's member names as sent (SinkIdentifier)",
    },
    "siem-ses-sending-enabled": {
        "SES v2's members as the API names them (sending resumed, production access requested)",
        "SES v2's members as the API names them: sending paused, no production access",
    },
}
"""Tests written in the second spelling their rule reads (as sent, or lower-cased for ``AS_SENT``)."""
FIELD = re.compile(r"aws\.cloudtrail\.(request_parameters|response_elements)\.([A-Za-z0-9_.-]+)")
AS_SENT = {"securityhub", "s3", "s3control", "detective"}
"""Services whose request members CloudTrail logs as sent: Security Hub's and Detective's
PascalCase REST bodies, S3's and S3 Control's XML element names."""
RECORD_KEYS = {"request_parameters": "requestParameters", "response_elements": "responseElements"}
SESSION = botocore.session.get_session()


def model(event_source: str, event_name: str = "") -> ServiceModel | None:
    """The service model of a call. SES's two API versions share ``ses.amazonaws.com``, and a
    call v1 does not know is v2's (``CreateEmailIdentity``, ``PutAccountDetails``); S3 Control
    logs as ``s3.amazonaws.com``, so a call S3 does not know is S3 Control's
    (``PutAccessPointPolicy``) when S3 Control knows it, or the call CloudTrail names so
    (:data:`S3_EVENTS`); OpenSearch Service's and the Elasticsearch API's calls share ``es.amazonaws.com``;
    EventBridge's second API (``eventbridgev2``, signing name ``events``) holds the event bus's
    ``PutResourcePolicy``, which the first does not know."""
    service = MODELS.get(event_source.removesuffix(".amazonaws.com"))
    if service == "s3" and event_name in S3_EVENTS:
        return service_model(S3_EVENTS[event_name][0])
    if service == "ses" and event_name not in service_model("ses").operation_names:
        service = "sesv2"
    if service == "opensearch" and event_name not in service_model("opensearch").operation_names:
        service = "es"
    if service == "events" and event_name not in service_model("events").operation_names:
        service = "eventbridgev2"
    if service == "s3" and event_name not in service_model("s3").operation_names:
        service = "s3control" if event_name in service_model("s3control").operation_names else None
    return service_model(service) if service else None


S3_EVENTS = {
    "PutBucketLifecycle": ("s3", "PutBucketLifecycleConfiguration"),
    "PutBucketPublicAccessBlock": ("s3", "PutPublicAccessBlock"),
    "DeleteBucketPublicAccessBlock": ("s3", "DeletePublicAccessBlock"),
    "PutAccountPublicAccessBlock": ("s3control", "PutPublicAccessBlock"),
    "DeleteAccountPublicAccessBlock": ("s3control", "DeletePublicAccessBlock"),
}
"""The S3 and S3 Control calls CloudTrail logs under another ``eventName`` (S3's user guide's
table of CloudTrail's names, as remembered: no copy here); ``PutBucketLifecycle`` is also the
name of the older call, whose rules have no ``Filter``, so the newer one is walked."""
OWN_MEMBERS = {("ssm", "SendCommand"): {"interactive"}}
"""Request fields CloudTrail logs beside the API's members: SendCommand's ``interactive``
(../shared/samples, stratus-red-team ssm-send-command)."""


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model, loaded once (EC2's takes a second each time)."""
    return SESSION.get_service_model(service)


def operation(service: ServiceModel, event_name: str) -> OperationModel:
    """The call an ``eventName`` names: the operation, or (Lambda) the operation followed by
    its API version (``AddLayerVersionPermission20181031``, ``AddPermission20150331v2``)."""
    if service.service_name in {"s3", "s3control"} and event_name in S3_EVENTS:
        event_name = S3_EVENTS[event_name][1]
    return named_operation(service.service_name, event_name)


@functools.cache
def named_operation(service_name: str, event_name: str) -> OperationModel:
    service = service_model(service_name)
    for name in service.operation_names:
        if event_name == name or re.fullmatch(re.escape(name) + r"\d{8}(v\d+)?", event_name):
            return service.operation_model(name)
    raise AssertionError(f"{event_name} is no operation of {service.service_name}")


def spelling(service: str, name: str, member: Shape, alternate: bool) -> str:
    """How CloudTrail spells one member of a request (docs/detections.md, "Field paths"), or
    the second spelling a rule reads: the name as sent where CloudTrail lower-cases it, the
    lower-cased name where it logs the wire name (Detective's ``autoEnable``)."""
    wire = str(member.serialization.get("name", name))
    lowered = name[:1].lower() + name[1:]
    if service in AS_SENT or (service == "guardduty" and "location" not in member.serialization):
        return lowered if alternate else wire
    return name if alternate else lowered


EC2_NAMES = {"Attribute": "attributeType", "GroupNames": "userGroups"}
"""EC2 members logged, or read, under another name: ModifyImageAttribute's ``Attribute`` as
CloudTrail's ``attributeType`` (../shared/samples, stratus-red-team ec2-share-ami);
ModifySnapshotAttribute's ``GroupNames`` (sent as ``UserGroup.N``) read as the image call's
``userGroups`` too, the same element there (no record of the flat form was at hand)."""
EC2_OWN_SETS = {"instancesSet"}
"""CloudTrail's own EC2 element holding the request's members item by item:
``instancesSet.items[].instanceId`` (StartInstances, StopInstances: the CloudTrail user guide's
records) and ``instancesSet.items[].{imageId,minCount,maxCount}`` (RunInstances:
../shared/samples, stratus-red-team ec2-launch-unusual-instances)."""


def ec2_spellings(name: str, member: Shape) -> set[str]:
    """The spellings of an EC2 (query protocol) member in the flat form CloudTrail logs the
    older calls in: the member name and its ``locationName`` (the wire's singular ``UserId``
    of ``UserIds``), first letter lower-cased, and CloudTrail's own name (:data:`EC2_NAMES`).
    No record of the flat form of the share calls was at hand, so both are read
    (docs/detections.md)."""
    wire = str(member.serialization.get("name", name))
    names = {name[:1].lower() + name[1:], wire[:1].lower() + wire[1:]}
    return names | ({EC2_NAMES[name]} if name in EC2_NAMES else set())


def ec2_wire_name(name: str, member: Shape) -> str:
    """The name an EC2 member is sent under, as botocore's ``EC2Serializer`` spells it: its
    ``queryName``, else its ``locationName`` capitalised, else the member name. CloudTrail's
    wrapped form (``<Operation>Request``) logs the members so (``SecurityGroupRule`` of
    ``SecurityGroupRules``)."""
    serialization = member.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    if "name" in serialization:
        wire = str(serialization["name"])
        return wire[:1].upper() + wire[1:]
    return name


def ec2_items(value: Any, wrapped: bool, structures: bool) -> list[Any]:
    """The items of an EC2 list as CloudTrail logs them: ``{items: [...]}`` (``{}`` when empty)
    in the flat form; in the wrapped form one item as an object, several as a list, each
    numbered by a ``tag`` (a string item's value in ``content``). A plain list is its items."""
    if not wrapped and isinstance(value, dict) and set(value) <= {"items"}:
        return list(value.get("items", []))
    items = value if isinstance(value, list) else [value]
    if not wrapped:
        return items
    if structures:
        return [
            {k: v for k, v in item.items() if k != "tag"} if isinstance(item, dict) else item
            for item in items
        ]
    return [
        item["content"] if isinstance(item, dict) and set(item) == {"tag", "content"} else item
        for item in items
    ]


def misspelt(service: str, shape: Shape, value: Any, alternate: bool, path: str) -> Iterator[str]:
    """The keys of ``value`` that are not the spelling of a member of ``shape``; for EC2,
    ``alternate`` is the wrapped form (``<Operation>Request``)."""
    if isinstance(shape, ListShape):
        if service == "ec2":
            items = ec2_items(value, alternate, isinstance(shape.member, StructureShape))
        else:
            element = str(shape.member.serialization.get("name", "member"))
            if (
                not shape.serialization.get("flattened")
                and isinstance(value, dict)
                and set(value) == {element}
            ):
                value = value[element]  # an XML list's wrapper element: AccessControlList.Grant
            items = value if isinstance(value, list) else [value]  # one element logged as an object
        for item in items:
            yield from misspelt(service, shape.member, item, alternate, path)
        return
    if not isinstance(shape, StructureShape) or not isinstance(value, dict):
        return
    if service == "ec2" and alternate:
        members = {ec2_wire_name(name, member): member for name, member in shape.members.items()}
    elif service == "ec2":
        members = {
            spelt: member for name, member in shape.members.items() for spelt in ec2_spellings(name, member)
        }
    else:
        members = {
            spelling(service, name, member, alternate): member for name, member in shape.members.items()
        }
    for key, item in value.items():
        if key in members:
            yield from misspelt(service, members[key], item, alternate, f"{path}.{key}")
        elif service == "ec2" and not alternate and key in EC2_OWN_SETS:
            for entry in ec2_items(item, wrapped=False, structures=True):
                yield from misspelt(service, shape, entry, False, f"{path}.{key}")
        elif not (service in {"s3", "s3control"} and key.startswith("xmlns")):  # XML namespaces
            yield f"{path}.{key}"


def apigateway_members(operation_name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """API Gateway's request as the request's own members: its records log a body under
    ``<operation>Input`` (``createRestApiInput``) and a patch under ``patch``
    (``patch.patchOperations``), as remembered: no record of them is here (docs/detections.md)."""
    wrappers = {operation_name[:1].lower() + operation_name[1:] + "Input", "patch"}
    members = {
        key: value for key, value in parameters.items() if key not in wrappers or not isinstance(value, dict)
    }
    for key in wrappers & set(parameters):
        if isinstance(parameters[key], dict):
            members |= parameters[key]
    return members


def request_misspellings(record: dict[str, Any], alternate: bool = False) -> list[str]:
    service = model(str(record.get("eventSource", "")), str(record.get("eventName", "")))
    parameters = record.get("requestParameters")
    if service is None or not isinstance(parameters, dict):
        return []
    call = operation(service, str(record["eventName"]))
    shape: Shape | None = call.input_shape
    if shape is None:
        return list(parameters)
    path = "requestParameters"
    if service.service_name in {"s3", "s3control"} and isinstance(shape, StructureShape):
        # the XML body only (bucketName, x-amz-account-id, Host... are CloudTrail's own): the
        # payload member, or (S3 Control) the request under its root element
        if payload := str(shape.serialization.get("payload", "")):
            shape, parameters = shape.members[payload], parameters.get(payload, {})
        elif root := str(shape.serialization.get("name", "")):
            parameters, path = parameters.get(root, {}), f"{path}.{root}"
        else:
            return []
    elif service.service_name == "ec2":
        # a newer call wrapped in <Operation>Request, members as sent ("" with none); an older one flat
        wrapper = f"{call.name}Request"
        if alternate := wrapper in parameters:
            if len(parameters) > 1:
                return [f"{path}.{key}" for key in parameters if key != wrapper]
            parameters, path = parameters[wrapper] or {}, f"{path}.{wrapper}"
    elif service.service_name == "apigateway":
        parameters = apigateway_members(call.name, parameters)
    own = OWN_MEMBERS.get((service.service_name, call.name), set())
    parameters = {key: value for key, value in parameters.items() if key not in own}
    return list(misspelt(service.service_name, shape, parameters, alternate, path))


def records(rule: Rule) -> Iterator[tuple[str, dict[str, Any]]]:
    for case in rule.tests:
        history = case.history.get("cloudtrail", ()) if isinstance(case.history, dict) else case.history
        for record in (*case.records, *history):
            if isinstance(record, dict) and "eventSource" in record:
                yield case.name, record


def has_path(value: Any, keys: list[str]) -> bool:
    """Whether ``value`` holds ``keys``; JSON text is read as the object it holds, as the rules
    read it (a subscription policy's ``policyDocument.DestinationArn``)."""
    if not keys:
        return value is not None
    value = json_object(value)
    if isinstance(value, list):
        return any(has_path(item, keys) for item in value)
    return isinstance(value, dict) and keys[0] in value and has_path(value[keys[0]], keys[1:])


def read_fields(rule: Rule) -> tuple[str, str]:
    """The rule's query and its ``where`` items as text, where the fields it reads are named."""
    assert rule.path is not None
    definition = yaml.safe_load(rule.path.read_text())
    return str(definition.get("query", "")), yaml.safe_dump(definition.get("where", []))


def fields_read(text: str) -> set[tuple[str, str]]:
    return {(part, path.rstrip(".")) for part, path in FIELD.findall(text)}


def hides(service: str, shape: Shape | None, keys: list[str]) -> bool:
    """Whether a member on the path ``keys`` (in either spelling) is ``sensitive`` in the model."""
    if isinstance(shape, ListShape):
        return hides(service, shape.member, keys)
    if not keys or not isinstance(shape, StructureShape):
        return False
    return any(
        bool(member.metadata.get("sensitive")) or hides(service, member, keys[1:])
        for name, member in shape.members.items()
        if keys[0] in (spelling(service, name, member, False), spelling(service, name, member, True))
    )


REDACTED = {
    "siem-rds-master-password-reset": {"request_parameters.masterUserPassword"},
    "siem-firehose-delivers-to-third-party": {
        f"request_parameters.{destination}.{url}"
        for destination, url in [
            ("httpEndpointDestinationConfiguration", "endpointConfiguration.url"),
            ("httpEndpointDestinationUpdate", "endpointConfiguration.url"),
            ("snowflakeDestinationConfiguration", "accountUrl"),
            ("snowflakeDestinationUpdate", "accountUrl"),
        ]
    },
}
"""The fields read whose member the model marks ``sensitive``: CloudTrail may log their value as
``HIDDEN_DUE_TO_SECURITY_REASONS`` (or a mask), so the rules read only that they are there."""


RULES = [load_rule(RULES_DIR / f"{name}.yml") for name in RULE_FILES]


def test_every_rule_that_reads_a_request_or_response_field_is_walked() -> None:
    reading = {path.stem for path in RULES_DIR.glob("*.yml") if FIELD.search(path.read_text())}
    assert reading - set(RULE_FILES) == set()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_test_records_spell_members_as_cloudtrail_logs_them(rule: Rule) -> None:
    alternate = ALTERNATE.get(rule.id, set())
    assert alternate <= {case.name for case in rule.tests}
    wrong = {
        f"{name}: {record['eventName']} {key}"
        for name, record in records(rule)
        # a record of a test in the second spelling may stand beside one in the first
        for key in (
            request_misspellings(record) and request_misspellings(record, alternate=True)
            if name in alternate
            else request_misspellings(record)
        )
    }
    assert not wrong


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_field_the_rule_reads_is_in_a_test_record(rule: Rule) -> None:
    query, where = read_fields(rule)
    missing = {
        f"{part}.{path}"
        for part, path in fields_read(f"{query} {where}")
        if not any(has_path(record.get(RECORD_KEYS[part]), path.split(".")) for _, record in records(rule))
    }
    assert not missing


def ec2_output_path(shape: Shape | None, keys: list[str]) -> bool:
    """Whether ``keys`` is a path of an EC2 response as CloudTrail logs its XML: the elements'
    ``locationName``s (``instancesSet``, not the member name ``instances``: the CloudTrail user
    guide's StartInstances record), lists as ``{items: [...]}``."""
    if not keys:
        return True
    if isinstance(shape, ListShape):
        return keys[0] == "items" and ec2_output_path(shape.member, keys[1:])
    if not isinstance(shape, StructureShape):
        return False
    for name, member in shape.members.items():
        element = str(member.serialization.get("name", name))
        if keys[0] == element[:1].lower() + element[1:]:
            return ec2_output_path(member, keys[1:])
    return False


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_an_ec2_response_field_the_rule_reads_is_the_responses_element(rule: Rule) -> None:
    """EC2's responses are its XML, logged flat or (newer calls) under ``<Operation>Response``
    with the same element names (docs/detections.md)."""
    query, where = read_fields(rule)
    wrong = set()
    for part, path in fields_read(f"{query} {where}"):
        keys = path.split(".")
        for _, record in records(rule):
            service = model(str(record["eventSource"]), str(record["eventName"]))
            if part != "response_elements" or service is None or service.service_name != "ec2":
                continue
            if not has_path(record.get("responseElements"), keys):
                continue
            call = operation(service, str(record["eventName"]))
            inner = keys[1:] if keys[0] == f"{call.name}Response" else keys
            if not ec2_output_path(call.output_shape, inner):
                wrong.add(f"{record['eventName']} {part}.{path}")
    assert not wrong


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_a_member_cloudtrail_may_hide_is_read_for_its_presence_only(rule: Rule) -> None:
    query, where = read_fields(rule)
    hidden = set()
    for part, path in fields_read(f"{query} {where}"):
        for _, record in records(rule):
            service = model(str(record["eventSource"]), str(record["eventName"]))
            if service is None:
                continue
            call = operation(service, str(record["eventName"]))
            shape = call.input_shape if part == "request_parameters" else call.output_shape
            if hides(service.service_name, shape, path.split(".")):
                hidden.add(f"{part}.{path}")
    assert hidden == REDACTED.get(rule.id, set())
    for field in hidden:  # only _exists_ in the query; no where item compares the value
        mentions = re.findall(rf"(\S*)aws\.cloudtrail\.{re.escape(field)}(?![A-Za-z0-9_.])", query)
        assert mentions and set(mentions) == {"_exists_:"}
        assert f"aws.cloudtrail.{field}" not in where


@pytest.mark.parametrize(
    ("record", "wrong"),
    [
        # Introspector's decapitalisation keeps an acronym whole; CloudTrail does not
        (
            {
                "eventSource": "sqs.amazonaws.com",
                "eventName": "AddPermission",
                "requestParameters": {
                    "queueUrl": "u",
                    "AWSAccountIds": ["999988887777"],
                    "actions": ["SendMessage"],
                },
            },
            ["requestParameters.AWSAccountIds"],
        ),
        # GuardDuty's wire names, not the SDK's
        (
            {
                "eventSource": "guardduty.amazonaws.com",
                "eventName": "UpdateDetector",
                "requestParameters": {"detectorId": "d", "DataSources": {"S3Logs": {"Enable": False}}},
            },
            ["requestParameters.DataSources"],
        ),
        # Security Hub's members as sent, nested ones too
        (
            {
                "eventSource": "securityhub.amazonaws.com",
                "eventName": "UpdateStandardsControl",
                "requestParameters": {"standardsControlArn": "a", "ControlStatus": "DISABLED"},
            },
            ["requestParameters.standardsControlArn"],
        ),
        # S3's XML element names (the flattened list's element), not the model's member names
        (
            {
                "eventSource": "s3.amazonaws.com",
                "eventName": "PutBucketReplication",
                "requestParameters": {
                    "bucketName": "b",
                    "ReplicationConfiguration": {"Rules": [{"Destination": {"Account": "9"}}]},
                },
            },
            ["requestParameters.Rules"],
        ),
        # Lambda's event names carry the API version; its members are lower-camel
        (
            {
                "eventSource": "lambda.amazonaws.com",
                "eventName": "AddLayerVersionPermission20181031",
                "requestParameters": {"layerName": "l", "versionNumber": 1, "Principal": "*"},
            },
            ["requestParameters.Principal"],
        ),
        # EC2's newer calls wrapped in <Operation>Request with the members as sent
        (
            {
                "eventSource": "ec2.amazonaws.com",
                "eventName": "ModifyInstanceMetadataOptions",
                "requestParameters": {
                    "ModifyInstanceMetadataOptionsRequest": {"InstanceId": "i-1", "httpTokens": "optional"}
                },
            },
            ["requestParameters.ModifyInstanceMetadataOptionsRequest.httpTokens"],
        ),
        # ... its list's wire name (the locationName), not the member name
        (
            {
                "eventSource": "ec2.amazonaws.com",
                "eventName": "ModifySecurityGroupRules",
                "requestParameters": {
                    "ModifySecurityGroupRulesRequest": {
                        "GroupId": "sg-1",
                        "SecurityGroupRules": {"tag": 1, "SecurityGroupRuleId": "sgr-1"},
                    }
                },
            },
            ["requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRules"],
        ),
        # ... and the older calls flat, lower-camel, lists in {items: [...]}
        (
            {
                "eventSource": "ec2.amazonaws.com",
                "eventName": "ModifyFpgaImageAttribute",
                "requestParameters": {
                    "fpgaImageId": "afi-1",
                    "LoadPermission": {"add": {"items": [{"userId": "999988887777"}]}},
                },
            },
            ["requestParameters.LoadPermission"],
        ),
        (
            {
                "eventSource": "ec2.amazonaws.com",
                "eventName": "RunInstances",
                "requestParameters": {
                    "instancesSet": {"items": [{"imageId": "ami-1", "minCount": 1, "maxcount": 1}]},
                    "instanceType": "p5.48xlarge",
                },
            },
            ["requestParameters.instancesSet.maxcount"],
        ),
        # API Gateway's patch wrapper holds the request's members
        (
            {
                "eventSource": "apigateway.amazonaws.com",
                "eventName": "UpdateRestApi",
                "requestParameters": {
                    "restApiId": "a1",
                    "patch": {"patchOperations": [{"op": "replace", "Path": "/policy", "value": "{}"}]},
                },
            },
            ["requestParameters.patchOperations.Path"],
        ),
        # S3 Control (logged as s3.amazonaws.com): the XML body under its root element
        (
            {
                "eventSource": "s3.amazonaws.com",
                "eventName": "PutAccessPointPolicy",
                "requestParameters": {"name": "ap", "PutAccessPointPolicyRequest": {"policy": "{}"}},
            },
            ["requestParameters.PutAccessPointPolicyRequest.policy"],
        ),
        # S3's lifecycle configuration, logged as PutBucketLifecycle (the older call's name)
        (
            {
                "eventSource": "s3.amazonaws.com",
                "eventName": "PutBucketLifecycle",
                "requestParameters": {
                    "bucketName": "b",
                    "LifecycleConfiguration": {
                        "Rule": {
                            "ID": "r",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "Expiration": {"days": 1},
                        }
                    },
                },
            },
            ["requestParameters.Rule.Expiration.days"],
        ),
        # an XML list's wrapper element (AccessControlList) holds its elements (Grant)
        (
            {
                "eventSource": "s3.amazonaws.com",
                "eventName": "PutBucketAcl",
                "requestParameters": {
                    "bucketName": "b",
                    "AccessControlPolicy": {
                        "AccessControlList": {
                            "Grant": {"Grantee": {"xsi:type": "Group"}, "permission": "READ"}
                        }
                    },
                },
            },
            ["requestParameters.AccessControlList.permission"],
        ),
        # the Elasticsearch API's calls (es.amazonaws.com, OpenSearch's model knows them not)
        (
            {
                "eventSource": "es.amazonaws.com",
                "eventName": "CreateElasticsearchDomain",
                "requestParameters": {"domainName": "logs", "EBSOptions": {"eBSEnabled": True}},
            },
            ["requestParameters.EBSOptions"],
        ),
        # FSx, a JSON service: first letter lower-cased
        (
            {
                "eventSource": "fsx.amazonaws.com",
                "eventName": "CreateAndAttachS3AccessPoint",
                "requestParameters": {"name": "ap", "type": "OPENZFS", "S3AccessPoint": {"Policy": "{}"}},
            },
            ["requestParameters.S3AccessPoint"],
        ),
    ],
    ids=[
        "sqs-acronym",
        "guardduty-wire-names",
        "securityhub-as-sent",
        "s3-xml-elements",
        "lambda-version",
        "ec2-wrapped-as-sent",
        "ec2-wrapped-wire-name",
        "ec2-flat-lower-camel",
        "ec2-instances-set",
        "apigateway-patch",
        "s3control-body",
        "s3-cloudtrail-event-name",
        "s3-xml-list-wrapper",
        "elasticsearch-api",
        "fsx-json",
    ],
)
def test_a_misspelt_record_is_told(record: dict[str, Any], wrong: list[str]) -> None:
    assert request_misspellings(record) == wrong


@pytest.mark.parametrize(
    ("operation_name", "path", "spelt"),
    [
        ("RunInstances", "instancesSet.items.instanceType", True),
        ("RunInstances", "instancesSet.instanceType", False),  # the list's items wrapper left out
        ("RunInstances", "instances.items.instanceType", False),  # the member name, not the element's
        ("AcceptVpcPeeringConnection", "vpcPeeringConnection.requesterVpcInfo.ownerId", True),
        ("AcceptVpcPeeringConnection", "vpcPeeringConnection.requesterVpcInfo.OwnerId", False),
    ],
)
def test_an_ec2_response_path_is_told(operation_name: str, path: str, spelt: bool) -> None:
    output = service_model("ec2").operation_model(operation_name).output_shape
    assert ec2_output_path(output, path.split(".")) is spelt


QUICKSIGHT_GRANTS = {"GrantPermissions", "GrantLinkPermissions", "Permissions", "LinkSharingConfiguration"}
"""QuickSight's request members that name the principals a call lets in (``ResourcePermission``
and ``Permission``: ``{Principal, Actions}``); ``RevokePermissions`` lets no one in."""


def test_every_quicksight_call_that_grants_is_read_by_the_grant_rule() -> None:
    """A QuickSight call whose request grants a principal and that the rule's query leaves out
    never alerts, whatever it grants: each is derived from the model, not from memory."""
    quicksight = service_model("quicksight")
    granting = {
        name
        for name in quicksight.operation_names
        if QUICKSIGHT_GRANTS & set(getattr(quicksight.operation_model(name).input_shape, "members", ()))
    }
    query, _ = read_fields(load_rule(RULES_DIR / "resource-policy-grants-outside.yml"))
    clause = re.search(r"event\.provider:quicksight\.amazonaws\.com AND event\.action:\(([^)]*)\)", query)
    assert clause is not None
    assert granting - {name.strip() for name in clause.group(1).split(" OR ")} == set()
