"""Which source each OCSF class's rows belong to: the same index as the native records, so
queries pivot (docs/sources/securitylake.md, "Classes")."""

from __future__ import annotations

API_ACTIVITY = 6003
"""CloudTrail management and data events (Security Lake ``CLOUD_TRAIL_MGMT``, ``S3_DATA``,
``LAMBDA_EXECUTION``)."""
NETWORK_ACTIVITY = 4001
"""VPC Flow Logs (``VPC_FLOW``)."""
SECURITY_FINDING = 2001
"""Security Hub findings in OCSF 1.0.0-rc.2 (Security Lake 1.0, ``SH_FINDINGS``)."""
VULNERABILITY_FINDING = 2002
COMPLIANCE_FINDING = 2003
DETECTION_FINDING = 2004
"""Security Hub findings in OCSF 1.1.0 (Security Lake 2.0): control checks are Compliance
Findings, software vulnerabilities Vulnerability Findings, the others Detection Findings."""

FINDING_CLASSES = frozenset({SECURITY_FINDING, VULNERABILITY_FINDING, COMPLIANCE_FINDING, DETECTION_FINDING})
FINDING_CLASS_NAMES: dict[int, str] = {
    SECURITY_FINDING: "Security Finding",
    VULNERABILITY_FINDING: "Vulnerability Finding",
    COMPLIANCE_FINDING: "Compliance Finding",
    DETECTION_FINDING: "Detection Finding",
}
"""The OCSF captions of the finding classes (``class_name``, which a producer may leave out)."""

SOURCE_OF_CLASS: dict[int, str] = {
    API_ACTIVITY: "cloudtrail",
    NETWORK_ACTIVITY: "vpcflow",
    **{uid: "securityhub" for uid in FINDING_CLASSES},
}

CARRIED: tuple[str, ...] = tuple(dict.fromkeys(SOURCE_OF_CLASS.values()))
"""The sources whose documents OCSF rows become (each includes the provenance fields)."""
