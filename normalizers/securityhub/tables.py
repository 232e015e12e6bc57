"""Security Hub's tables, as data: accepted events, what makes a finding a threat, and the
ASFF names the mapping reads specially."""

from __future__ import annotations

FINDING_EVENTS = frozenset(
    {"Security Hub Findings - Imported", "Security Hub Findings - Custom Action", "Findings Imported V2"}
)
"""EventBridge ``detail-type`` values whose ``detail.findings`` holds findings (ASFF; OCSF
for "Findings Imported V2")."""
RECOGNIZED_EVENTS = FINDING_EVENTS | {"Security Hub Insight Results"}
"""Every Security Hub ``detail-type`` (an insight's results carry no finding)."""
# Types namespaces that describe a detected threat rather than a posture result.
THREAT_NAMESPACES = frozenset({"TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"})
THREAT_PRODUCTS = frozenset({"guardduty", "macie"})
GUARDDUTY_PRODUCT = "/aws/guardduty"
# Keys whose values are data-shaped (resource ARNs as keys): kept whole, flat_object.
FLAT_KEYS = frozenset({"AffectedResources"})
ACCESS_KEY_ID_PREFIX = "AWS::IAM::AccessKey:"
IP_INDICATORS = frozenset({"IPV4_ADDRESS", "IPV6_ADDRESS"})
"""``ThreatIntelIndicators`` types whose ``Value`` is an IP address."""
