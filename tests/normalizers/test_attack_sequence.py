"""Attack sequences (docs/schema.md, "Attack sequences") beyond the golden cases
``guardduty/attack-sequence`` and ``securityhub/attack-sequence``: the API (CLI) spelling,
bounds, malformed parts, and the equality of the native finding and its ASFF import.

Shapes from botocore's ``guardduty`` and ``securityhub`` service models (``Sequence``).
"""

from __future__ import annotations

import io
import json
from typing import Any

from normalizers import DeadLetter, Origin
from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.ecs.sequence import MAX_ITEMS, finding_ids, sequence_of
from normalizers.guardduty.normalize import normalize as guardduty
from normalizers.securityhub.normalize import normalize as securityhub
from tests.conftest import GOLDEN

ORIGIN = Origin("s3://bucket/exports/x.jsonl", "2026-01-01T00:00:00Z")


def _guardduty(sequence: Any, **extra: Any) -> dict[str, Any]:
    finding = {
        "schemaVersion": "2.0",
        "accountId": "111122223333",
        "region": "us-east-1",
        "id": "f1",
        "type": "AttackSequence:IAM/CompromisedCredentials",
        "severity": 9,
        "updatedAt": "2026-03-02T10:00:00Z",
        "resource": {"resourceType": "AttackSequence"},
        "service": {"detection": {"sequence": sequence}},
        **extra,
    }
    (document,) = list(guardduty(io.BufferedReader(io.BytesIO(json.dumps(finding).encode())), ORIGIN))
    assert not isinstance(document, DeadLetter), document
    return document


def test_the_api_spelling_gives_the_exported_one() -> None:
    """``aws guardduty get-findings`` prints PascalCase members (``Service.Detection.Sequence``)."""
    exported = _guardduty(
        {
            "uid": "s1",
            "actors": [
                {
                    "id": "a1",
                    "user": {
                        "name": "bob",
                        "uid": "AIDAEXAMPLEBOB000001",
                        "credentialUid": "AKIAEXAMPLEBOB000001",
                    },
                    "session": {"issuer": "arn:aws:iam::111122223333:user/bob"},
                }
            ],
            "endpoints": [{"id": "e1", "ip": "192.0.2.9"}],
            "signals": [{"uid": "x", "type": "FINDING", "description": "d", "count": 2}],
        }
    )
    api = {
        "AccountId": "111122223333",
        "Arn": "arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1",
        "Id": "f1",
        "Region": "us-east-1",
        "SchemaVersion": "2.0",
        "Type": "AttackSequence:IAM/CompromisedCredentials",
        "Severity": 9,
        "UpdatedAt": "2026-03-02T10:00:00Z",
        "Resource": {"ResourceType": "AttackSequence"},
        "Service": {
            "Detection": {
                "Sequence": {
                    "Uid": "s1",
                    "Actors": [
                        {
                            "Id": "a1",
                            "User": {
                                "Name": "bob",
                                "Uid": "AIDAEXAMPLEBOB000001",
                                "CredentialUid": "AKIAEXAMPLEBOB000001",
                            },
                            "Session": {"Issuer": "arn:aws:iam::111122223333:user/bob"},
                        }
                    ],
                    "Endpoints": [{"Id": "e1", "Ip": "192.0.2.9"}],
                    "Signals": [{"Uid": "x", "Type": "FINDING", "Description": "d", "Count": 2}],
                }
            }
        },
    }
    (document,) = list(
        guardduty(io.BufferedReader(io.BytesIO(json.dumps({"Findings": [api]}).encode())), ORIGIN)
    )
    assert not isinstance(document, DeadLetter), document
    assert document["aws"]["guardduty"]["sequence"] == exported["aws"]["guardduty"]["sequence"]
    assert (
        document["related"]
        == exported["related"]
        == {
            "ip": ["192.0.2.9"],
            "user": [
                "bob",
                "AIDAEXAMPLEBOB000001",
                "AKIAEXAMPLEBOB000001",
                "arn:aws:iam::111122223333:user/bob",
            ],
        }
    )


def test_actors_past_the_summary_are_pivots_up_to_the_list_limit() -> None:
    """The summary keeps MAX_ITEMS actors; ``related.user`` the first LIST_LIMIT distinct
    identifiers of the actors, however many (1,000 actors of two identifiers each)."""
    actors = [{"id": f"a{n}", "user": {"name": f"user{n}"}} for n in range(MAX_ITEMS + 10)]
    signals = [{"uid": f"s{n}", "type": "CLOUD_TRAIL", "name": "ListBuckets"} for n in range(MAX_ITEMS + 10)]
    document = _guardduty({"actors": actors, "signals": signals})
    summary = document["aws"]["guardduty"]["sequence"]
    assert len(summary["actors"]) == len(summary["signals"]) == MAX_ITEMS
    assert document["related"]["user"] == [f"user{n}" for n in range(MAX_ITEMS + 10)]
    actors = [
        {"id": f"a{n}", "user": {"name": f"user{n}", "credentialUid": f"AKIAEXAMPLE{n:09d}"}}
        for n in range(1000)
    ]
    identifiers = [value for n in range(LIST_LIMIT) for value in (f"user{n}", f"AKIAEXAMPLE{n:09d}")]
    assert _guardduty({"actors": actors})["related"]["user"] == identifiers[:LIST_LIMIT]


def test_malformed_parts_are_left_out_never_the_finding() -> None:
    document = _guardduty(
        {
            "actors": ["not an actor", {"user": "not a user", "session": 5}, {"user": {"name": "root"}}],
            "endpoints": {"ip": "192.0.2.1"},
            "resources": [{"uid": 7, "resourceType": "EC2_INSTANCE", "data": "x"}],
            "signals": [
                {"uid": "s1", "count": -1, "severity": True, "firstSeenAt": "yesterday"},
                {"uid": "s2", "count": True, "severity": 101, "lastSeenAt": 10**20},
            ],
        }
    )
    assert document["aws"]["guardduty"]["sequence"]["signals"] == [{"uid": "s1"}, {"uid": "s2"}]
    assert "related" not in document  # the root user's name is never a pivot
    for sequence in ("a string", ["a list"], None):
        assert "sequence" not in _guardduty(sequence)["aws"]["guardduty"]


def test_times_in_seconds_milliseconds_or_iso_are_dates() -> None:
    summary = sequence_of(
        {
            "Signals": [
                {"Id": "ms", "FirstSeenAt": 1772528400000, "LastSeenAt": 1772528400123},
                {"uid": "s", "firstSeenAt": 1772528400, "lastSeenAt": "2026-03-03T10:00:00+01:00"},
            ]
        }
    ).block
    assert [(s["first_seen"], s["last_seen"]) for s in summary["signals"]] == [
        ("2026-03-03T09:00:00Z", "2026-03-03T09:00:00.123Z"),
        ("2026-03-03T09:00:00Z", "2026-03-03T09:00:00Z"),
    ]


def test_finding_signals_name_the_findings_they_stand_for() -> None:
    block = sequence_of(
        {
            "Signals": [
                {"Type": "FINDING", "Id": "arn:aws:guardduty:us-east-1:1:detector/d/finding/f2"},
                {"Type": "CLOUD_TRAIL", "Id": "event-1"},
                {"Type": "FINDING"},
            ]
        }
    ).block
    assert finding_ids(block) == ["arn:aws:guardduty:us-east-1:1:detector/d/finding/f2"]


def test_the_import_gives_the_native_pivots_and_summary() -> None:
    """The golden pair: a GuardDuty attack sequence and its Security Hub import agree on every
    pivot the sequence gives and on the summary's actors and signals."""
    (native,) = json.loads((GOLDEN / "guardduty/attack-sequence/expected.json").read_text())
    with (GOLDEN / "securityhub/attack-sequence/input.json").open("rb") as handle:
        (imported,) = list(securityhub(io.BufferedReader(handle), ORIGIN))
    assert not isinstance(imported, DeadLetter)
    ours, theirs = native["aws"]["guardduty"]["sequence"], imported["aws"]["securityhub_findings"]["sequence"]
    assert theirs["actors"] == ours["actors"][:2]
    assert theirs["signals"] == ours["signals"][:3]
    assert set(imported["related"]["user"]) <= set(native["related"]["user"])
    assert set(imported["related"]["ip"]) <= set(native["related"]["ip"])
    assert imported["aws"]["s3"] == native["aws"]["s3"]
