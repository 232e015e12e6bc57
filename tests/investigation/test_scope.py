"""One scope, two forms (issue 16.8): the OpenSearch query and the Lucene of the Dashboards link
name the same values, however many."""

from __future__ import annotations

from investigation.chain import Link
from investigation.scope import MAX_VALUES, Terms, hop_clause, scope
from normalizers.cloudtrail.network_activity import COPY_OF_A_CALL, COPY_OF_A_CALL_LUCENE

KEY = "aws.cloudtrail.user_identity.access_key_id"


def test_single_field_clauses_merge_and_keep_every_value_in_both_forms() -> None:
    keys = [f"ASIA{n:016d}" for n in range(40)]
    clauses = [(Terms(KEY, (k,)),) for k in keys]
    built = scope(
        "2026-03-14T08:00:00.000Z", "2026-03-14T10:00:00.000Z", clauses, network_activity_copies=True
    )
    assert built.query()["bool"]["filter"][0] == {"terms": {KEY: keys}}
    lucene = built.lucene()
    assert lucene == f"{KEY}:(" + " OR ".join(f'"{k}"' for k in keys) + ")"


def test_values_are_bounded_the_same_way_in_both_forms() -> None:
    keys = [f"ASIA{n:016d}" for n in range(MAX_VALUES + 5)]
    built = scope("a", "b", [(Terms(KEY, tuple(keys)),)], network_activity_copies=True)
    kept = built.query()["bool"]["filter"][0]["terms"][KEY]
    assert kept == keys[:MAX_VALUES]
    assert all(f'"{k}"' in built.lucene() for k in kept) and f'"{keys[-1]}"' not in built.lucene()


def test_a_conjunction_stays_one_clause() -> None:
    root = (
        Terms("aws.cloudtrail.user_identity.type", ("Root",)),
        Terms("cloud.account.id", ("111111111111",)),
    )
    key = (Terms(KEY, ("AKIAEXAMPLE",)),)
    built = scope("a", "b", [root, key], network_activity_copies=True)
    assert built.lucene() == (
        f'({KEY}:("AKIAEXAMPLE")) OR '
        '(aws.cloudtrail.user_identity.type:("Root") AND cloud.account.id:("111111111111"))'
    )
    should = built.match()["bool"]["should"]
    assert {"bool": {"filter": [t.query() for t in root]}} in should


def test_a_hop_is_its_key_else_its_principal_else_nothing() -> None:
    with_key = Link("arn:aws:sts::1:assumed-role/r/s", "AssumedRole", "1", "ASIAKEY", "AROA:s")
    console = Link("arn:aws:iam::1:root", "Root", "1", None, "111111111111")
    service = Link(None, "AWSService", None, None, name="ec2.amazonaws.com")
    assert hop_clause(with_key) == (Terms(KEY, ("ASIAKEY",)),)
    assert hop_clause(console) == (Terms("user.id", ("111111111111",)),)
    assert hop_clause(service) == ()
    assert scope("a", "b", [hop_clause(service)]).empty


def test_both_forms_leave_out_the_network_activity_copies_unless_asked() -> None:
    clauses = [(Terms(KEY, ("ASIAKEY",)),)]
    with_copies = scope("a", "b", clauses, network_activity_copies=True)
    calls = scope("a", "b", clauses)
    assert calls.match() == {"bool": {"filter": [with_copies.match()], "must_not": [COPY_OF_A_CALL]}}
    assert calls.query()["bool"]["filter"][0] == calls.match()
    assert calls.lucene() == f"({with_copies.lucene()}) AND NOT ({COPY_OF_A_CALL_LUCENE})"
    assert scope("a", "b", []).lucene() == "NOT *"
