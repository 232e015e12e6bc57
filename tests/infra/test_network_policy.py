"""The OpenSearch Serverless network policy in each mode (policy grammar: AOSS Developer Guide,
"Network access for Amazon OpenSearch Serverless": a list of rule sets, each with
``AllowFromPublic`` or ``SourceVPCEs``; a public rule wins over a private one it overlaps)."""

from __future__ import annotations

from infra.search import network_policy

NAMES = ["collection/siem-logs", "collection/siem-alerts"]
COLLECTIONS = {"ResourceType": "collection", "Resource": NAMES}
DASHBOARDS = {"ResourceType": "dashboard", "Resource": NAMES}
ENDPOINT = "vpce-0123456789abcdef0"


def test_public_by_default() -> None:
    assert network_policy(NAMES, None, public_dashboards=True) == [
        {
            "Description": "Public endpoints (SigV4 + data access policies)",
            "Rules": [COLLECTIONS, DASHBOARDS],
            "AllowFromPublic": True,
        }
    ]


def test_private_collections_and_dashboards_only_through_the_endpoint() -> None:
    [rule_set] = network_policy(NAMES, ENDPOINT, public_dashboards=False)
    assert rule_set["Rules"] == [COLLECTIONS, DASHBOARDS]
    assert rule_set["AllowFromPublic"] is False
    assert rule_set["SourceVPCEs"] == [ENDPOINT]


def test_public_dashboards_leave_the_collections_private() -> None:
    private, public = network_policy(NAMES, ENDPOINT, public_dashboards=True)
    assert private["Rules"] == [COLLECTIONS, DASHBOARDS] and private["SourceVPCEs"] == [ENDPOINT]
    assert private["AllowFromPublic"] is False
    # Only Dashboards is public: no public rule names a collection endpoint.
    assert public == {
        "Description": "Dashboards also public, by choice (publicDashboards)",
        "Rules": [DASHBOARDS],
        "AllowFromPublic": True,
    }
