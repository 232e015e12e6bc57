"""Field and index names the investigation reads (docs/schema.md, "Pivot contract").

Kept in one place so that a rename in the schema is a one-line change here.
"""

from __future__ import annotations

from normalizers.registry import SPECS

TIMESTAMP = "@timestamp"
ACTION = "event.action"
PROVIDER = "event.provider"
OUTCOME = "event.outcome"
FIRST_OBSERVED = "event.start"
LAST_OBSERVED = "event.end"
CREATED = "event.created"
ACCOUNT = "cloud.account.id"
REGION = "cloud.region"
SOURCE_IP = "source.ip"
SOURCE_ADDRESS = "source.address"
USER_AGENT = "user_agent.original.keyword"
# Written by enrichment at ingest (docs/enrichment.md).
ACCOUNT_NAME = "cloud.account.name"
SOURCE_COUNTRY = "source.geo.country_iso_code"
SOURCE_NETWORK = "source.as.organization.name"
CALLER_TOOL = "aws.user_agent.tool.name"
"""``user_agent.original`` is full text; its keyword subfield aggregates."""
RELATED_USER = "related.user"
RELATED_IP = "related.ip"
RELATED_HOSTS = "related.hosts"

GUARDDUTY_ID = "aws.guardduty.id"
GUARDDUTY_ARN = "aws.guardduty.arn"
SECURITYHUB_ID = "aws.securityhub_findings.id"
SECURITYHUB_RESOURCES = "aws.securityhub_findings.resources"
FINDING_ID_FIELDS = (GUARDDUTY_ID, GUARDDUTY_ARN, SECURITYHUB_ID)
CONFIG_VERDICT = "aws.config.compliance.type"
"""A Config rule's verdict on a resource: such a document is investigated by its ``event.id``."""

CLOUDTRAIL = "aws.cloudtrail"
IDENTITY = "aws.cloudtrail.user_identity"
IDENTITY_ACCESS_KEY = f"{IDENTITY}.access_key_id"
USER = "user"
IDENTITY_PRINCIPAL = "user.id"  # the principal id lives in user.id only (docs/schema.md)
IDENTITY_ARN = f"{IDENTITY}.arn"
USER_NAME = "user.name"
READ_ONLY = "aws.cloudtrail.read_only"
ERROR_CODE = "aws.cloudtrail.error_code"
RESOURCE_ARN = "aws.cloudtrail.resources.arn"
REQUEST_PARAMETERS = "aws.cloudtrail.request_parameters"
RESPONSE_ELEMENTS = "aws.cloudtrail.response_elements"

BLOCKS = {spec.name: spec.dataset for spec in SPECS}
"""Source -> the ``aws.*`` object that holds its own fields (normalizers/registry.py)."""


def index_names(prefix: str) -> dict[str, str]:
    """Source -> its index (``siem-cloudtrail``)."""
    return {spec.name: f"{prefix}{spec.index}" for spec in SPECS}
