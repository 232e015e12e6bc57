"""Security Hub controls on the account itself (resource ``AWS::::Account:<id>``): whose activity
answers them.

A root-user control (MFA, access keys, root use) is about what the root user did in the
account; another account-level control (password policy, trails, GuardDuty, Config, account-wide
S3 Block Public Access, EBS default encryption) about the API calls that change that setting.
Neither names a resource CloudTrail would name, so a resource investigation found nothing.
Control ids and titles: the AWS Security Hub controls reference.
"""

from __future__ import annotations

ACCOUNT_RESOURCE_PREFIX = "AWS::::Account:"

ROOT_CONTROLS = frozenset(
    {
        "IAM.4",  # IAM root user access key should not exist
        "IAM.6",  # Hardware MFA should be enabled for the root user
        "IAM.9",  # MFA should be enabled for the root user
        "CloudWatch.1",  # A log metric filter and alarm should exist for usage of the root user
    }
)

_PASSWORD_POLICY = ("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy")
ACCOUNT_CONTROL_ACTIONS: dict[str, tuple[str, ...]] = {
    **{f"IAM.{n}": _PASSWORD_POLICY for n in (7, 10, 11, 12, 13, 14, 15, 16, 17)},
    "CloudTrail.1": (
        "CreateTrail",
        "UpdateTrail",
        "DeleteTrail",
        "StopLogging",
        "StartLogging",
        "PutEventSelectors",
    ),
    "CloudTrail.3": ("CreateTrail", "UpdateTrail", "DeleteTrail", "StopLogging", "StartLogging"),
    "GuardDuty.1": ("CreateDetector", "DeleteDetector", "UpdateDetector"),
    "Config.1": (
        "PutConfigurationRecorder",
        "StartConfigurationRecorder",
        "StopConfigurationRecorder",
        "DeleteConfigurationRecorder",
        "DeleteDeliveryChannel",
    ),
    "S3.1": ("PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"),
    "EC2.7": ("EnableEbsEncryptionByDefault", "DisableEbsEncryptionByDefault"),
    "SecurityHub.1": ("EnableSecurityHub", "DisableSecurityHub"),
    "Macie.1": ("EnableMacie", "DisableMacie"),
}


# A standard-specific finding (consolidated control findings off: Security Hub's format before
# 2023, and still where that setting is off) names its standard's control, not the security
# control: ``GeneratorId`` (``rule.id``) is ``<standard>/<control>``. AWS Foundational Security
# Best Practices' control ids are the security control ids; CIS 1.2.0's and PCI DSS 3.2.1's
# account-level ones map onto these security controls (AWS Security Hub controls reference;
# the titles say the same: CIS 1.9 "Ensure IAM password policy requires minimum password length
# of 14 or greater" is IAM.15).
_AFSBP = "aws-foundational-security-best-practices/v/1.0.0/"
_CIS_1_2 = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/"
_PCI_3_2_1 = "pci-dss/v/3.2.1/"
_CIS_1_2_CONTROLS = {
    "1.1": "CloudWatch.1",  # avoid the use of the root user
    "3.3": "CloudWatch.1",  # a log metric filter and alarm for usage of the root user
    "1.5": "IAM.11",  # password policy: an uppercase letter
    "1.6": "IAM.12",  # a lowercase letter
    "1.7": "IAM.13",  # a symbol
    "1.8": "IAM.14",  # a number
    "1.9": "IAM.15",  # at least 14 characters
    "1.10": "IAM.16",  # no reuse
    "1.11": "IAM.17",  # expiry within 90 days
    "1.12": "IAM.4",  # no root user access key
    "1.13": "IAM.9",  # MFA for the root user
    "1.14": "IAM.6",  # hardware MFA for the root user
    "2.1": "CloudTrail.1",  # CloudTrail enabled in all regions
    "2.5": "Config.1",  # AWS Config enabled
}
_PCI_3_2_1_CONTROLS = {
    "PCI.IAM.1": "IAM.4",  # no root user access key
    "PCI.IAM.4": "IAM.6",  # hardware MFA for the root user
    "PCI.IAM.5": "IAM.9",  # virtual MFA for the root user
    "PCI.IAM.8": "IAM.10",  # password policy
    "PCI.CW.1": "CloudWatch.1",  # a log metric filter and alarm for usage of the root user
    "PCI.CloudTrail.2": "CloudTrail.3",  # CloudTrail enabled
    "PCI.Config.1": "Config.1",  # AWS Config enabled
    "PCI.GuardDuty.1": "GuardDuty.1",  # GuardDuty enabled
    "PCI.S3.6": "S3.1",  # S3 Block Public Access (account)
}


def security_control(rule_id: str | None) -> str | None:
    """The security control id a control finding checks: ``rule.id`` itself (a consolidated
    finding's ``Compliance.SecurityControlId``), or the one its standard's control stands for
    (``aws-foundational-security-best-practices/v/1.0.0/IAM.7`` -> ``IAM.7``; CIS 1.2.0 rule
    1.14 -> ``IAM.6``; ``pci-dss/v/3.2.1/PCI.IAM.8`` -> ``IAM.10``); else ``rule_id``."""
    if not rule_id:
        return rule_id
    if rule_id.startswith(_AFSBP):
        return rule_id[len(_AFSBP) :]
    if rule_id.startswith(_CIS_1_2):
        return _CIS_1_2_CONTROLS.get(rule_id[len(_CIS_1_2) :], rule_id)
    if rule_id.startswith(_PCI_3_2_1):
        return _PCI_3_2_1_CONTROLS.get(rule_id[len(_PCI_3_2_1) :], rule_id)
    return rule_id


def account_of(resource_ids: tuple[str, ...]) -> str | None:
    """The account a control is about, when its resource is the account itself."""
    return next(
        (
            value[len(ACCOUNT_RESOURCE_PREFIX) :]
            for value in resource_ids
            if value.startswith(ACCOUNT_RESOURCE_PREFIX)
        ),
        None,
    )


def is_account_control(control: str | None) -> bool:
    return bool(control) and (control in ROOT_CONTROLS or control in ACCOUNT_CONTROL_ACTIONS)
