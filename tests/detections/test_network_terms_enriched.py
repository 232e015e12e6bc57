"""New country and new network (ASN) per identity, end to end: CloudTrail log files go through
the ingest Lambda's handler (moto S3 -> SQS, the Serverless guard), enriched with a tiny
MaxMind-format city and ASN database (tests/enrichment/mmdb.py: MaxMind's test networks), and
the runner raises the new-terms rules' alerts from what was indexed.

The addresses (MaxMind's test databases, typed by hand): 81.2.69.142/31 is London (GB) in
AS20712 (Andrews & Arnold); 1.128.0.0/11 is AS1221 (Telstra), which the city database does
not cover: its country is the registry's (APNIC assigned it to Australia, AU).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections.checkpoints import MemoryCheckpoints
from detections.runner import RunReport, RunSettings, run
from enrichment import EnrichmentSettings
from tests.detections.conftest import our_rule
from tests.enrichment.mmdb import asn_database, city_database
from tests.ingest.conftest import Aws
from tests.ingest.conftest import aws as aws  # the moto fixture
from tests.ingest.test_enrichment_wiring import ACCOUNT, ingest_trail

pytestmark = pytest.mark.integration

HOME = "81.2.69.142"
"""London, AS20712."""
HOME_TOO = "81.2.69.143"
"""The same /31: the same country and network."""
ELSEWHERE = "1.128.0.1"
"""AS1221, registry country AU."""
SETTINGS = RunSettings(
    lag=timedelta(minutes=2), overlap=timedelta(minutes=15), first_lookback=timedelta(minutes=30)
)
RULES = (
    "siem-console-signin-new-country",
    "siem-console-signin-new-asn",
    "siem-role-api-call-new-country",
    "siem-role-api-call-new-asn",
    "siem-identity-api-call-new-country",
    "siem-identity-api-call-new-asn",
)
ALICE = ct.iam_user(ACCOUNT, "alice", access_key_id=None)
CI_RUNNER = ct.iam_user(ACCOUNT, "ci-runner", "AIDAEXAMPLECIRUNNER1", "AKIAEXAMPLECIRUNNER1")
DEPLOY = ct.role_session(ACCOUNT, "deploy", "pipeline-1", "ASIAEXAMPLEDEPLOY001", "AROAEXAMPLEDEPLOY001")


def sign_in(when: datetime, address: str) -> dict[str, Any]:
    return ct.console_login(ALICE, time=when, source_ip=address, mfa_used=True)


def pipeline_call(when: datetime, address: str) -> dict[str, Any]:
    return ct.api_call(
        ct.assumed_role(DEPLOY),
        event_name="GetObject",
        event_source="s3.amazonaws.com",
        time=when,
        source_ip=address,
        user_agent="Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 lang/python#3.12.1",
        request={"bucketName": "artifacts", "key": "build.zip"},
    )


def key_call(when: datetime, address: str) -> dict[str, Any]:
    """The CI runner's IAM user lists instances with its access key (the AWS CLI)."""
    return ct.api_call(
        CI_RUNNER,
        event_name="DescribeInstances",
        event_source="ec2.amazonaws.com",
        time=when,
        source_ip=address,
    )


def ingest(
    aws: Aws, engine: OpenSearch, enrichment: EnrichmentSettings, records: Sequence[dict[str, Any]]
) -> None:
    ingest_trail(aws, engine, enrichment, records)
    assert engine.count(index="siem-cloudtrail")["count"] == len(records), "every record indexed"


def detect(engine: OpenSearch) -> RunReport:
    """One run of the six rules over what was just ingested (``event.ingested`` is now)."""
    rules = [our_rule(rule_id) for rule_id in RULES]
    report = run(
        engine, engine, rules, datetime.now(UTC) + timedelta(minutes=5), MemoryCheckpoints(), None, SETTINGS
    )
    assert not report.errors, [outcome.error for outcome in report.errors]
    return report


def raised(report: RunReport) -> dict[str, list[dict[str, Any]]]:
    """Rule id -> the ``group_by`` (entity and term) of each alert it raised."""
    found: dict[str, list[dict[str, Any]]] = {rule_id: [] for rule_id in RULES}
    for alert in report.alerts:
        found[alert["rule"]["id"]].append(alert["alert"]["group_by"])
    return found


def history(now: datetime) -> list[dict[str, Any]]:
    """Forty and two days ago: alice signs in from London, the pipeline role and the CI
    runner's key call from there."""
    return [
        record
        for days in (40, 2)
        for record in (
            sign_in(now - timedelta(days=days), HOME),
            pipeline_call(now - timedelta(days=days), HOME),
            key_call(now - timedelta(days=days), HOME),
        )
    ]


def latest(now: datetime, address: str) -> list[dict[str, Any]]:
    """An hour ago, alice signs in from ``address``; the pipeline role and the key call from there."""
    return [
        sign_in(now - timedelta(hours=1), address),
        pipeline_call(now - timedelta(minutes=50), address),
        key_call(now - timedelta(minutes=40), address),
    ]


def databases(directory: Path) -> EnrichmentSettings:
    return EnrichmentSettings(
        geoip_city_database=city_database(directory), geoip_asn_database=asn_database(directory)
    )


def test_a_new_network_and_country_alert_per_identity(aws: Aws, siem: OpenSearch, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    records = [*history(now), *latest(now, ELSEWHERE)]
    ingest(aws, siem, databases(tmp_path), records)

    alerts = raised(detect(siem))

    user = "arn:aws:iam::111122223333:user/alice"
    role = "arn:aws:iam::111122223333:role/deploy"
    assert alerts["siem-console-signin-new-country"] == [
        {"aws.cloudtrail.user_identity.arn": user, "source.geo.country_iso_code": "AU"}
    ]
    assert alerts["siem-console-signin-new-asn"] == [
        {"aws.cloudtrail.user_identity.arn": user, "source.as.number": 1221}
    ]
    issuer = "aws.cloudtrail.user_identity.session_context.session_issuer.arn"
    assert alerts["siem-role-api-call-new-country"] == [{issuer: role, "source.geo.country_iso_code": "AU"}]
    assert alerts["siem-role-api-call-new-asn"] == [{issuer: role, "source.as.number": 1221}]
    key = "arn:aws:iam::111122223333:user/ci-runner"
    assert alerts["siem-identity-api-call-new-country"] == [
        {"aws.cloudtrail.user_identity.arn": key, "source.geo.country_iso_code": "AU"}
    ]
    assert alerts["siem-identity-api-call-new-asn"] == [
        {"aws.cloudtrail.user_identity.arn": key, "source.as.number": 1221}
    ]


def test_the_known_network_raises_nothing(aws: Aws, siem: OpenSearch, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    records = [*history(now), *latest(now, HOME_TOO)]
    ingest(aws, siem, databases(tmp_path), records)

    assert raised(detect(siem)) == {rule_id: [] for rule_id in RULES}


def test_without_an_asn_database_the_asn_rules_are_silent(aws: Aws, siem: OpenSearch) -> None:
    """The default enrichment (registry country, no database): no document has ``source.as``;
    the ASN rules run without error and raise nothing, the country rules still work."""
    now = datetime.now(UTC)
    records = [*history(now), *latest(now, ELSEWHERE)]
    ingest(aws, siem, EnrichmentSettings(), records)
    assert (
        siem.count(index="siem-cloudtrail", body={"query": {"exists": {"field": "source.as"}}})["count"] == 0
    )

    alerts = raised(detect(siem))

    assert alerts["siem-console-signin-new-asn"] == [] and alerts["siem-role-api-call-new-asn"] == []
    assert [term["source.geo.country_iso_code"] for term in alerts["siem-console-signin-new-country"]] == [
        "AU"
    ]
    assert [term["source.geo.country_iso_code"] for term in alerts["siem-role-api-call-new-country"]] == [
        "AU"
    ]
