"""Whose VPC endpoint, whose account, with the accounts directory: an endpoint of an account of
the directory (the organization's network account, where interface endpoints are commonly
centralized) is ours; one of an account outside it (the attacker's) is not. Both rules that
ask it (siem-ec2-instance-credentials-used-outside, siem-bedrock-model-invoked-outside-compute)
read the one shared condition ``outside-our-network`` (detections/conditions.yml). The
directory also names the caller's account of a cross-account call's copy in the role owner's
trail (siem-sts-role-session-named-like-instance).

The records are the rules' own inline test records (written from CloudTrail's record
contents), normalized and enriched as the ingest path does."""

from __future__ import annotations

import io
import json
from itertools import count
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections.rules import Rule
from detections.search import Sources
from detections.testing import HISTORY_INGESTED, INGESTED, alerts_for, index_and_wait
from enrichment import Account, AccountDirectory, Enricher
from normalizers import DeadLetter, Origin, normalize_object
from tests.detections.conftest import our_rule

pytestmark = pytest.mark.integration
INSTANCE_RULE = our_rule("siem-ec2-instance-credentials-used-outside")
BEDROCK_RULE = our_rule("siem-bedrock-model-invoked-outside-compute")
NAMING_RULE = our_rule("siem-sts-role-session-named-like-instance")
DIRECTORY = AccountDirectory([Account("111122223333", "prod-web"), Account("111122224444", "network")])
_indices = count()


def _case(rule: Rule, test_name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The inline case's records and history (raw)."""
    (case,) = (case for case in rule.tests if case.name == test_name)
    history = [dict(record) for _, records in case.history for record in records]
    return [dict(record) for record in case.records], history


def _documents(records: list[dict[str, Any]], ingested: str, enricher: Enricher) -> list[dict[str, Any]]:
    raw = json.dumps({"Records": records}).encode()
    documents = []
    for item in normalize_object(io.BytesIO(raw), Origin(object="test", ingested=ingested), "cloudtrail"):
        assert not isinstance(item, DeadLetter)
        item.setdefault("event", {})["ingested"] = ingested
        documents.append(enricher.enrich(item))
    return documents


def _alerts(client: OpenSearch, rule: Rule, test_name: str, enricher: Enricher) -> int:
    records, history = _case(rule, test_name)
    index = f"siem-cloudtrail-endpoint-{next(_indices)}"
    documents = _documents(records, INGESTED, enricher)
    if history:  # a new-terms rule's earlier runs: what it learns its terms from
        documents += _documents(history, HISTORY_INGESTED, enricher)
    index_and_wait(client, index, documents)
    try:
        return len(alerts_for(client, rule, Sources(only=index)))
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)


CENTRAL = "a centralized endpoint in another account, without the accounts directory"


@pytest.mark.parametrize("rule", [INSTANCE_RULE, BEDROCK_RULE], ids=lambda rule: rule.id)
def test_an_endpoint_of_an_account_of_the_directory_is_ours(siem: OpenSearch, rule: Rule) -> None:
    assert _alerts(siem, rule, CENTRAL, Enricher(DIRECTORY)) == 0
    # The same record without the directory: nothing says the endpoint is ours.
    assert _alerts(siem, rule, CENTRAL, Enricher(AccountDirectory())) == 1


@pytest.mark.parametrize(
    ("rule", "attacker"),
    [
        (INSTANCE_RULE, "stolen credentials ask through a VPC endpoint in the attacker's own account"),
        (BEDROCK_RULE, "stolen keys invoke a model through a VPC endpoint in the intruder's own account"),
    ],
    ids=lambda item: item.id if isinstance(item, Rule) else "",
)
def test_an_endpoint_of_an_account_outside_the_directory_is_not(
    siem: OpenSearch, rule: Rule, attacker: str
) -> None:
    assert _alerts(siem, rule, attacker, Enricher(DIRECTORY)) == 1


def test_a_cross_account_copy_is_judged_in_the_callers_trail_when_the_caller_is_ours(
    siem: OpenSearch,
) -> None:
    copy = "the role owner's copy of a call from another account (no accounts directory)"
    assert _alerts(siem, NAMING_RULE, copy, Enricher(AccountDirectory())) == 1
    assert _alerts(siem, NAMING_RULE, copy, Enricher(DIRECTORY)) == 1  # 444455556666 is not ours
    fellow = AccountDirectory([*DIRECTORY, Account("444455556666", "build")])
    assert _alerts(siem, NAMING_RULE, copy, Enricher(fellow)) == 0
