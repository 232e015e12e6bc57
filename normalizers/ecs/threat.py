"""ECS ``threat.software`` of the malware a finding names (GuardDuty, Security Hub)."""

from __future__ import annotations

from typing import Any

MALWARE = "Malware"
"""ECS ``threat.software.type`` of what a finding calls malware (ECS's types of software are
MITRE ATT&CK's: ``Malware`` or ``Tool``; a source's own type, ASFF's ``TROJAN`` or
``COIN_MINER``, stays in that source's block)."""


def malware_threat(names: list[str]) -> dict[str, Any]:
    """``threat`` naming every malware in ``names``; empty when there is none."""
    return {"software": {"name": names, "type": MALWARE}} if names else {}
