"""Security services' upkeep: the routine look-alikes of the rules on attacks against them.

The calls an attacker uses to blind GuardDuty, Security Hub, AWS Config, Access Analyzer or
the organization's guardrails are also calls a well-run organization makes to run them:
Terraform tuning GuardDuty and Security Hub in the delegated administrator (the security
tooling account), the security team's StackSet rolling the baseline out to a member account
(a GuardDuty archive filter for the organization's own vulnerability scanner, a control it
has accepted disabled, the monitoring vendor's account archived in Access Analyzer, an old
Config rule removed, network interfaces left out of recording), the management account's
guardrail stack updating a service control policy, and Security Hub's service-linked role
replacing the Config rules behind its controls. Shapes follow botocore's models as
CloudTrail logs them (GuardDuty, Config, Access Analyzer and Organizations in camelCase,
Security Hub's REST bodies in the API's own PascalCase), the same shapes as the rules' tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.org import (
    HOME_REGION,
    ORG_ID,
    VENDOR_ACCOUNT,
    Account,
    service_linked_role,
    service_role,
    stable_hex,
)
from demo.benign.pipelines import (
    CFN,
    Change,
    assume_role,
    security_tooling_apply,
    stack_changes,
)
from demo.records import cloudtrail as ct

GUARDDUTY = "guardduty.amazonaws.com"
SECURITY_HUB = "securityhub.amazonaws.com"
CONFIG = "config.amazonaws.com"
ACCESS_ANALYZER = "access-analyzer.amazonaws.com"
ORGANIZATIONS = "organizations.amazonaws.com"
FSBP = f"arn:aws:securityhub:{HOME_REGION}::standards/aws-foundational-security-best-practices/v/1.0.0"
SCANNER_ADDRESS = "198.51.100.40"
"""The organization's external vulnerability scanner (RFC 5737)."""


def detector_id(account: Account) -> str:
    """The account's GuardDuty detector id (32 hex digits; stable per account)."""
    return stable_hex(32, account.id, "guardduty-detector")


def security_services_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform applies the security tooling account's GuardDuty and Security
    Hub settings (the organization's delegated administrator): one to three reviewed changes."""
    return security_tooling_apply(ctx, start, _settings_changes, most=3)


def _settings_changes(ctx: Context, security: Account) -> list[Change]:
    detector = detector_id(security)
    production = ctx.rng.choice(ctx.org.of_kind("prod"))
    joining = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    rule_arn = f"arn:aws:securityhub:{HOME_REGION}:{security.id}:automation-rule/{ctx.ids.uuid()}"
    elevate = [
        {
            "Type": "FINDING_FIELDS_UPDATE",
            "FindingFieldsUpdate": {
                "Severity": {"Label": "CRITICAL"},
                "Note": {"Text": "production account", "UpdatedBy": "secops"},
            },
        }
    ]
    return [
        (GUARDDUTY, "UpdateDetector",
         {"detectorId": detector, "enable": True, "findingPublishingFrequency": "FIFTEEN_MINUTES"}, None),
        (GUARDDUTY, "UpdateDetector",
         {"detectorId": detector, "features": [
             {"name": "RUNTIME_MONITORING", "status": "ENABLED", "additionalConfiguration": [
                 {"name": "EKS_ADDON_MANAGEMENT", "status": "DISABLED"},
                 {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"},
             ]},
         ]}, None),
        (GUARDDUTY, "CreateFilter",
         {"detectorId": detector, "name": "high-severity", "action": "NOOP", "rank": 1,
          "findingCriteria": {"criterion": {"severity": {"gte": 7}}}}, {"name": "high-severity"}),
        (GUARDDUTY, "UpdateOrganizationConfiguration",
         {"detectorId": detector, "autoEnableOrganizationMembers": "ALL",
          "features": [{"name": "S3_DATA_EVENTS", "autoEnable": "ALL"},
                       {"name": "RUNTIME_MONITORING", "autoEnable": "NONE"}]}, None),
        (GUARDDUTY, "CreateThreatIntelSet",
         {"detectorId": detector, "name": "threat-feed", "format": "TXT", "activate": True,
          "location": f"https://s3.amazonaws.com/{security.name}-threat-intel-{security.id}/feed.txt"},
         {"threatIntelSetId": ctx.hex(32)}),
        (GUARDDUTY, "CreateMembers",
         {"detectorId": detector, "accountDetails": [{"accountId": joining.id, "email": f"aws+{joining.name}@example.com"}]},
         {"unprocessedAccounts": []}),
        (SECURITY_HUB, "CreateAutomationRule",
         {"RuleName": "elevate-production", "RuleOrder": 10, "RuleStatus": "ENABLED", "IsTerminal": False,
          "Description": "Findings of production accounts first",
          "Criteria": {"AwsAccountId": [{"Value": production.id, "Comparison": "EQUALS"}]},
          "Actions": elevate}, {"RuleArn": rule_arn}),
        (SECURITY_HUB, "BatchUpdateAutomationRules",
         {"UpdateAutomationRulesRequestItems": [
             {"RuleArn": rule_arn, "RuleOrder": 10, "Actions": elevate,
              "Criteria": {"AwsAccountId": [{"Value": production.id, "Comparison": "EQUALS"}]}},
         ]}, {"ProcessedAutomationRules": [rule_arn], "UnprocessedAutomationRules": []}),
        (SECURITY_HUB, "BatchUpdateStandardsControlAssociations",
         {"StandardsControlAssociationUpdates": [
             {"StandardsArn": FSBP, "SecurityControlId": ctx.rng.choice(("EC2.8", "S3.5", "Lambda.2")),
              "AssociationStatus": "ENABLED"},
         ]}, {"UnprocessedAssociationUpdates": []}),
        (CONFIG, "PutConfigurationRecorder",
         {"configurationRecorder": {
             "name": "default",
             "roleARN": f"arn:aws:iam::{security.id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
             "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False,
                                "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}},
             "recordingMode": {"recordingFrequency": "CONTINUOUS"},
         }}, None),
    ]  # fmt: skip


def security_baseline_stackset(ctx: Context, start: datetime) -> list[Record]:
    """The security team's StackSet rolls the security baseline out to a member account:
    CloudFormation (invokedBy) with the StackSet execution role makes one to three of its
    changes, each the organization's reviewed decision."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod", "shared", "sandbox"))
    session = ctx.org.session(
        service_role(target, "AWSCloudFormationStackSetExecutionRole"), "AWSCloudFormation", clock.tick()
    )
    records = assume_role(ctx, ct.aws_service(CFN), session, session.created, CFN, CFN)
    executor = ct.assumed_role(session, invoked_by=CFN)
    chosen = ctx.rng.sample(_baseline_changes(ctx, target), ctx.rng.randint(1, 3))
    return records + stack_changes(ctx, executor, clock, target.id, chosen, most=10)


def _baseline_changes(ctx: Context, target: Account) -> list[Change]:
    detector = detector_id(target)
    analyzer = f"arn:aws:access-analyzer:{HOME_REGION}:{target.id}:analyzer/account-analyzer"
    return [
        (GUARDDUTY, "CreateFilter",
         {"detectorId": detector, "name": "vulnerability-scanner", "action": "ARCHIVE", "rank": 1,
          "description": "The organization's external scanner",
          "findingCriteria": {"criterion": {
              "type": {"eq": ["Recon:EC2/PortProbeUnprotectedPort", "Recon:EC2/Portscan"]},
              "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": {"eq": [SCANNER_ADDRESS]},
          }}}, {"name": "vulnerability-scanner"}),
        (SECURITY_HUB, "BatchUpdateStandardsControlAssociations",
         {"StandardsControlAssociationUpdates": [
             {"StandardsArn": FSBP, "SecurityControlId": "IAM.6", "AssociationStatus": "DISABLED",
              "UpdatedReason": "Root sign-in uses a passkey held by the security team (risk accepted)"},
         ]}, {"UnprocessedAssociationUpdates": []}),
        (ACCESS_ANALYZER, "CreateArchiveRule",
         {"analyzerName": "account-analyzer", "ruleName": "monitoring-vendor",
          "filter": {"principal.AWS": {"eq": [VENDOR_ACCOUNT]}}, "clientToken": ctx.ids.uuid()}, None),
        (ACCESS_ANALYZER, "ApplyArchiveRule",
         {"analyzerArn": analyzer, "ruleName": "monitoring-vendor", "clientToken": ctx.ids.uuid()}, None),
        (CONFIG, "DeleteConfigRule", {"configRuleName": "legacy-s3-bucket-logging"}, None),
        (CONFIG, "PutConfigurationRecorder",
         {"configurationRecorder": {
             "name": "default",
             "roleARN": f"arn:aws:iam::{target.id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
             "recordingGroup": {"allSupported": False, "includeGlobalResourceTypes": False,
                                "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::NetworkInterface"]},
                                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}},
         }}, None),
    ]  # fmt: skip


def scp_stack_update(ctx: Context, start: datetime) -> list[Record]:
    """The management account's guardrail stack (a StackSet's execution role, invokedBy
    CloudFormation) updates a service control policy's content and attaches it to an OU."""
    clock = Clock(ctx.rng, start)
    management = ctx.org.management
    session = ctx.org.session(
        service_role(management, "AWSCloudFormationStackSetExecutionRole"), "AWSCloudFormation", clock.tick()
    )
    records = assume_role(ctx, ct.aws_service(CFN), session, session.created, CFN, CFN)
    executor = ct.assumed_role(session, invoked_by=CFN)
    policy_id = f"p-{stable_hex(8, management.id, 'deny-security-changes')}"
    root = f"r-{stable_hex(4, management.id, 'root')}"
    ou = f"ou-{root[2:]}-{stable_hex(8, management.id, ctx.rng.choice(('prod', 'nonprod', 'sandbox')))}"
    content = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenySecurityServiceChanges",
                    "Effect": "Deny",
                    "Action": [
                        "guardduty:DeleteDetector",
                        "guardduty:DisassociateFromAdministratorAccount",
                        "securityhub:DisableSecurityHub",
                        "config:StopConfigurationRecorder",
                        "config:DeleteConfigurationRecorder",
                        "cloudtrail:StopLogging",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/AWSControlTowerExecution"}
                    },
                }
            ],
        },
        separators=(",", ":"),
    )
    summary = {
        "id": policy_id,
        "arn": f"arn:aws:organizations::{management.id}:policy/{ORG_ID}/service_control_policy/{policy_id}",
        "name": "deny-security-changes",
        "description": "Security services stay on",
        "type": "SERVICE_CONTROL_POLICY",
        "awsManaged": False,
    }

    def call(name: str, request: Any, response: Any = None) -> Record:
        return ctx.call(
            executor, clock.tick(1, 10), ORGANIZATIONS, name, account=management.id, ip=CFN, agent=CFN,
            read_only=False, request=request, response=response,
        )  # fmt: skip

    records.append(
        call(
            "UpdatePolicy",
            {"policyId": policy_id, "content": content},
            {"policy": {"policySummary": summary, "content": content}},
        )
    )
    records.append(call("AttachPolicy", {"policyId": policy_id, "targetId": ou}))
    return records


def securityhub_managed_config_rules(ctx: Context, start: datetime) -> list[Record]:
    """Security Hub's service-linked role replaces the Config rules behind its controls in an
    account (``securityhub-*`` rules: created for a control enabled, deleted for one disabled
    or replaced by a consolidated control)."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.accounts)
    role = service_linked_role(account, SECURITY_HUB, "AWSServiceRoleForSecurityHub")
    identity = ct.assumed_role(ctx.org.session(role, "securityhub", start), invoked_by=SECURITY_HUB)
    control = ctx.rng.choice(
        ("s3-bucket-logging-enabled", "ec2-ebs-encryption-by-default", "vpc-flow-logs-enabled")
    )
    old, new = f"securityhub-{control}-{ctx.hex(6)}", f"securityhub-{control}-{ctx.hex(6)}"
    source = {"owner": "AWS", "sourceIdentifier": control.upper().replace("-", "_")}

    def call(name: str, request: Any) -> Record:
        return ctx.call(
            identity, clock.tick(), CONFIG, name, account=account.id, ip=SECURITY_HUB, agent=SECURITY_HUB,
            read_only=False, request=request,
        )  # fmt: skip

    return [
        call("PutConfigRule", {"configRule": {"configRuleName": new, "source": source}}),
        call("DeleteConfigRule", {"configRuleName": old}),
    ]


__all__ = [
    "detector_id",
    "scp_stack_update",
    "security_baseline_stackset",
    "security_services_terraform",
    "securityhub_managed_config_rules",
]
