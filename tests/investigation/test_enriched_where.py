"""Where the actor acted from, on enriched documents: account names, countries and caller tools
(issue 13, deliverable 5), from terms aggregations on the fields enrichment adds at ingest."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from enrichment import Account, AccountDirectory, Enricher
from investigation import investigate, render
from investigation.report import Count
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import dataset_of
from tests.investigation import scenarios
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

OUTSIDE = "8.8.8.8"
"""In ARIN's delegation to a United States organization: registry country US."""


def _index_enriched(siem: Siem, name: str, raw: bytes, enricher: Enricher) -> None:
    body: list[Any] = []
    for item in normalize_object(io.BytesIO(raw), Origin(object=name, ingested="2024-05-01T12:00:00.000Z")):
        assert not isinstance(item, DeadLetter)
        index = "siem-cloudtrail" if dataset_of(item) == "aws.cloudtrail" else "siem-guardduty"
        body += [{"create": {"_index": index}}, enricher.enrich(item)]
    assert not siem.client.bulk(body=body)["errors"]


def test_where_names_the_accounts_countries_and_tools(siem: Siem) -> None:
    scenario = scenarios.stolen_instance_key()
    # The attacker's documentation address replaced by a public one, so it has a country.
    records = orjson.loads(
        orjson.dumps(scenario.cloudtrail).replace(b'"198.51.100.23"', f'"{OUTSIDE}"'.encode())
    )
    enricher = Enricher(
        AccountDirectory([Account(scenarios.WORKLOADS, "workloads-prod", ou_path="Root/Workloads")])
    )
    _index_enriched(siem, "cloudtrail.json", orjson.dumps({"Records": records}), enricher)
    _index_enriched(
        siem, "guardduty.jsonl", b"\n".join(orjson.dumps(f) for f in scenario.guardduty), enricher
    )

    report = investigate(siem.client, scenario.finding_id)

    where = report.where
    assert {c.value: c.count for c in where.ips} == {OUTSIDE: 8, "10.0.1.15": 3}
    assert where.countries == [Count("US", 8)]  # the private address has a scope, not a country
    assert where.accounts == [Count(f"{scenarios.WORKLOADS} (workloads-prod)", 11)]
    assert {c.value: c.count for c in where.tools} == {"python-requests": 8, "aws-cli": 3}
    assert where.networks == []  # no ASN database configured
    text = render(report, "text")
    assert "workloads-prod" in text and "python-requests" in text
    assert report.to_dict()["where"]["countries"] == [{"country": "US", "count": 8}]
