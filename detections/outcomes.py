"""Which outcomes of a call a rule alerts on: the rule-level ``outcomes`` setting.

A rule that reports a change alerts on the change made (``outcomes: [success]``: the same
documents as a ``NOT event.outcome:failure`` of its own at the top of its query, which
tests/detections/test_outcomes.py refuses so that one requirement has one spelling; a rule
requiring success in one branch of its query only keeps the clause there): a denied change
changed nothing, and denials are counted by siem-access-denied-burst. A rule that turns off a
log or a security service (a trail stopped, a key disabled, a detector deleted) alerts on the
attempt a policy refused too (``outcomes: [success, denied]``): a refused StopLogging is
someone holding credentials that try what they should not, often all an attacker's try leaves
where an organization guardrail denies it. A call that failed for any other reason (no such
trail, a conflict, a bad parameter) changed nothing and probed no privilege: it raises nothing.
Without the setting a rule reads every outcome (a rule about failed calls, such as a burst of
denials or failed sign-ins, says which in its query).

What is a denial is one list, :data:`normalizers.cloudtrail.tables.DENIAL_ERROR_CODES`
(``aws.cloudtrail.error_code``); a success is a document whose ``event.outcome`` is not
``failure`` (the normalizer's: no ``errorCode``, no sign-in ``Failure``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from normalizers.cloudtrail.tables import DENIAL_ERROR_CODES

OUTCOMES: tuple[str, ...] = ("success", "denied")
"""The values ``outcomes`` takes, in the order a rule's list is kept."""
OUTCOME_FIELD = "event.outcome"
ERROR_FIELD = "aws.cloudtrail.error_code"

SUCCEEDED: dict[str, Any] = {"bool": {"must_not": [{"term": {OUTCOME_FIELD: "failure"}}]}}
DENIED: dict[str, Any] = {"terms": {ERROR_FIELD: list(DENIAL_ERROR_CODES)}}
SUCCEEDED_LUCENE = f"NOT {OUTCOME_FIELD}:failure"
DENIED_LUCENE = f"{ERROR_FIELD}:({' OR '.join(DENIAL_ERROR_CODES)})"
_CLAUSES = {"success": SUCCEEDED, "denied": DENIED}


def parse_outcomes(value: Any) -> tuple[str, ...]:
    """A rule's ``outcomes`` (absent: ``()``, every outcome) -> its values in :data:`OUTCOMES`'
    order; raises ValueError on anything else."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or any(item not in OUTCOMES for item in items):
        raise ValueError(f"outcomes is a non-empty list of {list(OUTCOMES)}, not {value!r}")
    return tuple(outcome for outcome in OUTCOMES if outcome in items)


def outcome_clause(outcomes: Iterable[str]) -> dict[str, Any] | None:
    """The query clause a document's outcome must meet (None: any outcome)."""
    clauses = [_CLAUSES[outcome] for outcome in outcomes]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def with_outcomes(clause: dict[str, Any], outcomes: Iterable[str]) -> dict[str, Any]:
    """``clause``, on the documents of these outcomes only."""
    required = outcome_clause(outcomes)
    return clause if required is None else {"bool": {"filter": [clause, required]}}


def with_outcomes_lucene(query: str, outcomes: Iterable[str]) -> str:
    """The Lucene ``query``, on the documents of these outcomes only (for a person to read
    and paste: what :func:`with_outcomes` runs). Success or denial is written as "not a
    failure other than a denial": Lucene reads ``NOT a OR b`` as ``NOT a`` with ``b`` optional."""
    chosen = set(outcomes)
    if not chosen:
        return query
    if chosen == {"success", "denied"}:
        required = f"NOT ({OUTCOME_FIELD}:failure AND NOT {DENIED_LUCENE})"
    else:
        required = SUCCEEDED_LUCENE if "success" in chosen else DENIED_LUCENE
    return required if query.strip() in ("", "*") else f"({query}) AND {required}"
