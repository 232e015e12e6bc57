"""Investigate a finding: pivot from a GuardDuty or Security Hub finding to the CloudTrail
actor behind it (who, through which chain of roles), when, what it did and from where.

    report = investigate(client, "arn:aws:guardduty:...:finding/...")
    print(render(report, "text"))
"""

from investigation.investigator import (
    DEFAULT_WINDOW,
    MAX_QUERIES,
    FindingNotFound,
    QueryBudgetExceeded,
    investigate,
)
from investigation.render import FORMATS, render
from investigation.report import Report

__all__ = [
    "DEFAULT_WINDOW",
    "FORMATS",
    "MAX_QUERIES",
    "FindingNotFound",
    "QueryBudgetExceeded",
    "Report",
    "investigate",
    "render",
]
