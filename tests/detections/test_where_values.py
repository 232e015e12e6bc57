"""`where` comparisons on the values of the returned documents: ``in_range`` (a range read as
integers from one object), ``prefix_at_most`` (an address range's width), ``any_differs``,
``one_of``, ``any`` and ``any_item`` (docs/detections.md, "Rule format")."""

from __future__ import annotations

from typing import Any

import pytest

from detections.rules import Comparison, paired_values, parse_rule

ITEMS = "aws.cloudtrail.request_parameters.ipPermissions.items"


def document(*permissions: dict[str, Any]) -> dict[str, Any]:
    """Security group permissions as AuthorizeSecurityGroupIngress's CloudTrail record holds
    them (``requestParameters.ipPermissions.items[]``), under the normalized field."""
    return {"aws": {"cloudtrail": {"request_parameters": {"ipPermissions": {"items": list(permissions)}}}}}


def ports(low: Any, high: Any, protocol: str = "tcp", source: str | None = None) -> dict[str, Any]:
    permission: dict[str, Any] = {"ipProtocol": protocol, "fromPort": low, "toPort": high}
    if source is not None:
        permission["ipRanges"] = {"items": [{"cidrIp": source}]}
    return permission


def rule_where(*items: dict[str, Any]) -> tuple[Comparison, ...]:
    rule = parse_rule(
        {
            "id": "where-values",
            "title": "t",
            "severity": "high",
            "index": "cloudtrail",
            "query": "event.action:AuthorizeSecurityGroupIngress",
            "where": list(items),
        }
    )
    return rule.where


IN_RANGE = {"field": f"{ITEMS}.fromPort", "op": "in_range", "other": f"{ITEMS}.toPort", "values": [22, 3389]}


@pytest.mark.parametrize(
    "permissions, holds",
    [
        ((ports(3000, 4000),), True),
        ((ports(22, 22),), True),
        ((ports(0, 65535),), True),
        # Text, as a flat_object would give it, compares as numbers: "3000" < "3389" < "4000".
        ((ports("3000", "4000"),), True),
        ((ports(23, 3388), ports(3390, 8080)), False),
        # One item's start and another's end never make a range (443-443, 20-21 stay apart).
        ((ports(443, 443), ports(20, 21)), False),
        ((ports(20, 21), ports(443, 443)), False),
        ((ports(8, -1, "icmp"),), False),
        ((ports(None, 4000),), False),
        ((ports("x", 4000),), False),
        ((), False),
    ],
)
def test_a_range_holds_a_value_only_within_one_object(
    permissions: tuple[dict[str, Any], ...], holds: bool
) -> None:
    (comparison,) = rule_where(IN_RANGE)
    assert comparison.holds(document(*permissions)) is holds


def test_fields_are_paired_at_their_common_parent() -> None:
    flat = {"a": {"fromPort": 1, "toPort": 2, "items": [{"fromPort": 3, "toPort": 4}, {"fromPort": 5}]}}
    assert paired_values(flat, "a.fromPort", "a.toPort") == [(1, 2)]
    assert paired_values(flat, "a.items.fromPort", "a.items.toPort") == [(3, 4), (5, None)]
    assert paired_values({"x": 1, "y": 2}, "x", "y") == [(1, 2)]


def test_any_differs_sees_another_value_wherever_it_stands_in_a_list() -> None:
    acl = "aws.cloudtrail.request_parameters.AccessControlPolicy"
    (other,) = rule_where(
        {"field": f"{acl}.Grant.Grantee.ID", "op": "any_differs", "other": f"{acl}.Owner.ID"}
    )

    def body(*grantees: str) -> dict[str, Any]:
        policy = {"Owner": {"ID": "owner"}, "Grant": [{"Grantee": {"ID": grantee}} for grantee in grantees]}
        return {"aws": {"cloudtrail": {"request_parameters": {"AccessControlPolicy": policy}}}}

    assert other.holds(body("owner", "intruder"))
    assert other.holds(body("intruder"))
    assert not other.holds(body("owner"))
    assert not other.holds(body())
    # "!=" compares first values: the owner listed first hides the intruder from it.
    (first,) = rule_where({"field": f"{acl}.Grant.Grantee.ID", "op": "!=", "other": f"{acl}.Owner.ID"})
    assert not first.holds(body("owner", "intruder"))


def test_one_of_and_any() -> None:
    protocol = {"field": f"{ITEMS}.ipProtocol", "op": "one_of", "values": ["-1"]}
    (either,) = rule_where({"any": [IN_RANGE, protocol]})
    assert either.holds(document(ports(443, 443), {"ipProtocol": "-1"}))
    assert either.holds(document(ports(3389, 3389)))
    assert not either.holds(document(ports(443, 443)))
    (numbers,) = rule_where({"field": f"{ITEMS}.fromPort", "op": "one_of", "values": [443]})
    assert numbers.holds(document(ports(443, 443)))


WORLD_ON_SSH = {
    "any_item": ITEMS,
    "all": [
        {"field": "ipRanges.items.cidrIp", "op": "one_of", "values": ["0.0.0.0/0"]},
        {"field": "fromPort", "op": "in_range", "other": "toPort", "values": [22]},
    ],
}


@pytest.mark.parametrize(
    "permissions, holds",
    [
        ((ports(22, 22, source="0.0.0.0/0"),), True),
        ((ports(443, 443, source="0.0.0.0/0"), ports(20, 30, source="0.0.0.0/0")), True),
        # The world's permission holds no SSH; SSH's permission is not the world's.
        ((ports(443, 443, source="0.0.0.0/0"), ports(22, 22, source="10.0.0.0/8")), False),
        ((ports(22, 22, source="10.0.0.0/8"), ports(443, 443, source="0.0.0.0/0")), False),
        ((ports(22, 22),), False),
        ((), False),
    ],
)
def test_any_item_reads_all_its_comparisons_in_one_object(
    permissions: tuple[dict[str, Any], ...], holds: bool
) -> None:
    (comparison,) = rule_where(WORLD_ON_SSH)
    assert comparison.holds(document(*permissions)) is holds


def test_any_item_over_one_object_reads_that_object() -> None:
    """A path to a mapping (the legacy flat request) is one object, as a list of one."""
    (legacy,) = rule_where(
        {
            "any_item": "aws.cloudtrail.request_parameters",
            "all": [
                {"field": "cidrIp", "op": "one_of", "values": ["0.0.0.0/0"]},
                {
                    "any": [
                        IN_RANGE | {"field": "fromPort", "other": "toPort"},
                        {"field": "ipProtocol", "op": "one_of", "values": ["-1"]},
                    ]
                },
            ],
        }
    )

    def request(**parameters: Any) -> dict[str, Any]:
        return {"aws": {"cloudtrail": {"request_parameters": parameters}}}

    assert legacy.holds(request(cidrIp="0.0.0.0/0", fromPort=3389, toPort=3389))
    assert legacy.holds(request(cidrIp="0.0.0.0/0", ipProtocol="-1"))
    assert not legacy.holds(request(cidrIp="0.0.0.0/0", fromPort=443, toPort=443))
    assert not legacy.holds(request(cidrIp="10.0.0.0/8", fromPort=22, toPort=22))
    assert not legacy.holds({"aws": {"cloudtrail": {"request_parameters": "text"}}})


def cidrs(*sources: Any) -> dict[str, Any]:
    return document({"ipProtocol": "tcp", "ipRanges": {"items": [{"cidrIp": source} for source in sources]}})


WIDE = {"field": f"{ITEMS}.ipRanges.items.cidrIp", "op": "prefix_at_most", "values": [7]}


@pytest.mark.parametrize(
    "sources, holds",
    [
        (("0.0.0.0/0",), True),
        # Everyone in two halves, either of them enough; host bits set (EC2 keeps the network).
        (("0.0.0.0/1", "128.0.0.0/1"), True),
        (("128.0.0.0/1",), True),
        (("1.2.3.4/0",), True),
        (("10.0.0.0/7",), True),
        ((" 64.0.0.0/2 ",), True),
        (("::/1",), True),
        (("8000::/1",), True),
        (("2000::/3",), True),
        # Exactly the bound's next bit: 10.0.0.0/8 (private), an office, one address.
        (("10.0.0.0/8",), False),
        (("198.51.0.0/16",), False),
        (("203.0.113.7",), False),
        (("fd00::/8",), False),
        # Malformed values never raise, never match.
        (("0.0.0.0/33",), False),
        (("everyone",), False),
        (("0.0.0.0/-1",), False),
        ((0,), False),
        ((None,), False),
        (({"cidrIp": "0.0.0.0/0"},), False),
        ((), False),
    ],
)
def test_prefix_at_most_reads_a_range_however_it_is_spelled(sources: tuple[Any, ...], holds: bool) -> None:
    (comparison,) = rule_where(WIDE)
    assert comparison.holds(cidrs(*sources)) is holds


def test_prefix_at_most_bound_is_inclusive() -> None:
    (at_8,) = rule_where(WIDE | {"values": [8]})
    assert at_8.holds(cidrs("10.0.0.0/8"))
    assert not at_8.holds(cidrs("10.0.0.0/9"))
    (at_0,) = rule_where(WIDE | {"values": [0]})
    assert at_0.holds(cidrs("1.2.3.4/0"))
    assert not at_0.holds(cidrs("0.0.0.0/1"))


@pytest.mark.parametrize(
    "item",
    [
        {**WIDE, "values": []},
        {**WIDE, "values": [7, 8]},
        {**WIDE, "values": [129]},
        {**WIDE, "values": [-1]},
        {**WIDE, "values": ["wide"]},
        {**WIDE, "other": "x"},
        {"field": f"{ITEMS}.ipRanges.items.cidrIp", "op": "prefix_at_most"},
        {**IN_RANGE, "values": []},
        {**IN_RANGE, "values": ["twenty-two"]},
        {"field": f"{ITEMS}.fromPort", "op": "in_range", "values": [22]},
        {"field": f"{ITEMS}.ipProtocol", "op": "one_of"},
        {"field": f"{ITEMS}.ipProtocol", "op": "one_of", "values": ["-1"], "other": "x"},
        {"any": [IN_RANGE]},
        {"any": [IN_RANGE, IN_RANGE], "field": "x"},
        {"any_item": ITEMS, "all": []},
        {"any_item": ITEMS, "all": IN_RANGE},
        {"any_item": "", "all": [IN_RANGE]},
        {"any_item": ITEMS},
        {"any_item": ITEMS, "all": [IN_RANGE], "field": "x"},
        {"any_item": ITEMS, "all": [{"field": "fromPort", "op": "in_range"}]},
    ],
)
def test_malformed_items_are_refused(item: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        rule_where(item)


def test_applies_to_on_any_compares_only_its_events() -> None:
    """A where list of items with applies_to is a table: each kind of event is compared on its
    own field(s), and the others pass the item."""
    table = rule_where(
        {
            "any": [
                {"field": "aws.cloudtrail.request_parameters.principal", "op": "one_of", "values": ["*"]},
                {"field": "aws.cloudtrail.request_parameters.policy", "op": "one_of", "values": ["open"]},
            ],
            "applies_to": {"event.action": ["PutPermission"]},
        },
        {
            "field": "aws.cloudtrail.request_parameters.policyText",
            "op": "one_of",
            "values": ["open"],
            "applies_to": {"event.action": ["SetRepositoryPolicy"]},
        },
    )

    def call(action: str, **parameters: str) -> dict[str, Any]:
        return {"event": {"action": action}, "aws": {"cloudtrail": {"request_parameters": parameters}}}

    def holds(document: dict[str, Any]) -> bool:
        return all(item.holds(document) for item in table)

    assert holds(call("PutPermission", principal="*"))
    assert holds(call("PutPermission", policy="open"))
    assert not holds(call("PutPermission", principal="111122223333", policy="closed"))
    assert holds(call("SetRepositoryPolicy", policyText="open"))
    assert not holds(call("SetRepositoryPolicy", policyText="closed", principal="*"))
    assert holds(call("SomethingElse"))
    with pytest.raises(ValueError):
        rule_where({"any": [IN_RANGE, IN_RANGE], "applies_to": {"event.action": "PutPermission"}})


@pytest.mark.parametrize(
    "target, caller, same",
    [
        ("alice", "alice", True),
        ("ALICE", "alice", True),  # IAM names are unique regardless of case
        (["Web-App"], ["web-app"], True),  # user.roles is a list: its first value
        ("alice", "alice2", False),
        (None, "alice", False),
        ("alice", None, False),
        ([], ["alice"], False),
    ],
)
def test_same_name_compares_iam_names_in_any_case(target: Any, caller: Any, same: bool) -> None:
    (comparison,) = rule_where({"field": "user.target.name", "op": "same_name", "other": "user.name"})
    assert comparison.holds({"user": {"target": {"name": target}, "name": caller}}) is same
