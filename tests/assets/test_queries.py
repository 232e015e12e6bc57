"""Every saved search and visualization runs on the embedded engine against the fixtures
(tests/assets/fixtures.py) indexed beside the golden documents, with expectations written
from the fixtures' cases: which documents a search must return and which it must not.

A search's fixture hits must be exactly its expected cases (every other fixture case is a
negative). A visualization's buckets must hold the expected values and none of the excluded
ones; it is run on the fixture accounts only, so golden data cannot satisfy an expectation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opensearchpy import OpenSearch

from enrichment import Account, AccountDirectory, Enricher
from opensearch_assets import catalogue
from opensearch_assets.catalogue import Search, Visualization, index_pattern_title
from opensearch_assets.execute import MISSING_KEY, index_pattern_id, request_body, search_source
from opensearch_assets.saved_objects import saved_search, visualization
from opensearch_assets.templates import install_templates
from tests.assets import fixtures as fx
from tests.assets.indexing import PREFIX, golden_documents, index_documents

pytestmark = pytest.mark.integration

ENRICHER = Enricher(AccountDirectory([Account(fx.ACCOUNT, "fixture-prod")]))
DOCUMENTS = [(source, ENRICHER.enrich(document)) for source, document in fx.fixture_documents()]
"""The fixtures as ingest writes them: enriched (docs/enrichment.md); fx.OTHER_ACCOUNT is not in
the directory, so it has no name."""
INCIDENTS = fx.fixture_incidents()
ALL_KEYS = {fx.key_of(document) for _, document in [*DOCUMENTS, *INCIDENTS]}
SHOWN_ACCOUNTS = f"cloud.account.id:({fx.ACCOUNT} OR {fx.OTHER_ACCOUNT})"
MALLORY_QUERY = f'related.user:"{fx.MALLORY_KEY}" OR related.ip:"{fx.ATTACKER_IP}"'
MALLORY_CLOUDTRAIL = {
    "ct-access-denied",
    "ct-unauthorized",
    "ct-iam-create-key",
    "ct-iam-attach-policy",
    "ct-iam-list-users",
    "ct-sg-open-v4",
    "ct-sg-open-v6",
    "ct-sg-internal",
    "ct-sg-open-denied",
    "ct-stop-logging",
    "ct-delete-detector",
    "ct-delete-flowlogs",
    "ct-assume-role",
}
SESSION_CLOUDTRAIL = {"ct-session-list-secrets"}
"""What mallory does with the role session she opened (CHAIN_KEY), from the same address."""
ALICE_CLOUDTRAIL = {"ct-console-nomfa", "ct-no-such-entity", "ct-describe-trails", "ct-get-object"}
MALLORY_FINDINGS = {
    "gd-fixture-high",
    "gd-fixture-critical",
    "gd-fixture-high-archived",
    "gd-fixture-sample-critical",
    "gd-fixture-sequence",  # an attack sequence whose actor is mallory's key
}
SCANNER_FLOWS = f"flow:{fx.SCANNER_IP}:REJECT"
DAY_1, DAY_2 = "2024-05-01T00:00:00.000Z", "2024-05-02T00:00:00.000Z"

# (search, value for its {value} parameter, the fixture cases it must return)
SEARCH_CASES: list[tuple[Search, str | None, set[str]]] = [
    (
        catalogue.HIGH_CRITICAL_FINDINGS,
        None,
        {"gd-fixture-high", "gd-fixture-critical", "gd-fixture-sequence", "sh-fixture-failed-high"},
    ),
    (catalogue.FINDING_BY_ID, "gd-fixture-high", {"gd-fixture-high"}),
    (catalogue.FINDING_BY_ID, "sh-fixture-passed", {"sh-fixture-passed"}),
    (
        catalogue.FINDING_BY_ID,
        f"arn:aws:guardduty:us-east-1:{fx.ACCOUNT}:detector/fixture0detector/finding/gd-fixture-critical",
        {"gd-fixture-critical"},
    ),
    (catalogue.ACTOR_ACTIVITY, fx.MALLORY_KEY, MALLORY_CLOUDTRAIL | MALLORY_FINDINGS),
    (catalogue.ACTOR_ACTIVITY, "fixture-alice", ALICE_CLOUDTRAIL),
    (catalogue.ACTOR_ACTIVITY, "FixtureSSORole", {"ct-console-role"}),
    (catalogue.ACTOR_ACTIVITY, "FixtureAdminRole", SESSION_CLOUDTRAIL),
    (
        catalogue.IP_ACTIVITY,
        fx.ATTACKER_IP,
        MALLORY_CLOUDTRAIL | SESSION_CLOUDTRAIL | MALLORY_FINDINGS | {"gd-fixture-low"},
    ),
    (catalogue.IP_ACTIVITY, "198.51.100.0/24", {SCANNER_FLOWS}),
    (catalogue.ROOT_USAGE, None, {"ct-console-root-nomfa", "ct-root-listbuckets"}),
    # IAM users only, as the rule it mirrors: root's sign-in is ROOT_USAGE's.
    (catalogue.CONSOLE_WITHOUT_MFA, None, {"ct-console-nomfa"}),
    (
        catalogue.ACCESS_DENIED,
        None,
        {"ct-access-denied", "ct-unauthorized", "ct-sg-open-denied", "ct-vpce-denied"},
    ),
    # The copies of calls made through a VPC endpoint (fx.ENDPOINT_COPIED): in no other search.
    (catalogue.ENDPOINT_ACTIVITY, None, fx.ENDPOINT_COPIES | {"ct-vpce-denied"}),
    (catalogue.IAM_CHANGES, None, {"ct-iam-create-key", "ct-iam-attach-policy"}),
    (catalogue.SECURITY_GROUP_OPEN, None, {"ct-sg-open-v4", "ct-sg-open-v6"}),
    (catalogue.MONITORING_TAMPERING, None, {"ct-stop-logging", "ct-delete-detector", "ct-delete-flowlogs"}),
    (catalogue.REJECTED_FLOWS, None, {SCANNER_FLOWS}),
    (
        catalogue.FAILED_CONTROLS,
        None,
        {"sh-fixture-failed-high", "sh-fixture-failed-medium-other", "sh-fixture-privileged"},
    ),
    (catalogue.CONFIG_NONCOMPLIANT, None, {f"{fx.CONFIG_COMPLIANCE}/restricted-ssh"}),
    (catalogue.CONFIG_CHANGES, fx.CONFIG_GROUP, {fx.CONFIG_GROUP_ITEM}),
    (catalogue.CONFIG_CHANGES, "sg-fixture-nothing", set()),
    (
        catalogue.COMPLIANCE_FAILURES,
        None,
        {
            "sh-fixture-failed-high",
            "sh-fixture-failed-medium-other",
            "sh-fixture-privileged",
            f"{fx.CONFIG_COMPLIANCE}/restricted-ssh",
        },
    ),
    (catalogue.GUARDDUTY_FINDINGS, None, {key for key in ALL_KEYS if key.startswith("gd-")}),
    (catalogue.KUBERNETES_FINDINGS, fx.KUBERNETES_NAMESPACE, {"gd-fixture-k8s"}),
    (catalogue.KUBERNETES_FINDINGS, "kube-system", set()),
    (catalogue.KUBERNETES_FINDINGS, None, {"gd-fixture-k8s"}),
    # The task definition's privileged container is its second: only the Security Hub list names it.
    (catalogue.PRIVILEGED_CONTAINERS, None, {"gd-fixture-k8s", "sh-fixture-privileged"}),
    (
        catalogue.INVESTIGATION_EVENTS,
        None,  # neither Security Hub controls nor Config items name a principal or an address
        {
            key
            for key in ALL_KEYS - fx.ENDPOINT_COPIES
            if not key.startswith(("sh-", f"{fx.ACCOUNT}/", "incident-"))
        },
    ),
    # The investigation's pivots (tests/assets/test_pivots.py compares them with its queries).
    (catalogue.ACCESS_KEY_ACTIVITY, fx.MALLORY_KEY, MALLORY_CLOUDTRAIL),
    (catalogue.ACCESS_KEY_ACTIVITY, fx.CHAIN_KEY, SESSION_CLOUDTRAIL),
    (catalogue.PRINCIPAL_ACTIVITY, "AROAFIXTUREADMINROLE:fixture-mallory-session", SESSION_CLOUDTRAIL),
    (catalogue.PRINCIPAL_ACTIVITY, f"arn:aws:iam::{fx.ACCOUNT}:user/fixture-alice", ALICE_CLOUDTRAIL),
    (catalogue.USER_NAME_ACTIVITY, "fixture-alice", ALICE_CLOUDTRAIL),
    (catalogue.USER_NAME_ACTIVITY, "fixture-dave@example.com", {"ct-console-role"}),
    (catalogue.KEY_ISSUANCE, fx.CHAIN_KEY, {"ct-assume-role"}),
    (catalogue.KEY_ISSUANCE, fx.MALLORY_KEY, set()),
    (catalogue.SOURCE_IP_ACTIVITY, fx.ATTACKER_IP, MALLORY_CLOUDTRAIL | SESSION_CLOUDTRAIL),
    (catalogue.SOURCE_IP_ACTIVITY, "198.51.100.0/24", set()),
    (
        catalogue.RESOURCE_CHANGES,
        fx.SECURITY_GROUP,
        {"ct-sg-open-v4", "ct-sg-open-v6", "ct-sg-internal", "ct-sg-open-denied"},
    ),
    (catalogue.RESOURCE_CHANGES, fx.TRAIL_ARN, {"ct-stop-logging"}),
    (catalogue.RESOURCE_CHANGES, "fixture-trail", {"ct-stop-logging"}),  # DescribeTrails reads it
    (catalogue.RESOURCE_CHANGES, "fixture-alice", {"ct-iam-create-key"}),
    (catalogue.RESOURCE_CHANGES, "fixture-bucket", set()),  # read, never written
    (catalogue.FINDINGS_BY_IDENTITY, fx.MALLORY_KEY, MALLORY_FINDINGS),
    (catalogue.FINDINGS_BY_IDENTITY, fx.EVE_KEY, {"gd-fixture-low"}),
    (catalogue.FINDINGS_BY_IP, fx.ATTACKER_IP, MALLORY_FINDINGS | {"gd-fixture-low"}),
    (
        catalogue.FINDINGS_BY_RESOURCE,
        "arn:aws:s3:::fixture-sh-fixture-failed-high",
        {"sh-fixture-failed-high"},
    ),
    (catalogue.IP_FLOWS, fx.SCANNER_IP, {SCANNER_FLOWS}),
    (catalogue.IP_FLOWS, "10.0.1.5", {SCANNER_FLOWS, f"flow:{fx.CLIENT_IP}:ACCEPT"}),
    (catalogue.SEQUENCE_SIGNALS, None, {"gd-fixture-sequence"}),
    # Open, and reopened by an alert; not acknowledged, closed or merged.
    (catalogue.INCIDENTS_TO_TRIAGE, None, {"incident-fixture-open", "incident-fixture-reopened"}),
]

# (visualization, query bar or None for the saved one, bucket values expected, values excluded)
VIZ_CASES: list[tuple[Visualization, str | None, set[str], set[str]]] = [
    (catalogue.CT_TIMELINE, None, {DAY_1, "success", "failure"}, {DAY_2}),
    (catalogue.CT_ACTIONS, None, {"signin.amazonaws.com", "StopLogging", "ConsoleLogin"}, {"REJECT"}),
    (
        catalogue.CT_IDENTITIES,
        None,
        {"fixture-alice", "root", "IAMUser", "Root", "AssumedRole"},
        {"fixture-eve"},
    ),
    (catalogue.CT_SOURCE_IPS, None, {fx.ATTACKER_IP, fx.CLIENT_IP}, {fx.SCANNER_IP}),
    # The fixtures' sign-ins come from a documentation address: no country, the labelled row.
    (catalogue.CT_SIGNIN_COUNTRIES, None, {MISSING_KEY, "success", "failure"}, {"StopLogging"}),
    (
        catalogue.CT_ERRORS,
        None,
        {"AccessDenied", "Client.UnauthorizedOperation", "fixture-mallory"},
        {"fixture-bob"},
    ),
    (catalogue.FLOW_TIMELINE, None, {DAY_2, "ACCEPT", "REJECT"}, {DAY_1}),
    (catalogue.FLOW_REJECTED_BY_SOURCE, None, {fx.SCANNER_IP}, {fx.CLIENT_IP}),
    (catalogue.FLOW_PORTS, None, {"22", "3389", "23", "tcp"}, {"443"}),
    (catalogue.FLOW_ACTIONS, None, {"ACCEPT", "REJECT"}, {"ConsoleLogin"}),
    (
        catalogue.GD_BY_TYPE,
        None,
        {"UnauthorizedAccess:IAMUser/MaliciousIPCaller", "Recon:IAMUser/MaliciousIPCaller"},
        {"S3.8"},
    ),
    (catalogue.GD_SEVERITY, None, {"LOW", "HIGH", "CRITICAL"}, {"INFORMATIONAL"}),
    (catalogue.GD_ACCOUNTS, None, {fx.ACCOUNT, "fixture-prod"}, {fx.OTHER_ACCOUNT, MISSING_KEY}),
    (catalogue.GD_TIMELINE, None, {DAY_1, "HIGH"}, {DAY_2}),
    (
        catalogue.SH_FAILED_BY_ACCOUNT,
        None,
        {fx.ACCOUNT, "fixture-prod", fx.OTHER_ACCOUNT, MISSING_KEY, "S3.8", "IAM.6"},
        {"EC2.19"},
    ),
    (catalogue.SH_SEVERITY, None, {"INFORMATIONAL", "MEDIUM", "HIGH", "CRITICAL"}, {"LOW"}),
    (catalogue.SH_PRODUCTS, None, {"Security Hub"}, {"GuardDuty"}),
    (catalogue.SH_TIMELINE, None, {DAY_1, "FAILED", "PASSED"}, {DAY_2}),
    (
        catalogue.COMPLIANCE_BY_ACCOUNT,
        None,
        {fx.ACCOUNT, fx.OTHER_ACCOUNT, "success", "failure"},
        {"unknown"},
    ),
    (
        catalogue.COMPLIANCE_BY_STANDARD,
        None,
        {"standards/aws-foundational-security-best-practices/v/1.0.0", "FAILED", "PASSED"},
        {"WARNING"},
    ),
    (catalogue.COMPLIANCE_TREND, None, {DAY_1, "success", "failure"}, {DAY_2}),
    (
        catalogue.COMPLIANCE_WORST,
        None,
        {"restricted-ssh", "Fixture control S3.8", "Fixture control IAM.6"},
        {"vpc-sg-port-restriction-check", "Fixture control EC2.19"},
    ),
    # fixture-eve's finding names the attacker's IP: the IP pivot brings her in, alice stays out.
    (
        catalogue.INV_IDENTITIES,
        MALLORY_QUERY,
        {"fixture-mallory", "fixture-eve", "siem-cloudtrail", "siem-guardduty"},
        {"fixture-alice", "fixture-bob"},
    ),
    (catalogue.INV_CREDENTIALS, MALLORY_QUERY, {fx.MALLORY_KEY, "fixture-mallory"}, {fx.ALICE_KEY}),
    (catalogue.INV_ACCOUNTS, MALLORY_QUERY, {fx.ACCOUNT, "fixture-prod"}, {fx.OTHER_ACCOUNT, MISSING_KEY}),
    (
        catalogue.INV_TIMELINE,
        MALLORY_QUERY,
        {DAY_1, "siem-cloudtrail", "siem-guardduty"},
        {DAY_2, "siem-vpcflow", "siem-securityhub"},
    ),
    (
        catalogue.INV_ACTIONS,
        MALLORY_QUERY,
        {"StopLogging", "AuthorizeSecurityGroupIngress", "failure", "success"},
        {"GetObject", "ConsoleLogin"},
    ),
    (catalogue.INV_RESOURCES, MALLORY_QUERY, {fx.TRAIL_ARN}, {fx.BUCKET_ARN}),
    (catalogue.INV_OUTCOME, f'related.user:"{fx.ALICE_KEY}"', {"success", "failure"}, {"unknown"}),
    (
        catalogue.INV_FINDINGS,
        MALLORY_QUERY,
        {"UnauthorizedAccess:IAMUser/MaliciousIPCaller"},
        {"Fixture control S3.8"},
    ),
    (catalogue.INV_SOURCE_IPS, MALLORY_QUERY, {fx.ATTACKER_IP}, {fx.CLIENT_IP}),
    (catalogue.INV_COUNTRIES, f'related.user:"{fx.ALICE_KEY}"', {MISSING_KEY}, {fx.CLIENT_IP}),
    (catalogue.INV_TOOLS, f'related.user:"{fx.ALICE_KEY}"', {"cli", "aws-cli", "other"}, {"console", "iac"}),
    (
        catalogue.INV_USER_AGENTS,
        f'related.user:"{fx.ALICE_KEY}"',
        {fx.CLI_AGENT, fx.CONSOLE_AGENT},
        {"fixture-unknown-agent"},
    ),
]


@pytest.fixture
def loaded(engine: OpenSearch) -> OpenSearch:
    install_templates(engine, PREFIX)
    errors = index_documents(engine, [*golden_documents(), *DOCUMENTS, *INCIDENTS])
    assert errors == [], errors[:3]
    return engine


def _index(saved_object: dict[str, Any]) -> str:
    return index_pattern_title(index_pattern_id(saved_object), PREFIX)


def _bucket_values(aggregations: dict[str, Any]) -> Iterator[str]:
    for name, agg in aggregations.items():
        if not isinstance(agg, dict) or "buckets" not in agg:
            continue
        for bucket in agg["buckets"]:
            yield str(bucket.get("key_as_string", bucket["key"]))
            yield from _bucket_values({k: v for k, v in bucket.items() if k != name})


def test_every_saved_search_and_visualization_has_a_case() -> None:
    assert {s.id for s, _, _ in SEARCH_CASES} == {s.id for s in catalogue.SEARCHES}
    assert {v.id for v, _, _, _ in VIZ_CASES} == {v.id for v in catalogue.VISUALIZATIONS} - {
        catalogue.INV_COUNT.id
    }


@pytest.mark.parametrize(
    ("search", "value", "expected"),
    SEARCH_CASES,
    ids=[f"{s.slug}:{v}" if v else s.slug for s, v, _ in SEARCH_CASES],
)
def test_saved_search_returns_exactly_its_fixture_cases(
    loaded: OpenSearch, search: Search, value: str | None, expected: set[str]
) -> None:
    saved = saved_search(search)
    lucene = search.lucene(value)
    answer = loaded.search(index=_index(saved), body=request_body(saved, query=lucene, size=1000))
    hits = [hit["_source"] for hit in answer["hits"]["hits"]]
    assert answer["hits"]["total"]["value"] == len(hits), "raise size: results were cut"
    found = {fx.key_of(hit) for hit in hits} & ALL_KEYS
    assert found == expected, f"missing {expected - found}, unexpected {found - expected}"


def test_saved_query_with_its_default_value_runs_as_imported(loaded: OpenSearch) -> None:
    for search in catalogue.SEARCHES:
        saved = saved_search(search)
        assert search_source(saved)["query"]["query"] == search.lucene()
        loaded.search(index=_index(saved), body=request_body(saved))


@pytest.mark.parametrize(
    ("viz", "query", "present", "absent"), VIZ_CASES, ids=[v.slug for v, *_ in VIZ_CASES]
)
def test_visualization_aggregates_the_expected_values(
    loaded: OpenSearch, viz: Visualization, query: str | None, present: set[str], absent: set[str]
) -> None:
    saved = visualization(viz)
    bar = search_source(saved)["query"]["query"] if query is None else query
    restricted = f"({bar}) AND {SHOWN_ACCOUNTS}" if bar.strip() else SHOWN_ACCOUNTS
    answer = loaded.search(index=_index(saved), body=request_body(saved, query=restricted))
    values = set(_bucket_values(answer["aggregations"]))
    assert present <= values, f"missing {present - values}"
    assert not absent & values, f"unexpected {absent & values}"
    unrestricted = loaded.search(index=_index(saved), body=request_body(saved, query=bar))
    assert set(_bucket_values(unrestricted["aggregations"])) >= present


def test_the_role_chain_panel_lists_the_calls_that_issued_keys_to_the_actor(loaded: OpenSearch) -> None:
    """On the Finding investigation dashboard the key-issuance search, saved with ``*``,
    follows the query bar: on the chain's keys it lists the STS calls they made (the hops)."""
    assert (
        catalogue.KEY_ISSUANCE
        in next(
            board for board in catalogue.DASHBOARDS if board.id == catalogue.FINDING_INVESTIGATION_ID
        ).panels
    )
    saved = saved_search(catalogue.KEY_ISSUANCE)
    panel = f"({search_source(saved)['query']['query']}) AND ({MALLORY_QUERY})"
    answer = loaded.search(index=_index(saved), body=request_body(saved, query=panel))
    assert {fx.key_of(hit["_source"]) for hit in answer["hits"]["hits"]} == {"ct-assume-role"}


def test_event_count_metric_follows_the_query_bar(loaded: OpenSearch) -> None:
    saved = visualization(catalogue.INV_COUNT)
    actor = loaded.search(index=_index(saved), body=request_body(saved, query=MALLORY_QUERY))
    nobody = loaded.search(
        index=_index(saved), body=request_body(saved, query='related.user:"fixture-nobody"')
    )
    assert actor["hits"]["total"]["value"] >= len(MALLORY_CLOUDTRAIL | MALLORY_FINDINGS)
    assert nobody["hits"]["total"]["value"] == 0


def test_the_all_sources_pattern_searches_before_every_source_has_an_index(engine: OpenSearch) -> None:
    """A listed index that does not exist yet is skipped, as Dashboards' searches
    (``ignore_unavailable``) skip it; the alerts never answer."""
    install_templates(engine, PREFIX)
    flows = [(source, document) for source, document in DOCUMENTS if source == "vpcflow"]
    assert index_documents(engine, flows) == []
    alert = {"@timestamp": "2024-05-02T10:00:00.000Z", "event": {"kind": "alert"}, "rule": {"id": "x"}}
    assert index_documents(engine, [("alerts", alert)]) == []
    title = index_pattern_title(catalogue.ALL, PREFIX)
    answer = engine.search(index=title, body={"query": {"match_all": {}}, "size": 0}, ignore_unavailable=True)
    assert answer["hits"]["total"]["value"] == len(flows)


def _counts(aggregations: dict[str, Any]) -> dict[str, int]:
    """Every bucket's value and document count, nested buckets included."""
    counts: dict[str, int] = {}
    for name, agg in aggregations.items():
        for bucket in agg.get("buckets", []) if isinstance(agg, dict) else []:
            counts[str(bucket.get("key_as_string", bucket["key"]))] = bucket["doc_count"]
            counts.update(_counts({k: v for k, v in bucket.items() if k != name}))
    return counts


# (visualization, the dashboard's query bar, counts of bucket values): the calls copied by a
# VPC endpoint (fx.ENDPOINT_COPIED) count once, as the calls that were not.
COUNT_CASES: list[tuple[Visualization, str, dict[str, int]]] = [
    (catalogue.CT_ACTIONS, "", {"StopLogging": 1, "CreateAccessKey": 1, "ListSecrets": 1, "AssumeRole": 2}),
    (catalogue.CT_IDENTITIES, "", {"fixture-mallory": len(MALLORY_CLOUDTRAIL)}),
    (catalogue.INV_ACTIONS, MALLORY_QUERY, {"StopLogging": 1, "CreateAccessKey": 1, "AssumeRole": 1}),
    (catalogue.INV_CREDENTIALS, MALLORY_QUERY, {fx.MALLORY_KEY: len(MALLORY_CLOUDTRAIL | MALLORY_FINDINGS)}),
]


@pytest.mark.parametrize(("viz", "bar", "expected"), COUNT_CASES, ids=[v.slug for v, *_ in COUNT_CASES])
def test_a_call_through_a_vpc_endpoint_counts_once(
    loaded: OpenSearch, viz: Visualization, bar: str, expected: dict[str, int]
) -> None:
    # Dashboards runs a panel's saved query and the dashboard's query bar together.
    saved = visualization(viz)
    own = search_source(saved)["query"]["query"]
    query = " AND ".join(f"({part})" for part in (own, bar, SHOWN_ACCOUNTS) if part.strip())
    answer = loaded.search(index=_index(saved), body=request_body(saved, query=query))
    counts = _counts(answer["aggregations"])
    assert {value: counts.get(value) for value in expected} == expected
