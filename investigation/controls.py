"""Security Hub controls on the account itself (resource ``AWS::::Account:<id>``): whose activity
answers them.

A root-user control (MFA, access keys, root use) is about what the root user did in the
account; another account-level control (password policy, trails, GuardDuty, Config, account-wide
S3 Block Public Access, EBS default encryption, public EBS snapshots, CIS's log metric filters and
alarms, Auto Scaling groups' health checks when there is no group to evaluate) about the API calls
that change that setting, each named with its service (CloudTrail ``eventSource``).
Neither names a resource CloudTrail would name, so a resource investigation found nothing.
Control ids and titles: the AWS Security Hub controls reference; operation names: botocore's
service models. The CIS 1.2.0 and PCI DSS 3.2.1 to security control table says, entry by entry,
what confirms it: the samples' own findings, prowler's data, or memory alone.
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

Calls = dict[str, tuple[str, ...]]
"""CloudTrail ``eventSource`` -> the ``eventName``s of that service (its botocore model's
operation names; ``PutAccountPublicAccessBlock`` is how CloudTrail names S3 Control's
``PutPublicAccessBlock``)."""

_PASSWORD_POLICY: Calls = {
    "iam.amazonaws.com": ("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy")
}
_TRAIL = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StopLogging", "StartLogging")
"""The calls that create, change, delete, stop or start a trail."""

# CIS 1.2.0 section 3 (CloudWatch.1-14): a metric filter with the control's pattern on the log
# group of a multi-Region trail that logs all management events, an alarm on its metric, and an
# SNS topic with a subscriber as the alarm's action. Each call below adds, removes or silences one
# link of that chain: the filter (logs; deleting the log group deletes its filters), the alarm
# (monitoring), the topic and its subscribers (sns: a topic policy can refuse CloudWatch's
# publish), the trail's delivery to the log group and its management events (cloudtrail).
_METRIC_FILTER_ALARM: Calls = {
    "logs.amazonaws.com": ("PutMetricFilter", "DeleteMetricFilter", "DeleteLogGroup"),
    "monitoring.amazonaws.com": (
        "PutMetricAlarm",
        "DeleteAlarms",
        "DisableAlarmActions",
        "EnableAlarmActions",
    ),
    "sns.amazonaws.com": (
        "Subscribe",
        "ConfirmSubscription",
        "Unsubscribe",
        "DeleteTopic",
        "SetTopicAttributes",
    ),
    "cloudtrail.amazonaws.com": (*_TRAIL, "PutEventSelectors"),
}

ACCOUNT_CONTROL_CALLS: dict[str, Calls] = {
    **{f"IAM.{n}": _PASSWORD_POLICY for n in (7, 10, 11, 12, 13, 14, 15, 16, 17)},
    "CloudTrail.1": {"cloudtrail.amazonaws.com": (*_TRAIL, "PutEventSelectors")},
    "CloudTrail.3": {"cloudtrail.amazonaws.com": _TRAIL},
    # CloudWatch.1 is also a root-user control (ROOT_CONTROLS): both subjects are searched.
    **{f"CloudWatch.{n}": _METRIC_FILTER_ALARM for n in range(1, 15)},
    "GuardDuty.1": {"guardduty.amazonaws.com": ("CreateDetector", "DeleteDetector", "UpdateDetector")},
    "Config.1": {
        "config.amazonaws.com": (
            "PutConfigurationRecorder",
            "StartConfigurationRecorder",
            "StopConfigurationRecorder",
            "DeleteConfigurationRecorder",
            "DeleteDeliveryChannel",
        )
    },
    "S3.1": {"s3.amazonaws.com": ("PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock")},
    # EC2.1: no EBS snapshot of the account is restorable by anyone (Config's periodic
    # ebs-snapshot-public-restorable-check, on the account). A snapshot becomes public or private
    # by its createVolumePermission (ModifySnapshotAttribute adds or removes the group ``all``,
    # ResetSnapshotAttribute clears it), and the account's block public access for snapshots
    # refuses or allows that sharing.
    "EC2.1": {
        "ec2.amazonaws.com": (
            "ModifySnapshotAttribute",
            "ResetSnapshotAttribute",
            "EnableSnapshotBlockPublicAccess",
            "DisableSnapshotBlockPublicAccess",
        )
    },
    "EC2.7": {"ec2.amazonaws.com": ("EnableEbsEncryptionByDefault", "DisableEbsEncryptionByDefault")},
    # AutoScaling.1: an Auto Scaling group with a load balancer uses ELB health checks. It is
    # about a group, and a finding on a group names it (resource mode); a finding on the account
    # (reason CONFIG_EVALUATIONS_EMPTY: no group to evaluate) is answered by the calls that
    # create or delete a group, set its HealthCheckType, or attach or detach its load balancers.
    "AutoScaling.1": {
        "autoscaling.amazonaws.com": (
            "CreateAutoScalingGroup",
            "UpdateAutoScalingGroup",
            "DeleteAutoScalingGroup",
            "AttachLoadBalancers",
            "DetachLoadBalancers",
            "AttachLoadBalancerTargetGroups",
            "DetachLoadBalancerTargetGroups",
            "AttachTrafficSources",
            "DetachTrafficSources",
        )
    },
    "SecurityHub.1": {"securityhub.amazonaws.com": ("EnableSecurityHub", "DisableSecurityHub")},
    "Macie.1": {"macie2.amazonaws.com": ("EnableMacie", "DisableMacie")},
}


# A standard-specific finding (consolidated control findings off: Security Hub's format before
# 2023, and still where that setting is off) names its standard's control, not the security
# control: ``GeneratorId`` (``rule.id``) is ``<standard>/<control>``. AWS Foundational Security
# Best Practices' control ids are the security control ids; CIS 1.2.0's and PCI DSS 3.2.1's
# account-level ones map onto these security controls (AWS Security Hub controls reference).
# How far each entry is checked (no sample carries Compliance.SecurityControlId):
#   rule     the sample (../shared/samples/securityhub/asr-simtest) is evaluated by the same
#            AWS Config rule instance (ProductFields RelatedAWSResources:0/name) as the AFSBP
#            sample of that control: the same check.
#   title    the sample's Title states what the security control checks (the id is memory).
#   prowler  prowler 5.46.0's data (PyPI, Apache-2.0): its CIS 1.4 item with this title and its
#            AFSBP control of this id share one check, or its check links the reference's anchor.
#   memory   no sample of it; written from memory of the controls reference.
_AFSBP = "aws-foundational-security-best-practices/v/1.0.0/"
_CIS_1_2 = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/"
_PCI_3_2_1 = "pci-dss/v/3.2.1/"
_CIS_1_2_CONTROLS = {
    "1.1": "CloudWatch.1",  # avoid the use of the root user: memory
    "3.3": "CloudWatch.1",  # a log metric filter and alarm for usage of the root user: title
    "1.5": "IAM.11",  # password policy: an uppercase letter: title
    "1.6": "IAM.12",  # a lowercase letter: title
    "1.7": "IAM.13",  # a symbol: title
    "1.8": "IAM.14",  # a number: title
    "1.9": "IAM.15",  # at least 14 characters: title
    "1.10": "IAM.16",  # no reuse: title
    "1.11": "IAM.17",  # expiry within 90 days: title
    "1.12": "IAM.4",  # no root user access key: memory (prowler: CIS 1.4's 1.4 is IAM.4)
    "1.13": "IAM.9",  # MFA for the root user: memory (prowler: CIS 1.4's 1.5 is IAM.9)
    "1.14": "IAM.6",  # hardware MFA for the root user: memory (prowler: CIS 1.4's 1.6 is IAM.6)
    "2.1": "CloudTrail.1",  # CloudTrail enabled in all regions: rule, prowler
    "2.5": "Config.1",  # AWS Config enabled: title, prowler
    # A log metric filter and alarm (title, each): the numbering is memory but for 3.12
    # (prowler's network gateway check links the reference's CloudWatch.12); all thirteen are
    # answered by the same calls, so a wrong number would only mislabel ``finding.control``.
    "3.1": "CloudWatch.2",  # unauthorized API calls
    "3.2": "CloudWatch.3",  # console sign-in without MFA
    "3.4": "CloudWatch.4",  # IAM policy changes
    "3.5": "CloudWatch.5",  # CloudTrail configuration changes
    "3.6": "CloudWatch.6",  # console authentication failures
    "3.7": "CloudWatch.7",  # disabling or scheduled deletion of customer managed keys
    "3.8": "CloudWatch.8",  # S3 bucket policy changes
    "3.9": "CloudWatch.9",  # AWS Config configuration changes
    "3.10": "CloudWatch.10",  # security group changes
    "3.11": "CloudWatch.11",  # network ACL changes
    "3.12": "CloudWatch.12",  # network gateway changes: prowler
    "3.13": "CloudWatch.13",  # route table changes
    "3.14": "CloudWatch.14",  # VPC changes
}
_PCI_3_2_1_CONTROLS = {
    "PCI.IAM.1": "IAM.4",  # no root user access key: memory
    "PCI.IAM.4": "IAM.6",  # hardware MFA for the root user: memory
    "PCI.IAM.5": "IAM.9",  # virtual MFA for the root user: memory
    # Password policy: title; not IAM.7 (another Config rule: recommended defaults, no symbols
    # required); prowler's IAM.10 is this title.
    "PCI.IAM.8": "IAM.10",
    "PCI.CW.1": "CloudWatch.1",  # a log metric filter and alarm for usage of the root user: title
    # CloudTrail enabled: title (prowler's CloudTrail.3: at least one trail enabled); the
    # cloudtrail-enabled rule, not CloudTrail.1's multi-Region one.
    "PCI.CloudTrail.2": "CloudTrail.3",
    "PCI.Config.1": "Config.1",  # AWS Config enabled: title (AFSBP Config.1's, word for word)
    "PCI.GuardDuty.1": "GuardDuty.1",  # GuardDuty enabled: memory
    "PCI.S3.6": "S3.1",  # S3 Block Public Access (account): rule
    "PCI.EC2.1": "EC2.1",  # EBS snapshots not publicly restorable: rule
    "PCI.AutoScaling.1": "AutoScaling.1",  # load balancer health checks: rule
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
    return bool(control) and (control in ROOT_CONTROLS or control in ACCOUNT_CONTROL_CALLS)
