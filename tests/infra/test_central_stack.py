"""The central stack as synthesized for the default deployment (new bucket, public endpoints)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.assets_installer import assets_hash
from tests.infra.cfn import as_list, by_name, only, policy_document, render, resources, statements
from tests.infra.conftest import ANALYST

pytestmark = pytest.mark.slow

SOURCE_INDEX_PATTERNS = [
    f"index/siem-logs/siem-{s}*" for s in ("cloudtrail", "vpcflow", "guardduty", "securityhub", "config")
]


def function_by_handler(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    [found] = [
        (name, res)
        for name, res in resources(template, "AWS::Lambda::Function").items()
        if res["Properties"].get("Handler") == handler
    ]
    return found


def role_of(function: dict[str, Any]) -> str:
    """The logical id of a function's role (``Role: {Fn::GetAtt: [Role, Arn]}``)."""
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


# -- log bucket ------------------------------------------------------------------------------


def test_log_bucket_is_kms_encrypted_private_and_expires(central: dict[str, Any]) -> None:
    buckets = resources(central, "AWS::S3::Bucket")
    [log_bucket] = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    props = log_bucket["Properties"]
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert render(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]).endswith(".Arn>")
    assert rule["BucketKeyEnabled"] is True
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    expirations = {r["Id"]: r.get("ExpirationInDays") for r in props["LifecycleConfiguration"]["Rules"]}
    assert expirations == {
        "expire-logs": 400,
        "expire-dead-letters": 90,
        "remove-expired-delete-markers": None,
    }
    access_log_bucket = render(props["LoggingConfiguration"]["DestinationBucketName"])
    assert access_log_bucket.strip("<>") in buckets


def log_bucket(central: dict[str, Any]) -> dict[str, Any]:
    [found] = [
        b for b in resources(central, "AWS::S3::Bucket").values() if "LoggingConfiguration" in b["Properties"]
    ]
    return dict(found["Properties"])


def test_log_bucket_keeps_every_version_under_a_governance_lock(central: dict[str, Any]) -> None:
    props = log_bucket(central)
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
    }


def test_lifecycle_removes_versions_only_after_they_stop_being_current(central: dict[str, Any]) -> None:
    rules = {r["Id"]: r for r in log_bucket(central)["LifecycleConfiguration"]["Rules"]}
    for rule in ("expire-logs", "expire-dead-letters"):
        assert rules[rule]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    markers = rules["remove-expired-delete-markers"]
    assert markers["ExpiredObjectDeleteMarker"] is True and markers["Status"] == "Enabled"
    assert "Prefix" not in markers


def test_every_kms_key_rotates(central: dict[str, Any]) -> None:
    keys = resources(central, "AWS::KMS::Key").values()
    assert len(keys) == 3  # log bucket, alert topic, report topic
    assert all(key["Properties"]["EnableKeyRotation"] is True for key in keys)


def test_every_bucket_denies_plain_http(central: dict[str, Any]) -> None:
    policies = resources(central, "AWS::S3::BucketPolicy")
    # The log bucket, its access-log bucket, the state bucket (the account directory) and the
    # reports bucket.
    assert len(policies) == len(resources(central, "AWS::S3::Bucket")) == 4
    for policy in policies.values():
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(
            s["Action"] == "s3:*" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in denies
        )


def log_bucket_statements(central: dict[str, Any]) -> list[dict[str, Any]]:
    [policy] = [
        p
        for p in resources(central, "AWS::S3::BucketPolicy").values()
        if any(
            "SourceOrgID" in str(s.get("Condition")) for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_no_allow_statement_without_a_condition_for_foreign_principals(central: dict[str, Any]) -> None:
    for statement in log_bucket_statements(central):
        if statement["Effect"] == "Allow":
            assert statement.get("Condition"), statement


# -- queue, ingest function, notifications ------------------------------------------------------


def test_queue_is_encrypted_and_redrives_to_the_dead_letter_queue(central: dict[str, Any]) -> None:
    queues = resources(central, "AWS::SQS::Queue")
    [(main_id, main)] = [(n, q) for n, q in queues.items() if "RedrivePolicy" in q["Properties"]]
    [dlq_id] = [n for n in queues if n != main_id]
    redrive = main["Properties"]["RedrivePolicy"]
    assert render(redrive["deadLetterTargetArn"]) == f"<{dlq_id}.Arn>"
    assert redrive["maxReceiveCount"] == 5
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    _, ingest = function_by_handler(central, "ingest.handler.lambda_handler")
    assert main["Properties"]["VisibilityTimeout"] >= 6 * ingest["Properties"]["Timeout"]


def test_queue_policies_require_tls(central: dict[str, Any]) -> None:
    for policy in resources(central, "AWS::SQS::QueuePolicy").values():
        conditions = [s.get("Condition") for s in policy["Properties"]["PolicyDocument"]["Statement"]]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions


def test_ingest_function_runtime_and_environment(central: dict[str, Any]) -> None:
    _, ingest = function_by_handler(central, "ingest.handler.lambda_handler")
    props = ingest["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["ReservedConcurrentExecutions"] == 10
    environment = {k: render(v) for k, v in props["Environment"]["Variables"].items()}
    assert environment["OPENSEARCH_AUTH"] == "aoss"
    assert environment["INDEX_PREFIX"] == "siem-"
    assert environment["DEAD_LETTER_PREFIX"] == "dead-letter/"
    assert environment["KEEP_ORIGINAL"] == "false"
    assert environment["CONFIG_SNAPSHOT_INVENTORY"] == "false"  # snapshots: compliance only
    assert "VPC_FLOW_FORMATS" not in environment  # only when the context gives formats
    assert environment["OPENSEARCH_ENDPOINT"].endswith("CollectionEndpoint>")
    assert environment["LEDGER_TABLE"].strip("<>") in resources(central, "AWS::DynamoDB::Table")
    assert environment["DEAD_LETTER_BUCKET"].strip("<>") in resources(central, "AWS::S3::Bucket")


def test_event_source_reports_partial_batch_failures(central_template: Template) -> None:
    central_template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 20,
            "ScalingConfig": {"MaximumConcurrency": 10},
        },
    )


def test_notifications_cover_each_source_prefix_and_never_dead_letters(central: dict[str, Any]) -> None:
    _, notifications = only(central, "Custom::S3BucketNotifications")
    configurations = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    prefixes = sorted(c["Filter"]["Key"]["FilterRules"][0]["Value"] for c in configurations)
    assert prefixes == ["cloudtrail/", "config/", "guardduty/", "securityhub/", "vpcflow/"]
    assert all(c["Events"] == ["s3:ObjectCreated:*"] for c in configurations)


def test_ingest_role_reads_source_prefixes_and_writes_dead_letters_only(central: dict[str, Any]) -> None:
    _, ingest = function_by_handler(central, "ingest.handler.lambda_handler")
    found = statements(central, role_of(ingest))
    s3_statements = [s for s in found if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    by_action = {
        tuple(sorted(as_list(s["Action"]))): sorted(render(r) for r in as_list(s["Resource"]))
        for s in s3_statements
    }
    reads = by_action[("s3:GetObject", "s3:GetObjectVersion")]
    assert [r.split(">", 1)[1] for r in reads] == [
        "/cloudtrail/*",
        "/config/*",
        "/guardduty/*",
        "/securityhub/*",
        "/vpcflow/*",
    ]
    [write] = by_action[("s3:PutObject",)]
    assert write.endswith("/dead-letter/*")
    # so that a deleted object answers 404 NoSuchKey, not 403 AccessDenied
    [listing] = by_action[("s3:ListBucket",)]
    assert listing.startswith("<") and listing.endswith(".Arn>")
    [aoss] = [s for s in found if "aoss:APIAccessAll" in as_list(s["Action"])]
    assert render(aoss["Resource"]) == f"<{collection_id(central, 'siem-logs')}.Arn>"


def collection_id(template: dict[str, Any], name: str) -> str:
    [found] = [
        n
        for n, c in resources(template, "AWS::OpenSearchServerless::Collection").items()
        if c["Properties"]["Name"] == name
    ]
    return found


def test_no_iam_policy_grants_every_action(central: dict[str, Any]) -> None:
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in resources(central, kind).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = as_list(statement["Action"])
                assert "*" not in actions and "aoss:*" not in actions and "s3:*" not in actions


# -- ledger --------------------------------------------------------------------------------------


def test_ledger_is_on_demand_recoverable_and_expires(central_template: Template) -> None:
    central_template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    )


# -- OpenSearch Serverless ------------------------------------------------------------------------


def test_collections_types(central_template: Template) -> None:
    central_template.has_resource_properties(
        "AWS::OpenSearchServerless::Collection", {"Name": "siem-logs", "Type": "TIMESERIES"}
    )
    central_template.has_resource_properties(
        "AWS::OpenSearchServerless::Collection", {"Name": "siem-alerts", "Type": "SEARCH"}
    )


def test_collections_wait_for_their_security_policies(central: dict[str, Any]) -> None:
    policies = set(resources(central, "AWS::OpenSearchServerless::SecurityPolicy"))
    for collection in resources(central, "AWS::OpenSearchServerless::Collection").values():
        assert policies <= set(collection["DependsOn"])


def test_encryption_and_network_policies_cover_both_collections(central: dict[str, Any]) -> None:
    collections = ["collection/siem-logs", "collection/siem-alerts"]
    encryption = policy_document(by_name(central, "AWS::OpenSearchServerless::SecurityPolicy", "siem-enc"))
    assert encryption == {
        "Rules": [{"ResourceType": "collection", "Resource": collections}],
        "AWSOwnedKey": True,
    }
    [network] = policy_document(by_name(central, "AWS::OpenSearchServerless::SecurityPolicy", "siem-net"))
    assert network["AllowFromPublic"] is True and "SourceVPCEs" not in network
    assert {r["ResourceType"] for r in network["Rules"]} == {"collection", "dashboard"}


def test_public_collections_put_no_function_in_a_vpc(central: dict[str, Any]) -> None:
    assert all(
        "VpcConfig" not in f["Properties"] for f in resources(central, "AWS::Lambda::Function").values()
    )
    assert resources(central, "AWS::OpenSearchServerless::VpcEndpoint") == {}
    assert resources(central, "AWS::EC2::SecurityGroup") == {}


def data_policy(central: dict[str, Any], name: str) -> dict[str, Any]:
    [document] = policy_document(by_name(central, "AWS::OpenSearchServerless::AccessPolicy", name))
    return dict(document)


def permissions_by_resource(document: dict[str, Any]) -> dict[str, set[str]]:
    return {resource: set(rule["Permission"]) for rule in document["Rules"] for resource in rule["Resource"]}


def test_ingest_role_only_writes_the_source_indices(central: dict[str, Any]) -> None:
    _, ingest = function_by_handler(central, "ingest.handler.lambda_handler")
    document = data_policy(central, "siem-ingest")
    assert document["Principal"] == [f"<{role_of(ingest)}.Arn>"]
    assert permissions_by_resource(document) == {
        **{
            pattern: {"aoss:CreateIndex", "aoss:WriteDocument", "aoss:UpdateIndex", "aoss:DescribeIndex"}
            for pattern in SOURCE_INDEX_PATTERNS
        },
        "collection/siem-logs": {"aoss:DescribeCollectionItems"},  # reads the index templates
    }


def test_detections_read_logs_and_write_alerts(central: dict[str, Any]) -> None:
    _, detection = function_by_handler(central, "detections.handler.lambda_handler")
    document = data_policy(central, "siem-detections")
    assert document["Principal"] == [f"<{role_of(detection)}.Arn>"]
    permissions = permissions_by_resource(document)
    assert permissions["index/siem-logs/siem-*"] == {"aoss:ReadDocument", "aoss:DescribeIndex"}
    assert "aoss:WriteDocument" in permissions["index/siem-alerts/siem-alerts*"]
    assert "aoss:WriteDocument" in permissions["index/siem-alerts/siem-incidents"]
    assert set(permissions) == {
        "index/siem-logs/siem-*",
        "index/siem-alerts/siem-alerts*",
        "index/siem-alerts/siem-incidents",
    }


def test_analysts_only_read(central: dict[str, Any]) -> None:
    document = data_policy(central, "siem-analysts")
    assert document["Principal"] == [ANALYST]
    granted = set().union(*permissions_by_resource(document).values())
    assert granted == {"aoss:ReadDocument", "aoss:DescribeIndex", "aoss:DescribeCollectionItems"}


def test_on_call_writes_the_incidents_index_only(central: dict[str, Any]) -> None:
    """siem incidents ack / close / reopen: the incident and the incidents' lease documents."""
    document = data_policy(central, "siem-triage")
    assert document["Principal"] == [ANALYST]
    assert permissions_by_resource(document) == {
        "index/siem-alerts/siem-incidents": {"aoss:ReadDocument", "aoss:WriteDocument"}
    }


def test_installer_manages_templates_but_writes_no_documents(central: dict[str, Any]) -> None:
    permissions = permissions_by_resource(data_policy(central, "siem-assets"))
    assert permissions["collection/siem-logs"] == {
        "aoss:CreateCollectionItems",
        "aoss:UpdateCollectionItems",
        "aoss:DescribeCollectionItems",
    }
    assert not any("aoss:WriteDocument" in granted for granted in permissions.values())
    # siem assets install adds a template's new fields to the existing indices (PUT _mapping).
    assert all(
        granted == {"aoss:DescribeIndex", "aoss:UpdateIndex"}
        for resource, granted in permissions.items()
        if resource.startswith("index/")
    )


def test_no_data_policy_grants_wildcard_permissions(central: dict[str, Any]) -> None:
    for policy in resources(central, "AWS::OpenSearchServerless::AccessPolicy").values():
        for statement in policy_document(policy):
            for rule in statement["Rules"]:
                assert not any(p in ("aoss:*", "*") for p in rule["Permission"])
                assert not any(r.endswith("/*/*") or r == "index/*/*" for r in rule["Resource"])


def test_retention_lifecycle_policy_on_log_indices(central: dict[str, Any]) -> None:
    _, policy = only(central, "AWS::OpenSearchServerless::LifecyclePolicy")
    assert policy["Properties"]["Type"] == "retention"
    assert policy_document(policy) == {
        "Rules": [
            {"ResourceType": "index", "Resource": ["index/siem-logs/siem-*"], "MinIndexRetention": "90d"}
        ]
    }


# -- detections, alerts, alarms -------------------------------------------------------------------


def test_scheduler_runs_the_detection_function_every_five_minutes(central: dict[str, Any]) -> None:
    detection_id, _ = function_by_handler(central, "detections.handler.lambda_handler")
    [props] = [
        schedule["Properties"]
        for schedule in resources(central, "AWS::Scheduler::Schedule").values()
        if render(schedule["Properties"]["Target"]["Arn"]) == f"<{detection_id}.Arn>"
    ]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert render(props["Target"]["Arn"]) == f"<{detection_id}.Arn>"
    invoker = render(props["Target"]["RoleArn"]).strip("<>").removesuffix(".Arn")
    [invoke] = statements(central, invoker)
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert render(invoke["Resource"]) == f"<{detection_id}.Arn>"


def alert_topic_id(template: dict[str, Any]) -> str:
    [found] = [name for name in resources(template, "AWS::SNS::Topic") if name.startswith("Alerts")]
    return found


def test_detection_function_environment(central: dict[str, Any]) -> None:
    _, detection = function_by_handler(central, "detections.handler.lambda_handler")
    props = detection["Properties"]
    environment = {k: render(v) for k, v in props["Environment"]["Variables"].items()}
    topic_id = alert_topic_id(central)
    assert environment["ALERT_TOPIC_ARN"] == f"<{topic_id}>"
    assert environment["ALERTS_INDEX"] == "siem-alerts"
    assert environment["INCIDENTS_INDEX"] == "siem-incidents"
    assert environment["FILL_BUDGET_SECONDS"] == "60"  # a fifth of the 5-minute timeout
    assert environment["ALERTS_ENDPOINT"] != environment["OPENSEARCH_ENDPOINT"]
    assert environment["DASHBOARDS_URL"] == f"<{collection_id(central, 'siem-logs')}.DashboardEndpoint>"
    assert environment["STATE_TABLE"].startswith("<DetectionsCheckpoints")
    assert props["ReservedConcurrentExecutions"] == 1


def test_detection_function_reads_the_account_directory_ingest_reads(central: dict[str, Any]) -> None:
    """``outside_account`` holds the organization's accounts inside (detections.organization):
    the same object as ingest, read with ``GetObject`` on that object alone."""
    locations = {}
    for handler in ("detections.handler.lambda_handler", "ingest.handler.lambda_handler"):
        _, function = function_by_handler(central, handler)
        locations[handler] = render(function["Properties"]["Environment"]["Variables"]["ACCOUNTS_LOCATION"])
    assert len(set(locations.values())) == 1
    assert locations["ingest.handler.lambda_handler"].endswith("/enrichment/accounts.json")
    _, detection = function_by_handler(central, "detections.handler.lambda_handler")
    role = detection["Properties"]["Role"]["Fn::GetAtt"][0]
    [state] = [
        name for name in resources(central, "AWS::S3::Bucket") if name.startswith("AccountsStateBucket")
    ]
    reads = [
        render(resource)
        for statement in statements(central, role)
        if "s3:GetObject" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]
    assert reads == [f"<{state}.Arn>/enrichment/accounts.json"]


def test_alert_topic_is_kms_encrypted_with_email(central_template: Template) -> None:
    central_template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    central_template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "soc@example.com"}
    )


def test_alarms_cover_queue_age_dead_letters_errors_and_throttles(central: dict[str, Any]) -> None:
    topic_id = alert_topic_id(central)
    alarms = resources(central, "AWS::CloudWatch::Alarm").values()
    metrics = sorted(a["Properties"]["MetricName"] for a in alarms)
    assert metrics == [
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "Errors",
        "Errors",
        "Errors",
        "Errors",
        "Throttles",
        "Throttles",
        "Throttles",
        "Throttles",
    ]
    for alarm in alarms:
        assert [render(action) for action in alarm["Properties"]["AlarmActions"]] == [f"<{topic_id}>"]


def test_dead_letter_alarm_watches_the_dead_letter_queue(central: dict[str, Any]) -> None:
    queues = resources(central, "AWS::SQS::Queue")
    [dlq_id] = [n for n, q in queues.items() if "RedrivePolicy" not in q["Properties"]]
    [alarm] = [
        a
        for a in resources(central, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    [dimension] = alarm["Properties"]["Dimensions"]
    assert render(dimension["Value"]) == f"<{dlq_id}.QueueName>"


# -- asset installer -------------------------------------------------------------------------------


def test_asset_installer_runs_when_the_assets_change(central: dict[str, Any]) -> None:
    _, resource = only(central, "Custom::SiemOpenSearchAssets")
    props = resource["Properties"]
    assert props["AssetsHash"] == assets_hash()
    assert render(props["Endpoint"]) == f"<{collection_id(central, 'siem-logs')}.CollectionEndpoint>"
    assert render(props["AlertsEndpoint"]) == f"<{collection_id(central, 'siem-alerts')}.CollectionEndpoint>"
    assert render(props["DashboardsUrl"]).endswith("DashboardEndpoint>")
    installer_policy = next(
        name
        for name, p in resources(central, "AWS::OpenSearchServerless::AccessPolicy").items()
        if p["Properties"]["Name"] == "siem-assets"
    )
    assert installer_policy in resource["DependsOn"]


def test_every_python_function_has_its_own_code_asset(central: dict[str, Any]) -> None:
    """One bundle per function, each with only what its handler needs (infra/bundling.py)."""
    keys = {
        f["Properties"]["Handler"]: render(f["Properties"]["Code"]["S3Key"])
        for f in resources(central, "AWS::Lambda::Function").values()
        if f["Properties"].get("Runtime") == "python3.12"
    }
    assert len(keys) == 6 and len(set(keys.values())) == 6


def test_ingest_function_gets_the_flow_formats_of_the_context(variant: dict[str, Any]) -> None:
    _, ingest = function_by_handler(variant, "ingest.handler.lambda_handler")
    environment = ingest["Properties"]["Environment"]["Variables"]
    assert environment["CONFIG_SNAPSHOT_INVENTORY"] == "true"  # configSnapshotInventory
    assert (
        environment["VPC_FLOW_FORMATS"]
        == '{"vpcflow/firehose/":"version vpc-id srcaddr dstaddr action start"}'
    )
