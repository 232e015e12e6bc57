"""What every finding document shares (docs/schema.md, "Findings"): the one 0-100 severity
scale, its labels, and ``rule.*``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from normalizers.ecs.getters import optional_number, optional_str
from normalizers.ecs.values import prune
from normalizers.reasons import INVALID_RECORD, RecordError

INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL = "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"
LABELS = (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)
# What Security Hub itself fills in when a provider gives only the label.
_NORMALIZED_OF_LABEL = {INFORMATIONAL: 0, LOW: 1, MEDIUM: 40, HIGH: 70, CRITICAL: 90}


def guardduty_severity(value: float | Decimal) -> tuple[int, str]:
    """GuardDuty's 0-10 severity -> (``event.severity`` 0-100, label).

    The label is read off the rounded score with Security Hub's ranges
    (:func:`label_of_normalized`), so the two never disagree: 8.95 -> 90, ``CRITICAL``.
    For GuardDuty's one-decimal values this is its own scale (Low 1.0-3.9, Medium 4.0-6.9,
    High 7.0-8.9, Critical 9.0-10.0).
    """
    if not 0 <= value <= 10:
        raise RecordError(INVALID_RECORD, f"severity {value!r} is outside 0-10")
    # Decimal on the literal: 6.95 -> 70, where float arithmetic would give 69.
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    score = int((exact * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return score, label_of_normalized(score)


def guardduty_severity_value(value: Any) -> Decimal | None:
    """GuardDuty's severity as Security Hub carries it (``Severity.Original`` ``"5"``,
    ``Severity.Product`` ``5``): ``None`` unless it is a finite number in 0-10."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 <= number <= 10 else None


def label_of_normalized(normalized: float) -> str:
    """Security Hub's ranges: 0 informational, 1-39 low, 40-69 medium, 70-89 high, 90+ critical."""
    if normalized < 1:
        return INFORMATIONAL
    if normalized < 40:
        return LOW
    if normalized < 70:
        return MEDIUM
    if normalized < 90:
        return HIGH
    return CRITICAL


def securityhub_severity(severity: dict[str, Any]) -> tuple[int | None, str | None]:
    """``Severity`` -> (``event.severity``, label): ``Normalized`` first, else from ``Label``."""
    label = optional_str(severity, "Label")
    if label is not None:
        label = label.upper()
        if label not in LABELS:
            raise RecordError(INVALID_RECORD, f"Severity.Label {label!r} is not one of {', '.join(LABELS)}")
    normalized = normalized_severity(severity)
    if normalized is not None:
        score = int(Decimal(repr(normalized)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return score, label or label_of_normalized(normalized)
    if label is not None:
        return _NORMALIZED_OF_LABEL[label], label
    return None, None


def normalized_severity(severity: dict[str, Any]) -> float | int | None:
    """``Severity.Normalized``, a number in 0-100 (ASFF), else the finding is invalid: kept in
    the document whoever scored it (a GuardDuty finding is scored from its own severity)."""
    normalized = optional_number(severity, "Normalized")
    if normalized is not None and not 0 <= normalized <= 100:
        raise RecordError(INVALID_RECORD, f"Severity.Normalized {normalized!r} is outside 0-100")
    return normalized


def rule_fields(rule_id: str | None, name: str | None, category: str | None) -> dict[str, str]:
    rule: dict[str, str] = prune({"id": rule_id, "name": name, "category": category})
    return rule
