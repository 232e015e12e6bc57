"""Demo data: one coherent incident across four AWS log sources, and volume generators.

``write_incident(directory, seed)`` writes raw objects exactly as AWS delivers them to S3
and returns the :class:`Incident` ground truth; :mod:`demo.synthetic` makes volume data
for tests and benchmarks.
"""

from demo.incident import write_incident
from demo.records.cloudtrail import RoleSession
from demo.truth import AttackEvent, DemoObject, ExpectedDeadLetter, FindingTruth, Incident

__all__ = [
    "AttackEvent",
    "DemoObject",
    "ExpectedDeadLetter",
    "FindingTruth",
    "Incident",
    "RoleSession",
    "write_incident",
]
