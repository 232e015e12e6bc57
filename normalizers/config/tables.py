"""AWS Config's names, as data: EventBridge detail-types, message types, item statuses."""

from __future__ import annotations

ITEM_CHANGE = "Config Configuration Item Change"
COMPLIANCE_CHANGE = "Config Rules Compliance Change"
DETAIL_TYPES = frozenset({ITEM_CHANGE, COMPLIANCE_CHANGE})

ITEM_NOTIFICATION = "ConfigurationItemChangeNotification"
OVERSIZED_NOTIFICATION = "OversizedConfigurationItemChangeNotification"
COMPLIANCE_NOTIFICATION = "ComplianceChangeNotification"

RESOURCE_COMPLIANCE = "AWS::Config::ResourceCompliance"
"""The item Config records for a resource's compliance with its rules (one per resource)."""

# configurationItemStatus -> ECS event.type. "OK" is the API's name for a discovered or
# updated item; the deleted statuses mean the resource is gone (or no longer recorded).
EVENT_TYPES: dict[str, str] = {
    "ResourceDiscovered": "creation",
    "OK": "change",
    "ResourceNotRecorded": "info",
    "ResourceDeleted": "deletion",
    "ResourceDeletedNotRecorded": "deletion",
}

# A rule's category is read from its name (docs/sources/config.md, "Rules"): the rules that a
# service manages carry its prefix, which says nothing of what the rule checks, so it is
# dropped first; the category is then the name's first word (its AWS service: "s3", "iam").
MANAGER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("securityhub-", "securityhub"),
    ("OrgConfigRule-", "organizations"),
    ("FMS_", "firewall-manager"),
)

# The item's members in the S3 delivery / notification shape -> the API shape
# (botocore's ConfigurationItem): one mapping reads both.
API_NAMES: tuple[tuple[str, str], ...] = (
    ("awsAccountId", "accountId"),
    ("ARN", "arn"),
    ("configurationItemVersion", "version"),
    ("configurationStateMd5Hash", "configurationItemMD5Hash"),
)

NO_ZONE = frozenset({"Not Applicable", "Multiple Availability Zones", "Regional"})
"""``availabilityZone`` values that name no zone."""
