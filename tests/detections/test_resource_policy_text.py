"""siem-resource-policy-grants-outside reads policies logged as JSON text: text that no
service would accept (over 64 KiB, malformed, nested past the parser's limit) is read as no
grant, and never raises out of the rule's comparisons (docs/detections.md, "Rule format")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from detections.principals import MAX_POLICY_TEXT
from detections.rules import RULES_DIR, load_rule

RULE = load_rule(RULES_DIR / "resource-policy-grants-outside.yml")
PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}]}


def queue_policy(policy: str) -> dict[str, Any]:
    """A normalized SetQueueAttributes document holding ``policy`` as its Policy attribute."""
    return {
        "cloud": {"account": {"id": "111122223333"}},
        "event": {"provider": "sqs.amazonaws.com", "action": "SetQueueAttributes"},
        "aws": {"cloudtrail": {"request_parameters": {"attributes": {"Policy": policy}}}},
    }


def matches(document: dict[str, Any]) -> bool:
    return all(comparison.holds(document) for comparison in RULE.where)


def test_a_public_queue_policy_matches() -> None:
    assert matches(queue_policy(json.dumps(PUBLIC)))


@pytest.mark.parametrize(
    "text",
    [
        # a public policy padded past any service's limit
        json.dumps({**PUBLIC, "Id": "x" * MAX_POLICY_TEXT}),
        # nested deeper than the JSON parser recurses (RecursionError, not ValueError)
        '{"Statement": ' + "[" * 30_000 + "]" * 30_000 + "}",
        '{"Statement": [{"Effect": "Allow", "Principal": "*"',
        "{}",
        "",
    ],
    ids=["over-long", "deeply-nested", "truncated", "empty-object", "empty"],
)
def test_text_no_service_accepts_is_no_grant(text: str) -> None:
    assert not matches(queue_policy(text))
