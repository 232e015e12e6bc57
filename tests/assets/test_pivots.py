"""Each saved search of the investigation's pivots returns the documents the investigation's
own search returns for the same value (investigation/queries.py, the bodies ``siem
investigate`` sends), on the goldens and the assets' fixtures indexed together.

The investigation bounds its CloudTrail searches by the finding's window; here the window
holds every document, so the comparison is on the query alone (the time picker bounds a
saved search the same way). The fixture cases of each search are in test_queries.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from opensearchpy import OpenSearch

from investigation import fields as f
from investigation import queries
from investigation.chain import ISSUING_ACTIONS
from investigation.finding import Finding, JoinKeys
from opensearch_assets import catalogue
from opensearch_assets.catalogue import Search, index_pattern_title
from opensearch_assets.execute import query_clause
from opensearch_assets.templates import install_templates
from tests.assets import fixtures as fx
from tests.assets.indexing import PREFIX, golden_documents, index_documents

pytestmark = pytest.mark.integration

START, END = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
CLOUDTRAIL = f.index_names(PREFIX)["cloudtrail"]
FINDINGS = f"{f.index_names(PREFIX)['guardduty']},{f.index_names(PREFIX)['securityhub']}"
NO_FINDING = Finding(
    id="fixture-no-such-finding",
    source="guardduty",
    kind=None,
    title=None,
    type=None,
    severity=None,
    severity_label=None,
    account_id=None,
    region=None,
    first_observed=START.isoformat(),
    last_observed=END.isoformat(),
    updated=None,
)
"""The finding a related-findings search excludes: none of the indexed ones."""
ACCOUNT_CLAUSE = f'aws.cloudtrail.user_identity.account_id:"{fx.ACCOUNT}"'


def _principal(value: str) -> JoinKeys:
    return JoinKeys(arns=(value,)) if value.startswith("arn:") else JoinKeys(principal_ids=(value,))


def _resource(value: str) -> JoinKeys:
    return JoinKeys(resource_arns=(value,)) if value.startswith("arn:") else JoinKeys(resource_ids=(value,))


def _subject(mode: queries.Mode, keys: JoinKeys) -> dict[str, Any]:
    subject = queries.subject_filter(mode, keys)
    assert subject is not None
    return subject


def _changes(value: str) -> dict[str, Any]:
    """The investigation's changes: its activity search narrowed to its ``writes`` filter."""
    body = queries.activity(_subject("resource", _resource(value)), START, END)
    return {"bool": {"filter": [body["query"], body["aggs"]["writes"]["filter"]]}}


def _related(users: list[str], ips: list[str], resources: list[str]) -> dict[str, Any]:
    query: dict[str, Any] = queries.related_findings(NO_FINDING, users, ips, resources)["query"]
    return query


Investigation = Callable[[str], dict[str, Any]]
# (saved search, values, the index the investigation searches, its query for one value,
#  a clause the investigation adds that a one-value search leaves to the analyst)
PIVOT_CASES: list[tuple[Search, tuple[str, ...], str, Investigation, str | None]] = [
    (
        catalogue.FINDING_BY_ID,
        (
            "gd-fixture-high",
            f"arn:aws:guardduty:us-east-1:{fx.ACCOUNT}:detector/fixture0detector/finding/gd-fixture-critical",
            "sh-fixture-passed",
        ),
        FINDINGS,
        lambda value: queries.load_finding(value)["query"],
        None,
    ),
    (
        catalogue.ACCESS_KEY_ACTIVITY,
        (fx.MALLORY_KEY, fx.CHAIN_KEY, fx.ALICE_KEY),
        CLOUDTRAIL,
        lambda value: _subject("credential", JoinKeys(access_key_ids=(value,))),
        None,
    ),
    (
        catalogue.PRINCIPAL_ACTIVITY,
        (
            "AROAFIXTUREADMINROLE:fixture-mallory-session",
            f"arn:aws:iam::{fx.ACCOUNT}:user/fixture-alice",
            "AIDAFIXTUREFIXTURE-M",
        ),
        CLOUDTRAIL,
        lambda value: _subject("credential", _principal(value)),
        None,
    ),
    (
        catalogue.USER_NAME_ACTIVITY,
        ("fixture-alice", "fixture-dave@example.com", "fixture-mallory-session"),
        CLOUDTRAIL,
        lambda value: _subject("credential", JoinKeys(user_names=(value,), account_ids=(fx.ACCOUNT,))),
        ACCOUNT_CLAUSE,
    ),
    (
        catalogue.KEY_ISSUANCE,
        (fx.CHAIN_KEY,),
        CLOUDTRAIL,
        lambda value: queries.issuing_events([value], START, END)["query"],
        None,
    ),
    (
        catalogue.SOURCE_IP_ACTIVITY,
        (fx.ATTACKER_IP, fx.CLIENT_IP),
        CLOUDTRAIL,
        lambda value: _subject("ip", JoinKeys(ips=(value,))),
        None,
    ),
    (
        catalogue.RESOURCE_CHANGES,
        (fx.SECURITY_GROUP, fx.TRAIL_ARN, "fixture-trail", "fixture-alice"),
        CLOUDTRAIL,
        _changes,
        None,
    ),
    (
        catalogue.FINDINGS_BY_IDENTITY,
        (fx.MALLORY_KEY, fx.EVE_KEY, "fixture-mallory"),
        FINDINGS,
        lambda value: _related([value], [], []),
        None,
    ),
    (catalogue.FINDINGS_BY_IP, (fx.ATTACKER_IP,), FINDINGS, lambda value: _related([], [value], []), None),
    (
        catalogue.FINDINGS_BY_RESOURCE,
        ("arn:aws:s3:::fixture-sh-fixture-failed-high", "arn:aws:s3:::fixture-sh-fixture-passed"),
        FINDINGS,
        lambda value: _related([], [], [value]),
        None,
    ),
]
WITHOUT_INVESTIGATION_QUERY = {catalogue.IP_FLOWS.id}
"""Pivots whose investigation search is not compared here (flows: the network view is an
aggregation, investigation.flows); test_queries.py covers them."""


@pytest.fixture
def loaded(engine: OpenSearch) -> OpenSearch:
    install_templates(engine, PREFIX)
    errors = index_documents(engine, [*golden_documents(), *fx.fixture_documents()])
    assert errors == [], errors[:3]
    return engine


def _ids(client: OpenSearch, index: str, query: dict[str, Any]) -> set[str]:
    answer = client.search(
        index=index, body={"query": query, "size": 1000, "_source": False}, ignore_unavailable=True
    )
    hits = answer["hits"]["hits"]
    assert answer["hits"]["total"]["value"] == len(hits), "raise size: results were cut"
    return {hit["_id"] for hit in hits}


def test_every_pivot_is_compared_with_the_investigation() -> None:
    compared = {search.id for search, *_ in PIVOT_CASES}
    assert compared | WITHOUT_INVESTIGATION_QUERY == {search.id for search in catalogue.PIVOTS}
    assert {search.id for search in catalogue.PIVOTS} <= {search.id for search in catalogue.SEARCHES}


def test_key_issuance_names_the_issuing_actions_of_the_chain() -> None:
    named = catalogue.ISSUING_ACTIONS_QUERY.split("(", 1)[1].rstrip(")").split(" OR ")
    assert sorted(named) == sorted(ISSUING_ACTIONS)


@pytest.mark.parametrize(
    ("search", "values", "index", "investigation", "added"),
    PIVOT_CASES,
    ids=[search.slug for search, *_ in PIVOT_CASES],
)
def test_pivot_returns_the_documents_of_the_investigation_query(
    loaded: OpenSearch,
    search: Search,
    values: tuple[str, ...],
    index: str,
    investigation: Investigation,
    added: str | None,
) -> None:
    for value in values:
        lucene = search.lucene(value)
        if added:
            lucene = f"({lucene}) AND {added}"
        saved = _ids(loaded, index_pattern_title(search.pattern, PREFIX), query_clause(lucene))
        expected = _ids(loaded, index, investigation(value))
        assert expected, f"{search.id} {value}: the investigation finds nothing to compare"
        assert saved == expected, (
            f"{search.id} {value}: {len(saved - expected)} more, {len(expected - saved)} fewer"
        )
