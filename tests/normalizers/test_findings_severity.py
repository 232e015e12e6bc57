"""The one 0-100 severity scale and the labels (docs/schema.md, "Findings")."""

from __future__ import annotations

import pytest

from normalizers.ecs.finding import (
    guardduty_severity,
    guardduty_severity_value,
    label_of_normalized,
    securityhub_severity,
)
from normalizers.reasons import RecordError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, (1, "LOW")),
        (1, (10, "LOW")),
        (3.9, (39, "LOW")),
        (4.0, (40, "MEDIUM")),
        (6.9, (69, "MEDIUM")),
        (7, (70, "HIGH")),
        (8.0, (80, "HIGH")),
        (8.9, (89, "HIGH")),
        (9.0, (90, "CRITICAL")),
        (9.5, (95, "CRITICAL")),
        (10, (100, "CRITICAL")),
        (2.05, (21, "LOW")),
        (6.95, (70, "HIGH")),
        (3.95, (40, "MEDIUM")),
        (8.95, (90, "CRITICAL")),
        (0, (0, "INFORMATIONAL")),
        (0.04, (0, "INFORMATIONAL")),
    ],
)
def test_guardduty_severity(value: float, expected: tuple[int, str]) -> None:
    assert guardduty_severity(value) == expected


@pytest.mark.parametrize("value", [-1, 10.5, 100])
def test_guardduty_severity_out_of_range_is_a_bad_record(value: float) -> None:
    with pytest.raises(RecordError, match="invalid record"):
        guardduty_severity(value)


@pytest.mark.parametrize(
    ("normalized", "label"),
    [
        (0, "INFORMATIONAL"),
        (1, "LOW"),
        (39, "LOW"),
        (40, "MEDIUM"),
        (69, "MEDIUM"),
        (70, "HIGH"),
        (89, "HIGH"),
        (90, "CRITICAL"),
        (100, "CRITICAL"),
    ],
)
def test_securityhub_label_from_normalized(normalized: int, label: str) -> None:
    assert label_of_normalized(normalized) == label
    assert securityhub_severity({"Normalized": normalized}) == (normalized, label)


@pytest.mark.parametrize(
    ("label", "score"), [("INFORMATIONAL", 0), ("LOW", 1), ("MEDIUM", 40), ("HIGH", 70), ("CRITICAL", 90)]
)
def test_securityhub_score_from_label_only(label: str, score: int) -> None:
    assert securityhub_severity({"Label": label}) == (score, label)
    assert securityhub_severity({"Label": label.lower()}) == (score, label)


def test_securityhub_normalized_wins_and_label_is_kept() -> None:
    assert securityhub_severity({"Label": "HIGH", "Normalized": 75, "Original": "8"}) == (75, "HIGH")


def test_securityhub_no_severity() -> None:
    assert securityhub_severity({}) == (None, None)


@pytest.mark.parametrize(
    "severity", [{"Label": "SEVERE"}, {"Normalized": 101}, {"Normalized": "70"}, {"Label": 3}]
)
def test_securityhub_bad_severity_is_a_bad_record(severity: dict[str, object]) -> None:
    with pytest.raises(RecordError, match="invalid record"):
        securityhub_severity(severity)


def test_both_sources_agree_on_the_scale() -> None:
    """GuardDuty 8.0 (high) and 9.0 (critical) land where Security Hub puts HIGH and CRITICAL."""
    assert guardduty_severity(8.0)[0] >= securityhub_severity({"Label": "HIGH"})[0]  # type: ignore[operator]
    assert guardduty_severity(9.0) == securityhub_severity({"Label": "CRITICAL"})


@pytest.mark.parametrize(
    "value", [0.05, 0.5, 1.0, 3.94, 3.95, 4.0, 6.9, 6.95, 7.0, 8.9, 8.94, 8.95, 9.0, 10.0]
)
def test_guardduty_label_is_the_label_of_its_score(value: float) -> None:
    """One rule: a score and its label never disagree (8.95 is not 90 and HIGH)."""
    score, label = guardduty_severity(value)
    assert label == label_of_normalized(score)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", "5"),
        ("8.0", "8.0"),
        (" 2.5 ", "2.5"),
        (5, "5"),
        (8.9, "8.9"),
        ("MEDIUM", None),
        ("", None),
        ("NaN", None),
        ("Infinity", None),
        ("11", None),
        (-1, None),
        (True, None),
        (None, None),
        ([5], None),
    ],
)
def test_guardduty_severity_as_security_hub_carries_it(value: object, expected: str | None) -> None:
    result = guardduty_severity_value(value)
    assert (str(result) if result is not None else None) == expected
