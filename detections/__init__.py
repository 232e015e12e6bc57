"""Detections: rules as code (YAML), a scheduled runner for OpenSearch Serverless (which has
no Alerting plugin), SigmaHQ conversion, inline rule tests and Alerting monitor export.

    rules = load_rules()                       # detections/rules + detections/sigma
    report = run(logs, alerts, rules, now)     # query, write alerts, notify (docs/detections.md)
"""

from detections.rules import Rule, RuleError, RuleTest, load_rule, load_rules
from detections.runner import RunReport, RunSettings, run

__all__ = ["Rule", "RuleError", "RuleTest", "RunReport", "RunSettings", "load_rule", "load_rules", "run"]
