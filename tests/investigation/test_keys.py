"""Join keys from finding documents, resource names, addresses, the search budget."""

from __future__ import annotations

from typing import Any

import pytest

from investigation import MAX_QUERIES, QueryBudgetExceeded
from investigation.finding import from_document, resource_name
from investigation.investigator import Searcher
from investigation.network import is_external


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        ("arn:aws:s3:::my-bucket", "my-bucket"),
        ("arn:aws:s3:::my-bucket/some/key", "my-bucket"),
        ("arn:aws:ec2:us-east-1:111111111111:security-group/sg-0abc", "sg-0abc"),
        ("arn:aws:iam::111111111111:user/path/alice", "alice"),
        ("arn:aws:lambda:us-east-1:111111111111:function:payments", "payments"),
        ("not-an-arn", None),
    ],
)
def test_resource_names(arn: str, name: str | None) -> None:
    assert resource_name(arn) == name


@pytest.mark.parametrize(
    ("ip", "external"),
    [
        ("203.0.113.7", True),
        ("198.51.100.1", True),
        ("8.8.8.8", True),
        ("10.1.2.3", False),
        ("172.20.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("fe80::1", False),
        ("2001:db8::1", True),
        ("ec2.amazonaws.com", False),
    ],
)
def test_external_addresses(ip: str, external: bool) -> None:
    assert is_external(ip) is external


def test_a_control_finding_on_an_iam_user_is_investigated_as_a_resource() -> None:
    document: dict[str, Any] = {
        "@timestamp": "2026-03-02T09:00:00.000Z",
        "event": {"kind": "state", "start": "2026-03-02T08:00:00.000Z", "end": "2026-03-02T09:00:00.000Z"},
        "user": {"name": "bob"},
        "aws": {
            "securityhub_findings": {
                "id": "arn:aws:securityhub:...:finding/1",
                "resources": [{"type": "AwsIamUser", "id": "arn:aws:iam::111111111111:user/bob"}],
                "user_identity": {
                    "type": "IAMUser",
                    "user_name": "bob",
                    "arn": "arn:aws:iam::111111111111:user/bob",
                },
            }
        },
    }
    finding = from_document(document)
    assert finding.keys.has_identity and finding.mode == "resource"
    assert finding.keys.resource_ids == ("bob",)
    document["event"]["kind"] = "alert"
    assert from_document(document).mode == "credential"


def test_finding_times_cover_every_update() -> None:
    document = {
        "@timestamp": "2026-03-02T09:00:00Z",
        "event": {"start": "2026-03-02T08:00:00Z"},
        "aws": {"guardduty": {"id": "x"}},
    }
    finding = from_document(
        document, first_observed="2026-03-01T08:00:00.000Z", last_observed="2026-03-03T08:00:00.000Z"
    )
    assert (finding.first_observed, finding.last_observed) == (
        "2026-03-01T08:00:00.000Z",
        "2026-03-03T08:00:00.000Z",
    )


class _CountingClient:
    def __init__(self) -> None:
        self.calls = 0

    def search(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        return {"hits": {"hits": [], "total": {"value": 0}}}


def test_the_searcher_refuses_an_eleventh_search() -> None:
    client = _CountingClient()
    searcher = Searcher(client)  # type: ignore[arg-type]
    for _ in range(MAX_QUERIES):
        searcher.search("siem-cloudtrail", {"size": 0})
    with pytest.raises(QueryBudgetExceeded):
        searcher.search("siem-cloudtrail", {"size": 0})
    assert client.calls == MAX_QUERIES
