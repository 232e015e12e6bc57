"""Rule counts come from one function (``detections.coverage.counts``): the demo prints it,
and a number of rules stated in the docs must agree with the rules on disk."""

from __future__ import annotations

import re
from pathlib import Path

from detections import coverage
from detections.rules import RULE_DIRS, load_rules

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_state_the_number_of_enabled_rules() -> None:
    enabled = len(load_rules(RULE_DIRS))
    stated = re.findall(r"(\d+) rules × 288 runs", (ROOT / "docs" / "deploy.md").read_text())
    assert stated == [str(enabled)]


def test_the_counts_line_adds_up() -> None:
    report = coverage.coverage(load_rules(RULE_DIRS, include_disabled=True))
    line = coverage.counts(report)
    total, ours, ours_enabled, sigma, sigma_enabled = map(int, re.findall(r"\d+", line))
    assert total == ours + sigma == len(load_rules(RULE_DIRS, include_disabled=True))
    assert ours_enabled + sigma_enabled == len(load_rules(RULE_DIRS))
