"""Settings of a detection run: the logs and alerts collections (shared connection settings),
the run's own parameters, and where new alerts and checkpoints go.

Read from the Lambda's environment (``from_env``; the CDK app sets it in infra/detection.py) or
built from ``siem detect run``'s options.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from detections.exceptions import ENVIRONMENT_VARIABLE as EXCEPTIONS_VARIABLE
from detections.exceptions import Exceptions, RuleException, from_setting
from detections.runner import DEFAULT_FILL_BUDGET, RunSettings
from enrichment import EnrichmentSettings
from enrichment.account_store import DEFAULT_TTL_SECONDS
from opensearch_client import ConnectionSettings

FILL_BUDGET_VARIABLE = "FILL_BUDGET_SECONDS"
"""Seconds of a run during which new-terms fills read more than one page (RunSettings.fill_budget)."""
NOTE_WRITER_VARIABLE = "NOTE_WRITER_ROLE_ARN"
"""The role of the "Investigate in SIEM" function, which writes notes into Security Hub findings."""
MAX_FILL_BUDGET = timedelta(minutes=15)
"""The longest a Lambda function runs: a budget past it could never be spent."""
NOTE_WRITER_RULES = ("sigma-a607e1fe-74bf-4440-a3ec-b059b9103157",)
"""The rules that see its ``BatchUpdateFindings`` calls in CloudTrail: "AWS SecurityHub Findings
Evasion" (any BatchUpdateFindings). The role may set only ``Note`` (an IAM condition on every
other field, infra/handoffs.py), so its calls are our own notes, never an evasion."""


def with_note_writer(exceptions: Exceptions, role_arn: str | None) -> Exceptions:
    """``exceptions`` and, with ``role_arn``, the SIEM's own note writer on :data:`NOTE_WRITER_RULES`."""
    if not role_arn:
        return exceptions
    own = RuleException(
        NOTE_WRITER_RULES,
        "the SIEM's own Security Hub note writer (Investigate in SIEM); its role can set only Note",
        principals=(role_arn,),
    )
    return Exceptions((*exceptions.entries, own))


class FillBudgetError(ValueError):
    """A fill budget that is not 0 to :data:`MAX_FILL_BUDGET` seconds."""


def fill_budget(value: str | None) -> timedelta:
    """``FILL_BUDGET_SECONDS`` / ``--fill-budget``: seconds, 0 or more (0: one page a fill a run);
    unset or empty: the default (:data:`detections.runner.DEFAULT_FILL_BUDGET`)."""
    if value is None or not value.strip():
        return DEFAULT_FILL_BUDGET
    try:
        seconds = float(value)
    except ValueError:
        raise FillBudgetError(f"fill budget {value!r}: not a number of seconds") from None
    if not 0 <= seconds <= MAX_FILL_BUDGET.total_seconds():
        raise FillBudgetError(f"fill budget {value!r}: 0 to {MAX_FILL_BUDGET.total_seconds():.0f} seconds")
    return timedelta(seconds=seconds)


def exceptions_from_env(env: Mapping[str, str]) -> Exceptions:
    """The exceptions a detection run applies, from ``DETECTION_EXCEPTIONS`` and
    ``NOTE_WRITER_ROLE_ARN``: one reading for the Lambda and ``siem detect run``, so a run from a
    shell stays as quiet on our own notes as the scheduled one."""
    return with_note_writer(from_setting(env.get(EXCEPTIONS_VARIABLE)), env.get(NOTE_WRITER_VARIABLE))


@dataclass(frozen=True, slots=True)
class DetectionSettings:
    logs: ConnectionSettings
    """The logs collection the rules query."""
    alerts: ConnectionSettings
    """The alerts collection (SEARCH) the alerts are written to; often the logs one."""
    run: RunSettings = field(default_factory=RunSettings)
    """Index prefix, alerts index, Dashboards URL for links, windows."""
    topic_arn: str | None = None
    """SNS topic for new alerts; ``None``: no notification."""
    event_bus: str | None = None
    """EventBridge bus (name or ARN) that gets alert and incident events; ``None``: none."""
    state_table: str | None = None
    """DynamoDB table for checkpoints; ``None``: ``<alerts index>-state`` on the alerts collection."""
    accounts_location: str | None = None
    """The accounts directory (``s3://bucket/key`` or a file): its accounts are inside for
    ``outside_account`` (detections.organization); ``None``: only the record's own account is."""
    accounts_ttl: float = DEFAULT_TTL_SECONDS
    """Seconds a process keeps its copy of the directory before reading it again."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DetectionSettings:
        """``OPENSEARCH_ENDPOINT`` (logs collection, required), ``ALERTS_ENDPOINT`` (default: the
        logs collection), ``INDEX_PREFIX`` (default ``siem-``), ``ALERTS_INDEX`` (default
        ``<prefix>alerts``), ``INCIDENTS_INDEX`` (default ``<prefix>incidents``),
        ``ALERT_TOPIC_ARN``, ``EVENT_BUS`` (name or ARN), ``STATE_TABLE``, ``DASHBOARDS_URL``,
        ``DETECTION_EXCEPTIONS`` (a document or a file path; default detections/exceptions.yml),
        ``NOTE_WRITER_ROLE_ARN`` (the Security Hub note writer's role, excepted from the rules
        watching ``BatchUpdateFindings``), ``FILL_BUDGET_SECONDS`` (default 60),
        ``ACCOUNTS_LOCATION`` and ``ACCOUNTS_TTL_SECONDS`` (the accounts directory, read as
        ingest reads it: enrichment.EnrichmentSettings) and the connection's ``OPENSEARCH_AUTH`` (default ``aoss``) and ``AWS_REGION``."""
        env = os.environ if environ is None else environ
        endpoint = env.get("OPENSEARCH_ENDPOINT")
        if not endpoint:
            raise ValueError("OPENSEARCH_ENDPOINT is not set")
        logs = ConnectionSettings.from_env(endpoint, env)
        alerts_endpoint = env.get("ALERTS_ENDPOINT") or endpoint
        prefix = env.get("INDEX_PREFIX") or "siem-"
        directory = EnrichmentSettings.from_env(env)
        return cls(
            logs=logs,
            alerts=ConnectionSettings.from_env(alerts_endpoint, env),
            run=RunSettings(
                prefix=prefix,
                alerts_index=env.get("ALERTS_INDEX") or f"{prefix}alerts",
                incidents_index=env.get("INCIDENTS_INDEX") or f"{prefix}incidents",
                dashboards_url=env.get("DASHBOARDS_URL") or None,
                exceptions=exceptions_from_env(env),
                fill_budget=fill_budget(env.get(FILL_BUDGET_VARIABLE)),
            ),
            topic_arn=env.get("ALERT_TOPIC_ARN") or None,
            event_bus=env.get("EVENT_BUS") or None,
            state_table=env.get("STATE_TABLE") or None,
            accounts_location=directory.accounts_location,
            accounts_ttl=directory.accounts_ttl,
        )
