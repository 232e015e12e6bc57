"""An incident's triage status: what on-call changes (acknowledge, close, reopen) and what a
fold changes (a closed incident that takes a new alert is reopened), recorded on the incident.

Pure: the document is changed in place; :mod:`detections.triage` reads and writes it under the
incidents' lease, :mod:`detections.incidents` calls :func:`reopen_on_alert` while folding.

``incident.status`` is ``open`` (untriaged), ``acknowledged`` (someone is on it: alerts keep
folding in, a message only on escalation), ``closed`` (with ``incident.resolution``) or
``merged`` (folded into another incident: never triaged, :data:`MERGED`). Each change sets
``status_by`` and ``status_updated`` and adds an entry to ``history`` (the latest
:data:`MAX_HISTORY`): ``{at, action, by, note?, resolution?, alert_id?}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from detections.windows import iso

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
CLOSED = "closed"
MERGED = "merged"
"""``incident.status`` of an incident folded into an older one (``incident.merged_into``)."""
MERGING = "merging_into"
"""Set on an incident (still open) while its merge is written (detections/incidents.py)."""
TRIAGE_STATUSES = (OPEN, ACKNOWLEDGED, CLOSED)
"""The statuses on-call sets and ``siem incidents list --status`` filters on."""

Action = Literal["acknowledged", "closed", "reopened"]
Resolution = Literal["true_positive", "false_positive", "benign"]
RESOLUTIONS: tuple[str, ...] = get_args(Resolution)
MAX_HISTORY = 50
"""History entries kept per incident: the latest (an incident reopened and closed 50 times over
keeps its recent story; ``alert_count`` and the alerts index keep the rest)."""
MAX_NOTE = 1000
"""Characters of a note, and of who made the change (``--by``): free text, bounded."""
MAX_BY = 200
FOLD_ACTOR = "detection run"
"""``by`` of a reopening by an alert (the scheduled function's run or ``siem detect run``)."""
REOPENED = "reopened"
"""``incident.reopened``: when an alert last reopened the incident. Until a channel announces
it, the incident is notified as ``reopened`` there (detections/notify.py, eventbus.py)."""

_TARGET: dict[str, str] = {"acknowledged": ACKNOWLEDGED, "closed": CLOSED, "reopened": OPEN}
_FROM: dict[str, tuple[str, ...]] = {
    "acknowledged": (OPEN, ACKNOWLEDGED),
    "closed": (OPEN, ACKNOWLEDGED, CLOSED),
    "reopened": (OPEN, ACKNOWLEDGED, CLOSED),
}


class TriageError(Exception):
    """A status change that cannot be made; the message says why and what to do instead."""


class UnknownIncident(TriageError):
    pass


class MergedIncident(TriageError):
    """The incident was merged into another (``merged_into``): that one is triaged."""


class RefusedTransition(TriageError):
    """Acknowledging a closed incident: reopen it first (it was closed on purpose)."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One change on-call asks for (``siem incidents ack / close / reopen``)."""

    action: Action
    by: str
    note: str | None = None
    resolution: Resolution | None = None

    def __post_init__(self) -> None:
        if (self.action == "closed") != (self.resolution is not None):
            raise ValueError("a resolution is given with close, and only with close")


def change_status(incident: dict[str, Any], change: StatusChange, now: datetime) -> bool:
    """Apply ``change`` to ``incident`` (in place); ``False`` when it is already so (the same
    command run twice: the same status, by the same person, with the same resolution and no
    note; or reopening an open incident): nothing is recorded. Acknowledging an acknowledged
    incident by someone else (a hand-over) or closing a closed one with another resolution is
    recorded.

    Raises :class:`MergedIncident` for a merged incident (or one being merged) and
    :class:`RefusedTransition` to acknowledge a closed one."""
    details = incident["incident"]
    survivor = details.get("merged_into") or details.get(MERGING)
    if details["status"] == MERGED or survivor:
        raise MergedIncident(
            f"incident {details['id']} was merged into {survivor}: triage {survivor} instead"
        )
    current = details["status"]
    if current not in _FROM[change.action]:
        raise RefusedTransition(
            f"incident {details['id']} is {current} ({details.get('resolution')}): "
            "reopen it first, or close it with another resolution"
        )
    target = _TARGET[change.action]
    if current == target and (target == OPEN or _repeated(details, change)):
        return False
    _record(incident, change.action, _bounded(change.by, MAX_BY), now, change.note, change.resolution)
    return True


def _repeated(details: dict[str, Any], change: StatusChange) -> bool:
    same = details.get("status_by") == _bounded(change.by, MAX_BY)
    return same and details.get("resolution") == change.resolution and not change.note


def reopen_on_alert(incident: dict[str, Any], alert_id: str | None, now: datetime) -> None:
    """A closed incident took a new alert: open again, whatever its resolution, and announced
    as reopened on each channel (their records cleared; ``incident.reopened`` set)."""
    details = incident["incident"]
    _record(incident, "reopened", FOLD_ACTOR, now, None, None, alert_id)
    details[REOPENED] = iso(now)
    details["notified_severity"] = details["published_severity"] = None


def _record(
    incident: dict[str, Any],
    action: Action,
    by: str,
    now: datetime,
    note: str | None,
    resolution: Resolution | None,
    alert_id: str | None = None,
) -> None:
    details = incident["incident"]
    entry: dict[str, Any] = {"at": iso(now), "action": action, "by": by}
    if note:
        entry["note"] = _bounded(note, MAX_NOTE)
    if resolution:
        entry["resolution"] = resolution
    if alert_id:
        entry["alert_id"] = alert_id
    details["status"] = _TARGET[action]
    details["resolution"] = resolution
    details["status_by"], details["status_updated"] = by, iso(now)
    details["history"] = [*details.get("history", []), entry][-MAX_HISTORY:]


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_text(details: dict[str, Any]) -> str:
    """``closed (false_positive) by NAME at TIME``; ``open`` for one never triaged."""
    text = str(details["status"])
    if details.get("resolution"):
        text += f" ({details['resolution']})"
    if details.get("status_by"):
        text += f" by {details['status_by']} at {details.get('status_updated')}"
    return text


def last_closure(incident: dict[str, Any]) -> dict[str, Any] | None:
    """The latest ``closed`` entry of the history (what a reopening message recalls)."""
    closed = [entry for entry in incident["incident"].get("history", []) if entry["action"] == "closed"]
    return closed[-1] if closed else None
