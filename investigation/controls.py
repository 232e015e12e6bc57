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
