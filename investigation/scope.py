"""The investigation's scope: the one definition of which CloudTrail events a report is about.

A :class:`Scope` is a time window and a disjunction of clauses (each clause a conjunction of
``terms``). The report's scope search and its Dashboards link are both built from the same
``Scope`` (:meth:`Scope.query` and :meth:`Scope.lucene`), so the CLI report, its JSON and the
"Finding investigation" dashboard show the same events (docs/investigate.md, "Scope").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from investigation import fields as f
from investigation.chain import Link
from investigation.dashboards import lucene_any
from investigation.documents import values
from normalizers.cloudtrail.network_activity import without_copies, without_copies_lucene

MAX_VALUES = 100
"""Values per clause; the rest are left out of the search and of the link alike."""


@dataclass(frozen=True, slots=True)
class Terms:
    """``field`` holds any of ``values``."""

    field: str
    values: tuple[str, ...]

    def query(self) -> dict[str, Any]:
        return {"terms": {self.field: list(self.values)}}

    def lucene(self) -> str:
        return lucene_any(self.field, self.values, limit=None) or ""

    def matches(self, document: Mapping[str, Any]) -> bool:
        wanted = set(self.values)
        return any(str(value) in wanted for value in values(document, self.field))


Clause = tuple[Terms, ...]
"""Every ``Terms`` of a clause holds (a conjunction)."""


def terms(field: str, candidates: Iterable[str]) -> Terms | None:
    """A ``Terms`` on the distinct non-empty ``candidates`` (bounded), or ``None`` if none."""
    kept = tuple(dict.fromkeys(value for value in candidates if value))[:MAX_VALUES]
    return Terms(field, kept) if kept else None


@dataclass(frozen=True, slots=True)
class Scope:
    start: str
    end: str
    clauses: tuple[Clause, ...]
    """Any clause holds (a disjunction); no clause means no event."""
    network_activity_copies: bool = False
    """Whether the scope holds the network activity copies of calls made through a VPC
    endpoint; by default each call is counted and listed once, on its own event, and an
    endpoint's denials stay (normalizers/cloudtrail/network_activity.py)."""

    @property
    def empty(self) -> bool:
        return not self.clauses

    def query(self) -> dict[str, Any]:
        """The OpenSearch query: the window and any clause."""
        return {"bool": {"filter": [self.match(), self.time_range()]}}

    def match(self) -> dict[str, Any]:
        """The clauses alone, without the window."""
        if not self.clauses:
            return {"bool": {"must_not": [{"match_all": {}}]}}
        should = [_clause_query(clause) for clause in self.clauses]
        match = should[0] if len(should) == 1 else {"bool": {"should": should, "minimum_should_match": 1}}
        return match if self.network_activity_copies else without_copies(match)

    def time_range(self) -> dict[str, Any]:
        bounds = {"gte": self.start, "lte": self.end, "format": "strict_date_optional_time"}
        return {"range": {f.TIMESTAMP: bounds}}

    def lucene(self) -> str:
        """The same clauses as a Lucene query (the Dashboards query bar; the window is the
        dashboard's time range)."""
        if not self.clauses:
            return "NOT *"
        parts = [_clause_lucene(clause) for clause in self.clauses]
        lucene = parts[0] if len(parts) == 1 else " OR ".join(f"({part})" for part in parts)
        return lucene if self.network_activity_copies else without_copies_lucene(lucene)

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end, "lucene": self.lucene(), "query": self.match()}


def scope(start: str, end: str, clauses: Iterable[Clause], network_activity_copies: bool = False) -> Scope:
    """A scope on ``clauses``, single-field clauses on one field merged into one."""
    merged: dict[str, list[str]] = {}
    others: list[Clause] = []
    for clause in clauses:
        if not clause:
            continue
        if len(clause) == 1:
            merged.setdefault(clause[0].field, []).extend(clause[0].values)
        elif clause not in others:
            others.append(clause)
    singles = [(term,) for name, found in merged.items() if (term := terms(name, found))]
    return Scope(start, end, tuple(singles + others), network_activity_copies)


def hop_clause(link: Link) -> Clause:
    """The CloudTrail events one identity of the chain made: with its access key when it has one
    (that credential only), else by its principal id (a console sign-in names no key)."""
    by_key = terms(f.IDENTITY_ACCESS_KEY, [link.access_key_id or ""])
    if by_key:
        return (by_key,)
    by_principal = terms(f.IDENTITY_PRINCIPAL, [link.principal_id or ""])
    return (by_principal,) if by_principal else ()


def _clause_query(clause: Clause) -> dict[str, Any]:
    if len(clause) == 1:
        return clause[0].query()
    return {"bool": {"filter": [term.query() for term in clause]}}


def _clause_lucene(clause: Clause) -> str:
    return " AND ".join(term.lucene() for term in clause)
