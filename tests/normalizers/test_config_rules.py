"""``rule.category`` of AWS Config rules: the AWS service the rule checks, read from the rule's
name as AWS Config's managed rules are named (AWS Config Developer Guide, "List of AWS Config
Managed Rules"), after the prefix of the service that manages it; no category for a name that
says no service (a custom rule) rather than a guessed word."""

from __future__ import annotations

import pytest

from normalizers.config.rules import category_of, manager_of


@pytest.mark.parametrize(
    ("name", "category"),
    [
        # Managed rules that start with their service.
        ("s3-bucket-versioning-enabled", "s3"),
        ("s3-bucket-public-read-prohibited", "s3"),
        ("iam-password-policy", "iam"),
        ("iam-user-mfa-enabled", "iam"),
        ("ec2-instance-no-public-ip", "ec2"),
        ("ebs-snapshot-public-restorable-check", "ec2"),
        ("cloudtrail-enabled", "cloudtrail"),
        ("cloudtrail-s3-dataevents-enabled", "cloudtrail"),
        ("rds-instance-public-access-check", "rds"),
        ("vpc-flow-logs-enabled", "vpc"),
        ("vpc-default-security-group-closed", "vpc"),
        ("lambda-function-public-access-prohibited", "lambda"),
        ("kms-cmk-not-scheduled-for-deletion", "kms"),
        ("guardduty-enabled-centralized", "guardduty"),
        ("elb-logging-enabled", "elb"),
        ("elbv2-acm-certificate-required", "elb"),
        ("alb-http-to-https-redirection-check", "elb"),
        ("api-gw-execution-logging-enabled", "apigateway"),
        ("cw-loggroup-retention-period-check", "cloudwatch"),
        ("elasticsearch-encrypted-at-rest", "opensearch"),
        ("dynamodb-pitr-enabled", "dynamodb"),
        # Managed rules named after what they check.
        ("restricted-ssh", "ec2"),
        ("restricted-common-ports", "ec2"),
        ("encrypted-volumes", "ec2"),
        ("root-account-mfa-enabled", "iam"),
        ("root-account-hardware-mfa-enabled", "iam"),
        ("access-keys-rotated", "iam"),
        ("mfa-enabled-for-iam-console-access", "iam"),
        ("multi-region-cloudtrail-enabled", "cloudtrail"),
        ("db-instance-backup-enabled", "rds"),
        ("cmk-backing-key-rotation-enabled", "kms"),
        ("approved-amis-by-id", "ec2"),
        # Deployed by a manager, a conformance pack or Firewall Manager: the same rule underneath.
        ("securityhub-s3-bucket-level-public-access-prohibited-8a1b2c", "s3"),
        ("securityhub-restricted-ssh-3f2e1d", "ec2"),
        ("OrgConfigRule-iam-root-access-key-check-a1b2c3d4", "iam"),
        ("restricted-ssh-conformance-pack-k4dzpkkw6", "ec2"),
        ("S3-Bucket-Versioning-Enabled", "s3"),
        # No service in the name: no category, not its first word.
        ("required-tags", None),
        ("restricted", None),
        ("team-a-encryption-check", None),
        ("elbow-room", None),  # "elb" only as a whole word
        ("s3", "s3"),
        ("securityhub-enabled", None),
    ],
)
def test_the_category_is_the_service_the_rule_checks(name: str, category: str | None) -> None:
    assert category_of(name) == category


def test_the_manager_prefix_is_dropped_before_reading_the_category() -> None:
    assert manager_of("securityhub-restricted-ssh-3f2e1d") == ("securityhub", "restricted-ssh-3f2e1d")
    assert manager_of("restricted-ssh") == (None, "restricted-ssh")
