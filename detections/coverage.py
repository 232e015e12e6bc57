"""Which rules cover which catalogue techniques (``siem rules coverage``).

A technique is covered by an *enabled* rule that names it in ``techniques``; a disabled
rule (a superseded Sigma twin, a rule switched off) is listed but covers nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from detections.catalogue import TECHNIQUES, Technique
from detections.rules import Rule


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    rule_id: str
    ruleset: str
    """``siem`` (ours) or ``sigma`` (converted)."""
    enabled: bool
    techniques: tuple[str, ...]
    """Stratus Red Team ids."""
    attack: tuple[str, ...]
    """MITRE ATT&CK technique ids (``T1562.008``) from the rule's tags."""


@dataclass(frozen=True, slots=True)
class Coverage:
    rules: tuple[RuleCoverage, ...]
    by_technique: dict[str, tuple[str, ...]]
    """Catalogue technique id -> ids of the enabled rules covering it (catalogue order)."""

    @property
    def uncovered(self) -> list[str]:
        return [technique for technique, rules in self.by_technique.items() if not rules]


def coverage(rules: Iterable[Rule], catalogue: Mapping[str, Technique] = TECHNIQUES) -> Coverage:
    listed = tuple(
        RuleCoverage(rule.id, rule.ruleset, rule.enabled, rule.techniques, rule.mitre)
        for rule in sorted(rules, key=lambda rule: rule.id)
    )
    by_technique = {
        technique: tuple(item.rule_id for item in listed if item.enabled and technique in item.techniques)
        for technique in catalogue
    }
    return Coverage(listed, by_technique)


def format_report(report: Coverage) -> str:
    """Per rule: its Stratus ids and ATT&CK ids; then the catalogue techniques no rule covers."""
    lines = []
    for item in report.rules:
        state = "" if item.enabled else " (disabled)"
        stratus = ", ".join(item.techniques) or "-"
        attack = ", ".join(item.attack) or "-"
        lines.append(f"{item.rule_id}{state}\n  stratus: {stratus}\n  att&ck:  {attack}")
    covered = len(report.by_technique) - len(report.uncovered)
    lines.append(f"\n{counts(report)}")
    lines.append(
        f"{covered} of {len(report.by_technique)} catalogue techniques covered by an enabled rule; "
        f"not covered: {', '.join(report.uncovered) or 'none'}"
    )
    return "\n".join(lines)


def counts(report: Coverage) -> str:
    """The rule counts, the one place they are printed from."""
    ours = [item for item in report.rules if item.ruleset == "siem"]
    sigma = [item for item in report.rules if item.ruleset == "sigma"]

    def enabled(items: list[RuleCoverage]) -> int:
        return sum(item.enabled for item in items)

    return (
        f"{len(report.rules)} rules: {len(ours)} ours ({enabled(ours)} enabled), "
        f"{len(sigma)} converted SigmaHQ ({enabled(sigma)} enabled)"
    )


def markdown_table(report: Coverage, catalogue: Mapping[str, Technique] = TECHNIQUES) -> str:
    """The docs table (docs/detections.md, "Coverage"): technique, CloudTrail events, rules."""
    rows = ["| Stratus technique | CloudTrail events the rules key on | rules |", "|---|---|---|"]
    for technique, rule_ids in report.by_technique.items():
        rules = ", ".join(f"`{rule_id}`" for rule_id in rule_ids) or "**none**"
        rows.append(f"| `{technique}` | {catalogue[technique].events} | {rules} |")
    return "\n".join(rows)


__all__ = ["Coverage", "RuleCoverage", "counts", "coverage", "format_report", "markdown_table"]
