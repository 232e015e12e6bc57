"""siem-ec2-instance-credentials-used-outside with the accounts directory: a VPC endpoint of
an account of the directory (the organization's network account, where interface endpoints
are commonly centralized) is ours; one of an account outside it (the attacker's) is not.

The records are the rule's own inline test records (written from CloudTrail's record
contents), normalized and enriched as the ingest path does."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections.search import Sources
from detections.testing import INGESTED, alerts_for, index_and_wait
from enrichment import Account, AccountDirectory, Enricher
from normalizers import DeadLetter, Origin, normalize_object
from tests.detections.conftest import our_rule

pytestmark = pytest.mark.integration
RULE = our_rule("siem-ec2-instance-credentials-used-outside")
DIRECTORY = AccountDirectory([Account("111122223333", "prod-web"), Account("111122224444", "network")])


def _record(test_name: str) -> dict[str, Any]:
    (case,) = (case for case in RULE.tests if case.name == test_name)
    return dict(case.records[0])


def _alerts(client: OpenSearch, index: str, record: dict[str, Any], enricher: Enricher) -> int:
    raw = json.dumps({"Records": [record]}).encode()
    documents = []
    for item in normalize_object(io.BytesIO(raw), Origin(object="test", ingested=INGESTED), "cloudtrail"):
        assert not isinstance(item, DeadLetter)
        documents.append(enricher.enrich(item))
    index_and_wait(client, index, documents)
    return len(alerts_for(client, RULE, Sources(only=index)))


CENTRAL = "a centralized endpoint in another account, without the accounts directory"
ATTACKER = "stolen credentials ask through a VPC endpoint in the attacker's own account"


def test_an_endpoint_of_an_account_of_the_directory_is_ours(siem: OpenSearch) -> None:
    record = _record(CENTRAL)
    assert _alerts(siem, "siem-cloudtrail-endpoint-central", record, Enricher(DIRECTORY)) == 0
    # The same record without the directory: nothing says the endpoint is ours.
    assert _alerts(siem, "siem-cloudtrail-endpoint-nodirectory", record, Enricher(AccountDirectory())) == 1


def test_an_endpoint_of_an_account_outside_the_directory_is_not(siem: OpenSearch) -> None:
    record = _record(ATTACKER)
    assert _alerts(siem, "siem-cloudtrail-endpoint-attacker", record, Enricher(DIRECTORY)) == 1
