"""Every field of an AWS Config document: the one definition the index template and the field
table of docs/sources/config.md are built from. ``raw`` is the path in the S3 delivery
channel's item (or a compliance change notification's ``detail``)."""

from __future__ import annotations

from normalizers.ecs.fields import ecs
from normalizers.fields import Field, field, merged

BLOCK = "aws.config"

ECS: tuple[Field, ...] = (
    ecs(
        "@timestamp",
        "an item's capture time (required); a compliance change's `resultRecordedTime`",
        "configurationItemCaptureTime",
    ),
    ecs("message", "`<resource type> <resource id>: <status>`; for a compliance change, the rule's verdict"),
    ecs(
        "related.ip", "every valid IP address the item names (its configuration, relationships), at most 100"
    ),
    ecs(
        "related.hosts",
        "every EC2 instance id the item names (its id, ARN, relationships, configuration), at most 100",
    ),
    ecs(
        "event.kind",
        "`event` for a configuration item; `state` for a rule's verdict (a compliance item's rule, a compliance change)",
    ),
    ecs("event.category", "`configuration`"),
    ecs(
        "event.type",
        "`creation` (`ResourceDiscovered`), `change` (`OK`, a compliance change), `deletion`, else `info`",
    ),
    ecs(
        "event.action",
        "the item's status (`ResourceDiscovered`, `OK`, `ResourceDeleted`...); `ComplianceChangeNotification`",
    ),
    ecs(
        "event.outcome",
        "`success` for a configuration item (the change happened); for a rule's verdict `success` "
        "when `COMPLIANT`, `failure` when `NON_COMPLIANT`, else `unknown`",
    ),
    ecs(
        "event.id",
        "`<account>/<region>/<type>/<id>/<configurationStateId>` (`/<rule>` per rule of a compliance item): "
        "the history and snapshot copies of an item are one document; an oversized item's summary "
        "(`OversizedConfigurationItemChangeNotification`): `...<configurationStateId>@<notificationCreationTime>`, "
        "not the id of the item it stands for; a compliance change: "
        "`<account>/<region>/<type>/<id>/<rule>@<@timestamp>` (an id over 1,024 bytes: its first 256, `…` and a hash of the whole, docs/schema.md)",
    ),
    ecs("event.created", "when Config sent the notification", "notificationCreationTime"),
    ecs("event.dataset", "`aws.config`: a constant of the index, not in the document"),
    ecs("event.module", "`aws`: a constant of the index, not in the document"),
    ecs("event.provider", "`config`"),
    ecs("event.ingested", "when the loader read the record"),
    ecs("event.original", "the record's bytes (the whole event or notification), with `keep_original` only"),
    ecs("cloud.provider", "`aws`: a constant of the index, not in the document"),
    ecs("cloud.account.id", "the resource's account (required)", "awsAccountId"),
    ecs("cloud.region", "the resource's region (required)", "awsRegion"),
    ecs(
        "cloud.availability_zone",
        "the resource's zone (`Not Applicable`, `Multiple Availability Zones`, `Regional` dropped)",
        "availabilityZone",
    ),
    ecs("rule.id", "the Config rule's id (`config-rule-a1b2c3`), from `configRuleId` or its ARN"),
    ecs("rule.name", "the Config rule's name", "configRuleName"),
    ecs(
        "rule.category",
        "the AWS service the rule checks, from its name once a manager's prefix (`securityhub-`...) "
        "is dropped (`s3`, `iam`, `ec2` for `restricted-ssh`); none for a name that names no service",
    ),
)

OWN: tuple[Field, ...] = (
    field(f"{BLOCK}.resource.type", "keyword", "the resource's type (`AWS::S3::Bucket`)", "resourceType"),
    field(f"{BLOCK}.resource.id", "keyword", "the resource's id", "resourceId"),
    field(f"{BLOCK}.resource.arn", "keyword", "the resource's ARN (`ARN`, the API's `arn`)", "ARN"),
    field(f"{BLOCK}.resource.name", "keyword", "the resource's name", "resourceName"),
    field(f"{BLOCK}.resource.creation_time", "date", "when the resource was created", "resourceCreationTime"),
    field(
        f"{BLOCK}.configuration_item.status",
        "keyword",
        "`OK`, `ResourceDiscovered`, `ResourceNotRecorded`, `ResourceDeleted`, `ResourceDeletedNotRecorded`",
        "configurationItemStatus",
    ),
    field(f"{BLOCK}.configuration_item.capture_time", "date", "when Config recorded the item"),
    field(
        f"{BLOCK}.configuration_item.state_id",
        "keyword",
        "the item's state, increasing per resource (a number in files, a string in the API)",
        "configurationStateId",
    ),
    field(
        f"{BLOCK}.configuration_item.version",
        "keyword",
        "the item format's version",
        "configurationItemVersion",
    ),
    field(
        f"{BLOCK}.configuration_item.md5_hash",
        "keyword",
        "the item's MD5 hash (`configurationStateMd5Hash`, the API's `configurationItemMD5Hash`)",
        "configurationStateMd5Hash",
    ),
    field(
        f"{BLOCK}.related_events",
        "keyword",
        "the CloudTrail `eventID`s behind the change (as `event.id` writes a long one): joins `event.id` of `siem-cloudtrail`",
        "relatedEvents",
    ),
    field(
        f"{BLOCK}.relationships.name",
        "keyword",
        "each relationship (`Is attached to Volume`)",
        "relationships.name",
    ),
    field(
        f"{BLOCK}.relationships.resource_type",
        "keyword",
        "each related resource's type",
        "relationships.resourceType",
    ),
    field(
        f"{BLOCK}.relationships.resource_id",
        "keyword",
        "each related resource's id",
        "relationships.resourceId",
    ),
    field(
        f"{BLOCK}.relationships.resource_name",
        "keyword",
        "each related resource's name",
        "relationships.resourceName",
    ),
    field(
        f"{BLOCK}.configuration",
        "flat_object",
        "the resource's configuration as it is (JSON text from the API parsed; other text as `value`)",
        "configuration",
    ),
    field(
        f"{BLOCK}.supplementary_configuration",
        "flat_object",
        "`supplementaryConfiguration` as it is, each JSON text parsed",
        "supplementaryConfiguration",
    ),
    field(f"{BLOCK}.tags", "flat_object", "the resource's tags", "tags"),
    field(
        f"{BLOCK}.change.type",
        "keyword",
        "a notification's `CREATE`, `UPDATE` or `DELETE`",
        "configurationItemDiff.changeType",
    ),
    field(
        f"{BLOCK}.change.changed_properties",
        "flat_object",
        "a notification's changed properties (`previousValue`, `updatedValue`, `changeType` each)",
        "configurationItemDiff.changedProperties",
    ),
    field(
        f"{BLOCK}.message_type",
        "keyword",
        "the notification's kind (`ConfigurationItemChangeNotification`, `ComplianceChangeNotification`...)",
        "messageType",
    ),
    field(f"{BLOCK}.rule.name", "keyword", "the rule's name"),
    field(f"{BLOCK}.rule.arn", "keyword", "the rule's ARN", "configRuleARN"),
    field(f"{BLOCK}.rule.id", "keyword", "the rule's id", "configRuleId"),
    field(
        f"{BLOCK}.rule.manager",
        "keyword",
        "the service managing the rule, from its name's prefix (`securityhub`, `organizations`, `firewall-manager`)",
    ),
    field(
        f"{BLOCK}.compliance.type",
        "keyword",
        "`COMPLIANT`, `NON_COMPLIANT`, `NOT_APPLICABLE`, `INSUFFICIENT_DATA`",
        "newEvaluationResult.complianceType",
    ),
    field(
        f"{BLOCK}.compliance.previous_type",
        "keyword",
        "the verdict before a compliance change",
        "oldEvaluationResult.complianceType",
    ),
    field(
        f"{BLOCK}.compliance.annotation", "text", "the rule's explanation", "newEvaluationResult.annotation"
    ),
    field(
        f"{BLOCK}.compliance.evaluation_mode",
        "keyword",
        "`DETECTIVE` or `PROACTIVE`",
        "newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier.evaluationMode",
    ),
    field(
        f"{BLOCK}.compliance.recorded_time",
        "date",
        "when the verdict was recorded",
        "newEvaluationResult.resultRecordedTime",
    ),
    field(
        f"{BLOCK}.compliance.invoked_time",
        "date",
        "when the rule ran",
        "newEvaluationResult.configRuleInvokedTime",
    ),
    field(
        f"{BLOCK}.evaluated_resource.type",
        "keyword",
        "the resource a verdict is about (a compliance item's `configuration.resourceType`)",
    ),
    field(f"{BLOCK}.evaluated_resource.id", "keyword", "its id (`configuration.resourceId`)"),
)

FIELDS: tuple[Field, ...] = merged(ECS, OWN)

# The same in every Config document, items (history, snapshot, API) and notifications alike
# (all map through mapping.py). Not ``event.kind``: ``event`` for an item, ``state`` for a
# rule's verdict.
CONSTANTS: dict[str, str] = {
    "event.dataset": "aws.config",
    "event.module": "aws",
    "cloud.provider": "aws",
}
"""Fields holding one value in every Config document: ``constant_keyword`` fields of the index."""
