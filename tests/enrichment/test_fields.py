"""The field table of docs/enrichment.md against what the enricher writes and the templates map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enrichment.enrich import Enricher
from enrichment.fields import SOURCES, enrichment_fields
from enrichment.geoip import GeoIp
from opensearch_assets.fields import ECS_COMMON, KINDS, properties
from opensearch_assets.mappings import SOURCE_TABLES
from tests.conftest import GOLDEN
from tests.enrichment.mmdb import asn_database, city_database
from tests.enrichment.test_enrich import DIRECTORY, cloudtrail, normalized


def leaves(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the scalar (or list) values of a document; a geo point is one value."""
    if isinstance(value, dict) and set(value) != {"lat", "lon"}:
        return (
            set().union(*(leaves(item, f"{prefix}{key}.") for key, item in value.items())) if value else set()
        )
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return set().union(*(leaves(item, prefix) for item in value))
    return {prefix[:-1]}


def test_the_table_lists_everything_the_enricher_writes(tmp_path: Path) -> None:
    documents = [
        *normalized(
            cloudtrail(
                sourceIPAddress="81.2.69.142",
                vpcEndpointId="vpce-0123456789abcdef0",
                vpcEndpointAccountId="777788889999",
                resources=[{"ARN": "arn:aws:s3:::network-logs", "accountId": "777788889999"}],
            )
        ),
        *normalized(
            cloudtrail(
                sourceIPAddress="10.0.0.1",
                userAgent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            )
        ),
        *normalized(cloudtrail(sourceIPAddress="lambda.amazonaws.com", userAgent="python-requests/2.31.0")),
        *normalized((GOLDEN / "guardduty" / "api-get-findings" / "input.json").read_bytes()),
    ]
    enricher = Enricher(DIRECTORY, GeoIp(city_database(tmp_path), asn_database(tmp_path)))
    keys = ["owner", "team", "environment"]
    table = enrichment_fields(keys)
    for source in SOURCES:
        table.update(enrichment_fields(keys, source))
    written: set[str] = set()
    for document in documents:
        before = leaves(json.loads(json.dumps(document)))
        written |= leaves(enricher.enrich(document)) - before
    assert written - set(table) == set()
    # And the documents exercised most of it (the rest: other sources' account ids, device names).
    assert {
        "cloud.account.name",
        "aws.account.ou_path",
        "aws.account.tags.owner",
        "aws.cloudtrail.user_identity.account_name",
        "aws.cloudtrail.vpc_endpoint_account_tags.team",
        "source.geo.city_name",
        "source.geo.location",
        "source.as.number",
        "aws.source.scope",
        "aws.destination.scope",
        "user_agent.os.version",
        "user_agent.device.name",
        "aws.user_agent.tool.type",
        "aws.user_agent.command",
        "aws.user_agent.flags",
    } <= written


def test_the_table_fits_the_index_templates() -> None:
    """Merged into every index's fields (the common part, and the source's own part where the
    index has one), the table neither conflicts with a mapped field (same kind where both name
    it) nor makes a template invalid (a path both leaf and object)."""
    own = {
        "cloudtrail": "cloudtrail",
        "guardduty": "guardduty",
        "securityhub": "securityhub_findings",
        "vpcflow": "vpcflow",
    }
    for index, specific in SOURCE_TABLES.items():
        table = enrichment_fields()
        if index in own:
            table.update(enrichment_fields(source=own[index]))
        assert set(table.values()) <= set(KINDS)
        index_fields = {**ECS_COMMON, **specific}
        for path, kind in table.items():
            if path in index_fields:
                assert index_fields[path] == kind, path
        properties({**index_fields, **table})


def test_a_source_without_account_ids_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no account ids under aws\.alerts"):
        enrichment_fields(source="alerts")
