"""Per-source field tables (docs/sources/<source>.md) and the alerts index.

Names follow Elastic's AWS integration where ECS is silent (docs/schema.md). Sub-objects
whose keys are open-ended (request parameters, finding evidence, resource details, product
fields) are ``flat_object``: searchable by any key path, never a source of new fields.
"""

from __future__ import annotations

from opensearch_assets.fields import FINDING_COMMON, FieldTable, user_identity

CLOUDTRAIL: FieldTable = {
    **user_identity("aws.cloudtrail"),
    "aws.cloudtrail.event_version": "keyword",
    "aws.cloudtrail.event_type": "keyword",
    "aws.cloudtrail.event_category": "keyword",
    "aws.cloudtrail.api_version": "keyword",
    "aws.cloudtrail.request_id": "keyword",
    "aws.cloudtrail.shared_event_id": "keyword",
    "aws.cloudtrail.management_event": "boolean",
    "aws.cloudtrail.read_only": "boolean",
    "aws.cloudtrail.session_credential_from_console": "boolean",
    "aws.cloudtrail.vpc_endpoint_id": "keyword",
    "aws.cloudtrail.vpc_endpoint_account_id": "keyword",
    "aws.cloudtrail.error_code": "keyword",
    "aws.cloudtrail.error_message": "text",
    "aws.cloudtrail.request_parameters": "flat_object",
    "aws.cloudtrail.response_elements": "flat_object",
    "aws.cloudtrail.additional_eventdata": "flat_object",
    "aws.cloudtrail.service_event_details": "flat_object",
    "aws.cloudtrail.insight_details": "flat_object",
    "aws.cloudtrail.edge_device_details": "flat_object",
    "aws.cloudtrail.resources.arn": "keyword",
    "aws.cloudtrail.resources.type": "keyword",
    "aws.cloudtrail.resources.account_id": "keyword",
    "aws.cloudtrail.console_login.mfa_used": "boolean",
    "aws.cloudtrail.console_login.mobile_version": "boolean",
    "aws.cloudtrail.console_login.login_to": "keyword",
    "aws.cloudtrail.console_login.mfa_identifier": "keyword",
    "aws.cloudtrail.console_login.mfa_type": "keyword",
    "aws.cloudtrail.tls_details.tls_version": "keyword",
    "aws.cloudtrail.tls_details.cipher_suite": "keyword",
    "aws.cloudtrail.tls_details.client_provided_host_header": "keyword",
    "aws.cloudtrail.addendum.reason": "keyword",
    "aws.cloudtrail.addendum.updated_fields": "keyword",
    "aws.cloudtrail.addendum.original_request_id": "keyword",
    "aws.cloudtrail.addendum.original_event_id": "keyword",
}

_VPCFLOW_KEYWORDS = (
    "version", "account_id", "interface_id", "action", "log_status", "vpc_id", "subnet_id",
    "instance_id", "type", "tcp_flags", "tcp_flags_array", "region", "az_id", "sublocation_type",
    "sublocation_id", "pkt_src_aws_service", "pkt_dst_aws_service", "flow_direction", "traffic_path",
    "reject_reason", "resource_type", "ecs_cluster_arn", "ecs_cluster_name", "ecs_container_instance_arn",
    "ecs_container_instance_id", "ecs_container_id", "ecs_second_container_id", "ecs_service_name",
    "ecs_task_definition_arn", "ecs_task_arn", "ecs_task_id", "tgw_id", "tgw_attachment_id",
    "tgw_src_vpc_account_id", "tgw_dst_vpc_account_id", "tgw_src_vpc_id", "tgw_dst_vpc_id",
    "tgw_src_subnet_id", "tgw_dst_subnet_id", "tgw_src_eni", "tgw_dst_eni", "tgw_src_az_id",
    "tgw_dst_az_id", "tgw_pair_attachment_id",
)
_VPCFLOW_COUNTERS = (
    "packets_lost_no_route", "packets_lost_blackhole", "packets_lost_mtu_exceeded", "packets_lost_ttl_expired",
)

VPCFLOW: FieldTable = {
    **{f"aws.vpcflow.{name}": "keyword" for name in _VPCFLOW_KEYWORDS},
    **{f"aws.vpcflow.{name}": "long" for name in _VPCFLOW_COUNTERS},
    "aws.vpcflow.pkt_srcaddr": "ip",
    "aws.vpcflow.pkt_dstaddr": "ip",
}

# GuardDuty resource details, one object per resource kind (snake_cased by the normalizer):
# each a flat_object, so a new kind's deep shape never adds mapped fields.
_GUARDDUTY_RESOURCE_DETAILS = (
    "access_key_details", "instance_details", "s3_bucket_details", "eks_cluster_details", "kubernetes_details",
    "ecs_cluster_details", "container_details", "lambda_details", "rds_db_instance_details",
    "rds_db_user_details", "rds_limitless_db_details", "ebs_volume_details",
)
# Service sub-objects kept whole by the normalizer (its FLAT_KEYS) plus the action, whose
# per-type shapes (API call, connection, port probe, DNS, Kubernetes, RDS login) are deep.
_GUARDDUTY_SERVICE_OBJECTS = (
    "action", "additional_info", "evidence", "runtime_details", "detection", "ebs_volume_scan_details",
    "malware_scan_details",
)

GUARDDUTY: FieldTable = {
    **FINDING_COMMON,
    **user_identity("aws.guardduty"),
    "aws.guardduty.schema_version": "keyword",
    "aws.guardduty.partition": "keyword",
    "aws.guardduty.id": "keyword",
    "aws.guardduty.arn": "keyword",
    "aws.guardduty.type": "keyword",
    "aws.guardduty.title": "text",
    "aws.guardduty.description": "text",
    "aws.guardduty.confidence": "float",
    "aws.guardduty.sample": "boolean",
    "aws.guardduty.severity.code": "float",
    "aws.guardduty.severity.label": "keyword",
    "aws.guardduty.resource.type": "keyword",
    **{f"aws.guardduty.resource.{name}": "flat_object" for name in _GUARDDUTY_RESOURCE_DETAILS},
    **{f"aws.guardduty.service.{name}": "flat_object" for name in _GUARDDUTY_SERVICE_OBJECTS},
    "aws.guardduty.service.archived": "boolean",
    "aws.guardduty.service.count": "long",
    "aws.guardduty.service.detector_id": "keyword",
    "aws.guardduty.service.event_first_seen": "date",
    "aws.guardduty.service.event_last_seen": "date",
    "aws.guardduty.service.resource_role": "keyword",
    "aws.guardduty.service.service_name": "keyword",
    "aws.guardduty.service.feature_name": "keyword",
    "aws.guardduty.service.user_feedback": "keyword",
}

_SECURITYHUB_OBJECTS = (
    "product_fields", "user_defined_fields", "action", "network", "malware", "process", "vulnerabilities",
    "threat_intel_indicators", "related_findings",
)

SECURITYHUB: FieldTable = {
    **FINDING_COMMON,
    **user_identity("aws.securityhub_findings"),
    **{f"aws.securityhub_findings.{name}": "flat_object" for name in _SECURITYHUB_OBJECTS},
    "aws.securityhub_findings.id": "keyword",
    "aws.securityhub_findings.schema_version": "keyword",
    "aws.securityhub_findings.generator_id": "keyword",
    "aws.securityhub_findings.types": "keyword",
    "aws.securityhub_findings.title": "text",
    "aws.securityhub_findings.description": "text",
    "aws.securityhub_findings.product.arn": "keyword",
    "aws.securityhub_findings.product.name": "keyword",
    "aws.securityhub_findings.product.company": "keyword",
    "aws.securityhub_findings.product.account_id": "keyword",
    "aws.securityhub_findings.aws_account_name": "keyword",
    "aws.securityhub_findings.envelope_account_id": "keyword",
    "aws.securityhub_findings.first_observed_at": "date",
    "aws.securityhub_findings.last_observed_at": "date",
    "aws.securityhub_findings.severity.label": "keyword",
    "aws.securityhub_findings.severity.normalized": "long",
    "aws.securityhub_findings.severity.original": "keyword",
    "aws.securityhub_findings.confidence": "long",
    "aws.securityhub_findings.criticality": "long",
    "aws.securityhub_findings.compliance.status": "keyword",
    "aws.securityhub_findings.compliance.security_control_id": "keyword",
    "aws.securityhub_findings.compliance.related_requirements": "keyword",
    "aws.securityhub_findings.compliance.associated_standards": "keyword",
    "aws.securityhub_findings.compliance.status_reasons.reason_code": "keyword",
    "aws.securityhub_findings.compliance.status_reasons.description": "text",
    "aws.securityhub_findings.workflow.status": "keyword",
    "aws.securityhub_findings.workflow_state": "keyword",
    "aws.securityhub_findings.record_state": "keyword",
    "aws.securityhub_findings.verification_state": "keyword",
    "aws.securityhub_findings.remediation.recommendation.text": "text",
    "aws.securityhub_findings.remediation.recommendation.url": "keyword",
    "aws.securityhub_findings.note.text": "text",
    "aws.securityhub_findings.note.updated_by": "keyword",
    "aws.securityhub_findings.note.updated_at": "date",
    "aws.securityhub_findings.resources.id": "keyword",
    "aws.securityhub_findings.resources.type": "keyword",
    "aws.securityhub_findings.resources.region": "keyword",
    "aws.securityhub_findings.resources.partition": "keyword",
    "aws.securityhub_findings.resources.role": "keyword",
    "aws.securityhub_findings.resources.details": "flat_object",
    "aws.securityhub_findings.resources.tags": "flat_object",
    "aws.securityhub_findings.sample": "boolean",
}

ALERTS: FieldTable = {
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.description": "text",
    "rule.category": "keyword",
    "rule.ruleset": "keyword",
    "rule.reference": "keyword",
    "rule.author": "keyword",
    "rule.license": "keyword",
    "rule.version": "keyword",
    "alert.id": "keyword",
    "alert.notified": "boolean",
    "alert.dedup_key": "keyword",
    "alert.severity": "keyword",
    "alert.status": "keyword",
    "alert.count": "long",
    "alert.index": "keyword",
    "alert.query": "keyword",
    "alert.group_by": "flat_object",
    "alert.first_seen": "date",
    "alert.last_seen": "date",
    "alert.window_start": "date",
    "alert.window_end": "date",
    "alert.created": "date",
    "alert.summary.who": "text",
    "alert.summary.when": "text",
    "alert.summary.what": "text",
    "alert.summary.where": "text",
    "alert.event_ids": "keyword",
    "alert.dashboards_url": "stored",
}
"""The alerts index written by the detections runner (one document per deduplicated alert).

Times: ``@timestamp`` (when the alert was raised), ``alert.first_seen``/``last_seen`` (the
matched events), ``alert.window_*`` (the query window). The matched events' actor and
addresses go to the usual ECS fields (``user.*``, ``related.*``, ``source.ip``...).
"""

SOURCE_TABLES: dict[str, FieldTable] = {
    "cloudtrail": CLOUDTRAIL,
    "vpcflow": VPCFLOW,
    "guardduty": GUARDDUTY,
    "securityhub": SECURITYHUB,
    "alerts": ALERTS,
}
"""Index suffix -> the fields specific to it (ECS_COMMON comes with every index)."""
