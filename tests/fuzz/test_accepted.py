"""Every document is one Serverless indexes: hostile values where each field is read.

test_fuzz.py changes members a seed record has; a field whose raw member the seeds lack
(``service.archived`` of a finding without it) was never given a hostile value. Here each
field's own raw path (``Field.raw``, normalizers/<source>/fields.py) is set, creating the
objects on the way, to a value of another type or of no meaning; the record must still become
one document that OpenSearch Serverless accepts (:func:`tests.fuzz.harness.refusals`) or one
dead letter with its reason and bytes.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalizers import DeadLetter
from normalizers.registry import spec as spec_of
from tests.fuzz.harness import bare_records, normalize, refusals, seeds, some
from tests.fuzz.test_fuzz import HOSTILE, JSON_SOURCES, assert_foreseen, documents_of_trees

settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


VALUES = [*HOSTILE, 2**64, -(2**63) - 1, "\ud800", {"\udfff": 1}]
"""test_fuzz.py's hostile values, integers no 64 bits hold and lone surrogates (JSON text
escapes them; the containers built with orjson or Arrow there cannot hold them)."""


@cache
def raw_paths(source: str) -> tuple[tuple[str, ...], ...]:
    """The raw members the source's fields read (``service.archived``), each a path of keys;
    ``[]`` (each entry of a list) is the list's first entry (cached: drawn from for every change)."""
    paths = {tuple(item.raw.replace("[]", ".0").split(".")) for item in spec_of(source).fields if item.raw}
    return tuple(sorted(paths))


def with_value(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """``tree`` with ``value`` at ``path``, the objects and lists on the way made where missing
    or of another type (a digit is a list's index)."""
    node: Any = tree
    for key, following in itertools.pairwise(path):
        wanted = list if following.isdigit() else dict
        child = _child(node, key)
        if not isinstance(child, wanted):
            child = wanted()
            _put(node, key, child)
        node = child
    _put(node, path[-1], value)


def _child(node: dict[str, Any] | list[Any], key: str) -> Any:
    if isinstance(node, list):
        return node[int(key)] if int(key) < len(node) else None
    return node.get(key)


def _put(node: dict[str, Any] | list[Any], key: str, value: Any) -> None:
    if isinstance(node, list):
        node[int(key) :] = [value]
    else:
        node[key] = value


@pytest.mark.parametrize("source", JSON_SOURCES)
@given(data=st.data())
def test_a_hostile_value_where_a_field_is_read_is_indexed_or_dead_lettered(
    source: str, data: st.DataObject
) -> None:
    raws = data.draw(some(st.sampled_from(bare_records(source)), 1, 3))
    trees = []
    for raw in raws:
        tree = orjson.loads(raw)
        for _ in range(data.draw(st.integers(1, 3))):
            path = data.draw(st.sampled_from(raw_paths(source)))
            with_value(tree, path, copy.deepcopy(data.draw(st.sampled_from(VALUES))))
        trees.append(tree)
    for document in documents_of_trees(source, trees):
        assert not refusals(document), refusals(document)


def _from_guardduty(raw: bytes) -> bool:
    return b"product/aws/guardduty" in raw


REFUSED_ONCE: list[tuple[str, tuple[str, ...], Any, str]] = [
    ("guardduty", ("service", "archived"), " ", "archived is a string, expected a boolean"),
    ("guardduty", ("service", "count"), "Infinity", "count is a string, expected a number"),
    ("guardduty", ("service", "detectorId"), {"a": [1]}, "detectorId is a object, expected a string"),
    ("guardduty", ("service", "userFeedback"), {"a": 1}, "userFeedback is a object, expected a string"),
    ("guardduty", ("resource", "resourceType"), {"": None}, "resourceType is a object, expected a string"),
    ("guardduty", ("confidence",), 1e308, "confidence 1e+308 is beyond a 32-bit float"),
    ("securityhub", ("Confidence",), 1e308, "Confidence 1e+308 is beyond a 64-bit integer"),
    ("securityhub", ("Criticality",), -1e19, "Criticality -1e+19 is beyond a 64-bit integer"),
    ("securityhub", ("Severity", "Normalized"), 1e308, "Severity.Normalized 1e+308 is outside 0-100"),
    ("securityhub", ("Remediation", "Recommendation"), " ", "Recommendation is a string, expected an object"),
    ("securityhub", ("Remediation", "Recommendation", "Url"), {"a": 1}, "Url is a object, expected a string"),
]
"""Values each of which once made a document Serverless refuses whole (a mapping error), its
finding indexed nowhere: ``service.archived`` of ``" "`` in a ``boolean``, an object in a
``keyword``, 1e308 in a ``long`` or a 32-bit ``float``; Security Hub's ``Severity.Normalized``
was checked only for findings it scored (not a GuardDuty finding's)."""


@pytest.mark.parametrize(("source", "path", "value", "reason"), REFUSED_ONCE)
def test_a_value_no_field_of_its_template_takes_is_its_records_dead_letter(
    source: str, path: tuple[str, ...], value: Any, reason: str
) -> None:
    seeds = [raw for raw in bare_records(source) if source != "securityhub" or _from_guardduty(raw)]
    tree = orjson.loads(seeds[0])
    with_value(tree, path, value)
    body = json.dumps(tree).encode()
    [item] = normalize(body, source)
    assert isinstance(item, DeadLetter), refusals(item)
    assert (item.reason, item.raw) == (f"invalid record: {reason}", body)


FLOW_TOKENS = [
    "-",
    "0",
    "-1",
    "x" * 5000,
    "99999999999999999999",
    "18446744073709551616",
    "1e999",
    "NaN",
    "Infinity",
    "0x1F",
    "1.5",
    "256.256.256.256",
    "::ffff:1.2.3.4",
    "fe80::1%eth0",
    "\u0661\u0662\u0663",
    "9999999999999",
    "\x00",
    "\ufeff",
]
"""Tokens a flow log field may hold that no format allows there (no blank: a blank splits fields)."""


@given(data=st.data())
def test_a_hostile_token_in_any_flow_field_is_indexed_or_dead_lettered(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds("vpcflow")))
    header, line = seed.split(b"\n", 1)
    tokens = line.split(b" ")
    for _ in range(data.draw(st.integers(1, 3))):
        tokens[data.draw(st.integers(0, len(tokens) - 1))] = data.draw(st.sampled_from(FLOW_TOKENS)).encode()
    body = header + b"\n" + b" ".join(tokens) + b"\n"
    [item] = normalize(body, "vpcflow")
    if isinstance(item, DeadLetter):
        assert_foreseen(item)
    else:
        assert not refusals(item), refusals(item)
