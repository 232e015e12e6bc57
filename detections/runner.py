"""One detection run: every rule over its window, alerts created once, every alert notified.

First the alerts an earlier run created but did not notify (``alert.notified: false``: a
publish that failed, a create that timed out after being applied, a run cut off mid-loop)
are published. Then per rule: window (detections.windows) -> matches (detections.matching)
-> alert ids -> summaries for the ids not yet in the alerts index -> ``create`` with
``notified: false`` -> publish each 201 and set ``notified: true`` -> checkpoint. A failed
publish is reported and left for the next run; it stops neither the loop nor the checkpoint.
A rule that fails (bad query, engine error, alert write error) is reported and keeps its
checkpoint, so its window is queried again next run; the other rules go on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections import alerts as alert_store
from detections.checkpoints import CheckpointStore
from detections.exceptions import NO_EXCEPTIONS, Exceptions
from detections.matching import Matches, Sources, find_matches
from detections.new_terms import TermsStore
from detections.notify import Notifier
from detections.rules import Rule
from detections.summary import summarize
from detections.windows import Checkpoint, Window, iso, next_window

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunSettings:
    prefix: str = "siem-"
    alerts_index: str = "siem-alerts"
    lag: timedelta = timedelta(minutes=2)
    """Not queried yet: the newest documents may not be searchable (Serverless: up to ~60 s)."""
    overlap: timedelta = timedelta(minutes=15)
    """Re-queried every run: covers ingest invocations that stamp ``event.ingested`` at their
    start and finish writing up to the Lambda timeout later (docs/detections.md)."""
    first_lookback: timedelta = timedelta(hours=1)
    """Window of a rule's first run (no checkpoint yet)."""
    max_lookback: timedelta = timedelta(days=1)
    """A checkpoint older than this (detections were off) is not caught up further back."""
    dashboards_url: str | None = None
    investigate_findings: bool = True
    pending_limit: int = 100
    """Alerts left unnotified by earlier runs that one run publishes (oldest first)."""
    exceptions: Exceptions = NO_EXCEPTIONS
    """Accepted activity left out of the rules' queries (detections.exceptions)."""


@dataclass(slots=True)
class RuleOutcome:
    rule_id: str
    window_start: str = ""
    window_end: str = ""
    hits: int = 0
    """Documents read (events; for aggregating rule types, the alerts' sample events)."""
    searches: int = 0
    buckets: int = 0
    """Aggregation buckets read (threshold, new_terms and sequence rules)."""
    matches: int = 0
    created: int = 0
    duplicates: int = 0
    notified: int = 0
    notify_errors: list[str] = field(default_factory=list)
    resumed: bool = False
    """The window continued one that the hit budget cut short in an earlier run."""
    truncated: bool = False
    """The hit budget cut this window short: the next run resumes it."""
    capped: bool = False
    error: str | None = None


@dataclass(slots=True)
class RunReport:
    now: str
    outcomes: list[RuleOutcome] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """The alerts created by this run."""
    renotified: int = 0
    """Alerts of earlier runs published by this one."""
    pending_errors: list[str] = field(default_factory=list)
    """Failures while publishing earlier runs' alerts (they stay pending)."""

    @property
    def errors(self) -> list[RuleOutcome]:
        return [outcome for outcome in self.outcomes if outcome.error]

    @property
    def notify_errors(self) -> list[str]:
        return [
            *self.pending_errors,
            *(error for outcome in self.outcomes for error in outcome.notify_errors),
        ]

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.notify_errors)

    @property
    def created(self) -> int:
        return sum(outcome.created for outcome in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "rules": len(self.outcomes),
            "created": self.created,
            "duplicates": sum(outcome.duplicates for outcome in self.outcomes),
            "notified": sum(outcome.notified for outcome in self.outcomes),
            "renotified": self.renotified,
            "errors": [{"rule_id": o.rule_id, "error": o.error} for o in self.errors],
            "notify_errors": self.notify_errors,
            "outcomes": [asdict(outcome) for outcome in self.outcomes],
            "alerts": [
                {
                    "id": a["alert"]["id"],
                    "rule": a["rule"]["id"],
                    "severity": a["alert"]["severity"],
                    "summary": a["alert"].get("summary"),
                }
                for a in self.alerts
            ],
        }


def run(
    logs: OpenSearch,
    alerts: OpenSearch,
    rules: Sequence[Rule],
    now: datetime,
    checkpoints: CheckpointStore,
    notifier: Notifier | None = None,
    settings: RunSettings | None = None,
) -> RunReport:
    settings = settings or RunSettings()
    report = RunReport(iso(now))
    if notifier is not None:
        _notify_pending(alerts, notifier, settings, report)
    for rule in rules:
        outcome = RuleOutcome(rule.id)
        report.outcomes.append(outcome)
        try:
            _run_rule(logs, alerts, rule, now, checkpoints, notifier, settings, outcome, report)
        except Exception as error:  # one broken rule (bad query, engine error) must not stop the others
            outcome.error = f"{type(error).__name__}: {error}"
            LOGGER.warning("rule %s failed: %s", rule.id, outcome.error)
    return report


def rule_window(rule: Rule, now: datetime, checkpoint: Checkpoint | None, settings: RunSettings) -> Window:
    # ``is None``, not ``or``: an explicit ``lag: 0s`` / ``overlap: 0s`` is a choice, not a default.
    lag = settings.lag if rule.lag is None else rule.lag
    overlap = settings.overlap if rule.overlap is None else rule.overlap
    return next_window(
        checkpoint,
        now,
        lag=lag,
        overlap=overlap,
        first_lookback=settings.first_lookback,
        max_lookback=settings.max_lookback,
    )


def _run_rule(
    logs: OpenSearch,
    alerts: OpenSearch,
    rule: Rule,
    now: datetime,
    checkpoints: CheckpointStore,
    notifier: Notifier | None,
    settings: RunSettings,
    outcome: RuleOutcome,
    report: RunReport,
) -> None:
    window = rule_window(rule, now, checkpoints.get(rule.id), settings)
    outcome.window_start, outcome.window_end, outcome.capped = (
        iso(window.start),
        iso(window.end),
        window.capped,
    )
    outcome.resumed = window.resume_after is not None
    terms = TermsStore(alerts, f"{settings.alerts_index}-terms")
    found = find_matches(logs, settings.exceptions.apply(rule), Sources(settings.prefix), window, terms)
    outcome.hits, outcome.matches, outcome.truncated = found.hits, len(found.matches), found.truncated
    outcome.searches, outcome.buckets = found.cost.searches, found.cost.buckets
    new_alerts = _new_alerts(logs, alerts, rule, found, window, now, settings, notify=notifier is not None)
    written = alert_store.create_alerts(alerts, settings.alerts_index, new_alerts)
    outcome.created, outcome.duplicates = len(written.created), written.duplicates
    outcome.duplicates += len(found.matches) - len(new_alerts)
    report.alerts.extend(written.created)
    if notifier is not None:
        outcome.notified, outcome.notify_errors = _notify(alerts, notifier, written.created, settings)
    if written.errors:
        # Keep the checkpoint: the next run queries this window again and recreates what failed.
        outcome.error = "; ".join(written.errors)
        return
    if found.commit is not None:  # a new-terms rule's state, once its alerts are stored
        found.commit()
    # Unpublished alerts need no re-query: they stay ``notified: false`` for the next run.
    checkpoints.put(rule.id, Checkpoint(window.end, found.resume_after))


def _new_alerts(
    logs: OpenSearch,
    alerts: OpenSearch,
    rule: Rule,
    found: Matches,
    window: Window,
    now: datetime,
    settings: RunSettings,
    notify: bool,
) -> list[dict[str, Any]]:
    """Alert documents for the matches whose id is not in the alerts index yet.

    The look-up only saves work (summaries, investigations): ``create`` is what guarantees
    that an alert is raised once.
    """
    ids = {alert_store.alert_id(rule, match): match for match in found.matches}
    known = alert_store.existing_ids(alerts, settings.alerts_index, ids)
    out = []
    for identifier, match in ids.items():
        if identifier in known:
            continue
        client = logs if settings.investigate_findings else None
        summary = summarize(
            client,
            rule.index,
            match.documents,
            match.count,
            match.first_seen,
            match.last_seen,
            settings.prefix,
        )
        out.append(
            alert_store.build_alert(
                rule, match, window, now, summary, settings.dashboards_url, notified=False if notify else None
            )
        )
    return out


def _notify_pending(alerts: OpenSearch, notifier: Notifier, settings: RunSettings, report: RunReport) -> None:
    """Publish the alerts earlier runs created but did not notify."""
    try:
        pending = alert_store.pending_notifications(alerts, settings.alerts_index, settings.pending_limit)
    except Exception as error:  # the rules still run; the pending alerts wait for the next run
        report.pending_errors.append(f"pending notifications: {type(error).__name__}: {error}")
        return
    report.renotified, errors = _notify(alerts, notifier, pending, settings)
    report.pending_errors.extend(errors)


def _notify(
    alerts: OpenSearch, notifier: Notifier, created: list[dict[str, Any]], settings: RunSettings
) -> tuple[int, list[str]]:
    """Publish each alert, then mark it notified; return (published, errors).

    A failure is recorded and the loop goes on: the alert stays ``notified: false`` and the
    next run publishes it (at least once: a mark that fails after a publish repeats it).
    """
    published, errors = 0, []
    for alert in created:
        identifier = alert["alert"]["id"]
        try:
            notifier.notify(alert)
            published += 1
            alert_store.mark_notified(alerts, settings.alerts_index, identifier)
        except Exception as error:  # SNS or the alerts collection down: the next run retries
            errors.append(f"notify {identifier}: {type(error).__name__}: {error}")
            LOGGER.warning("alert %s not marked notified: %s", identifier, errors[-1])
    return published, errors
