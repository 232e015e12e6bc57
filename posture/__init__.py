"""Compliance posture and period reports per account, computed from the indexed findings
and Config verdicts (docs/posture.md)."""
