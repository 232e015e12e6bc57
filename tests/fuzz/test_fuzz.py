"""Property-based fuzzing of every source in every container (issue 19, deliverable 3), and in
every delivery path's (CloudWatch Logs subscription payloads, Security Lake's OCSF Parquet, the
Firehose error output).

Profiles (``HYPOTHESIS_PROFILE``): ``ci``, the default in ``make test``, a few hundred
examples per source, derandomized so that CI is deterministic; ``long`` (``make fuzz``),
thousands of random examples with hypothesis's example database, on demand. An input that
fails goes into ``tests/fuzz/corpus/`` (see ``test_corpus.py``) once its bug is fixed. Each
target is a test id (``cloudtrail``, ``vpcflow-via-cloudwatch_logs``, ``securitylake``...):
``-k`` picks some.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from demo.records.cloudwatch_logs import firehose_object
from normalizers import SOURCES, DeadLetter
from normalizers.registry import spec as spec_of
from tests.conftest import dataset_of
from tests.fuzz import deliveries
from tests.fuzz.harness import (
    REASONS,
    Target,
    bare_records,
    check_object,
    compatible_records,
    compressions,
    containers,
    flow_headers,
    normalize,
    seeds,
    some,
    targets,
)

settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TARGETS = targets()
IDS = [target.id for target in TARGETS]
NOISE = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b" ",
    b"\xef\xbb\xbf",
    b"null",
    b"1e999",
    b"123456789012345678901234567890",
    b"\xff",
    b"\x00",
    b"-",
    b"0",
]


@st.composite
def wrapped(draw: st.DrawFn, target: Target) -> tuple[bytes, int]:
    container = draw(st.sampled_from(containers(target.source, target.delivery)))
    records = draw(compatible_records(target.source, _pool(target), 6))
    compress = draw(st.sampled_from(sorted(compressions())))
    return compressions()[compress](container.wrap(target.source, records), records), len(records)


@cache
def _pool(target: Target) -> tuple[bytes, ...]:
    """The seeds every container of ``target`` can wrap (cached: drawn from for every example)."""
    bare = any(c.bare_only for c in containers(target.source, target.delivery))
    return bare_records(target.source) if bare else seeds(target.source)


@st.composite
def mutated(draw: st.DrawFn, target: Target) -> bytes:
    data, _ = draw(wrapped(target))
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["insert", "delete", "cut", "flip"]))
        if kind == "insert":
            out[where:where] = draw(st.sampled_from(NOISE) | st.binary(max_size=8))
        elif kind == "delete":
            del out[where : where + draw(st.integers(1, 40))]
        elif kind == "cut":
            del out[where:]
        elif out:
            out[min(where, len(out) - 1)] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
@given(data=st.data())
def test_records_in_every_container_become_one_document_each(target: Target, data: st.DataObject) -> None:
    body, records = data.draw(wrapped(target))
    check_object(body, target.key, records)


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
@given(data=st.data())
def test_mutated_objects_keep_the_invariants(target: Target, data: st.DataObject) -> None:
    check_object(data.draw(mutated(target)), target.key)


@pytest.mark.parametrize("target", TARGETS, ids=IDS)
@given(junk=st.binary(max_size=2000) | some(st.sampled_from(NOISE), 0, 60).map(b"".join))
def test_junk_keeps_the_invariants(target: Target, junk: bytes) -> None:
    check_object(junk, target.key)


# -- hostile values in a well-formed container ----------------------------------------------

HOSTILE: list[Any] = [
    None,
    "",
    " ",
    "-",
    "0",
    "x" * 70_000,
    "\x00",
    "9999-99-99T99:99:99Z",
    "not an address",
    -1,
    0,
    2**63 - 1,
    -(2**63),
    1e308,
    True,
    [],
    [None],
    {"": None},
    {"a": [1, "b"]},
    "1" + "0" * 30,  # as an integer: beyond 64 bits
    "1e999999999",
    "Infinity",
    "NaN",
    "\u0661\u0662\u0663",
    {"a": {"a": {"a": {"a": [[[[{"a": 1}]]]]}}}},
    1e39,  # beyond a 32-bit float
    {"k" * 40_000: "v"},  # a key longer than a term
    {"": "", "a.b": 1},  # keys a path cannot name
]
"""Values a field may hold in a well-formed object that no specification allows there."""
DELETED = object()
UNFORESEEN = re.compile(r"invalid record: [A-Z]\w*(?:Error|Exception): ")
"""A dead letter of an exception a mapper did not raise on purpose (``unexpected``)."""


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member of a JSON-like tree (dict keys, list indices), the tree's own excluded."""
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    out = []
    for key, child in children:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    """``tree`` with the member at ``path`` replaced by ``value`` (or deleted), where it exists."""
    for key in path[:-1]:
        try:
            tree = tree[key]
        except (KeyError, IndexError, TypeError):
            return
    key = path[-1]
    in_list = isinstance(tree, list) and type(key) is int and key < len(tree)
    if in_list or (isinstance(tree, dict) and key in tree):
        if value is DELETED:
            del tree[key]
        else:
            tree[key] = value


HOSTILE_OR_DELETED = [*HOSTILE, DELETED]
Change = tuple[tuple[Any, ...], Any]
"""A member's path and its hostile value (or :data:`DELETED`)."""


@st.composite
def hostile_changes(draw: st.DrawFn, tree: Any) -> list[Change]:
    """1 to 3 members of ``tree``, each with a hostile value."""
    paths = _paths(tree)
    assume(paths)  # a real precondition: a tree without members has none to change (no seed is one)
    return [
        (draw(st.sampled_from(paths)), draw(st.sampled_from(HOSTILE_OR_DELETED)))
        for _ in range(draw(st.integers(1, 3)))
    ]


def changed(trees: list[Any], changes: list[Change]) -> list[Any]:
    """``trees``, changed in place: each member of ``changes`` at the same path in every tree
    (so that a column keeps one type across Parquet rows)."""
    for path, value in changes:
        for tree in trees:
            # A copy each time: the same list or dict set at two paths (a path inside the one
            # set before it, or the same path in two trees) would make a tree that refers to
            # itself, which no JSON text or Parquet row can be (json.dumps raised "Circular
            # reference detected", orjson "Recursion limit reached", pyarrow's from_pylist
            # overflowed the C stack), and :data:`HOSTILE`'s own values, changed by a later
            # path inside them, would carry that into every later example.
            _set(tree, path, value if value is DELETED else copy.deepcopy(value))
    return trees


@st.composite
def hostile_trees(draw: st.DrawFn, trees: list[Any]) -> list[Any]:
    """``trees`` with 1 to 3 members, each at the same path in every tree, given one hostile value."""
    return changed(trees, draw(hostile_changes(trees[0])))


def _others(value: Any) -> list[Any]:
    """:data:`HOSTILE_OR_DELETED` from the one after ``value`` on, round to the one before it."""
    at = next(number for number, hostile in enumerate(HOSTILE_OR_DELETED) if hostile is value)
    return [*HOSTILE_OR_DELETED[at + 1 :], *HOSTILE_OR_DELETED[:at]]


@st.composite
def hostile_lake_object(draw: st.DrawFn) -> tuple[bytes, int]:
    """Security Lake rows of one schema with hostile values (as :func:`hostile_trees`) in one
    Parquet file, and how many rows it holds.

    Arrow holds no row of some values (a list of mixed types, a null map entry), and no Parquet
    file can deliver those. The drawn changes are kept when Arrow holds their rows, so every
    object they can make is made by the same draws; else they are applied one at a time, each
    with the first value from its own on (:func:`_others`) that Arrow holds there, or left out
    when none is: an object with hostile values all the same, not an example discarded (one in
    eight was, measured)."""
    records = draw(compatible_records("securitylake", seeds("securitylake"), 6))
    schema = deliveries.table_of(records[0]).schema
    rows = [row for record in records for row in deliveries.table_of(record).to_pylist()]
    drawn = draw(hostile_changes(rows[0]))
    body = deliveries.rows_object(changed(copy.deepcopy(rows), drawn), schema)
    if body is not None:
        return body, len(rows)
    kept: list[Change] = []
    body = deliveries.rows_object(rows, schema)  # the seeds' rows, each from a Parquet file
    for path, value in drawn:
        for candidate in [value, *_others(value)]:
            held = deliveries.rows_object(changed(copy.deepcopy(rows), [*kept, (path, candidate)]), schema)
            if held is not None:
                kept, body = [*kept, (path, candidate)], held
                break
    assert body is not None, "rows read from Parquet files fit no Parquet file"
    return body, len(rows)


@given(lake=hostile_lake_object())
def test_ocsf_rows_with_hostile_values_become_one_item_each(lake: tuple[bytes, int]) -> None:
    body, rows = lake
    items = check_object(body, "securitylake")
    # Records in = indexed + dead-lettered: one item a row, unless the object is no OCSF (its
    # class_uid or every nested column gone): then one dead letter for the object.
    if not (len(items) == 1 and isinstance(items[0], DeadLetter) and items[0].position == "object"):
        assert len(items) == rows, (len(items), rows, items[:3])


JSON_SOURCES = [source for source in SOURCES if spec_of(source).framing is not None and bare_records(source)]


@pytest.mark.parametrize("source", JSON_SOURCES)
@given(data=st.data())
def test_records_with_hostile_values_become_one_item_each(source: str, data: st.DataObject) -> None:
    """Each record, whatever its members hold, is one document the bulk writer can encode or
    one dead letter (AWS Config's compliance item one per rule), and no failure is one no check
    foresaw. (Which fields a document of a record missing required members still has is the
    mappers' choice: not asserted here.)"""
    raws = data.draw(some(st.sampled_from(bare_records(source)), 1, 4))
    trees = [data.draw(hostile_trees([orjson.loads(raw)])) for raw in raws]
    for document in documents_of_trees(source, trees):
        orjson.dumps(document)


def assert_foreseen(letter: DeadLetter) -> None:
    """A dead letter with a reason the normalizers give and its bytes, from no failure a check
    did not foresee."""
    assert letter.reason.split(":", 1)[0] in REASONS and letter.raw, letter
    assert not UNFORESEEN.match(letter.reason), letter.reason


def documents_of_trees(source: str, trees: list[Any]) -> list[dict[str, Any]]:
    """The documents of ``trees`` written as one object of JSON lines, once each tree is checked
    to be one item (AWS Config's compliance item one per rule) and each dead letter foreseen."""
    body = b"\n".join(json.dumps(tree).encode("utf-8", "surrogatepass") for tree in trees)
    items = normalize(body, source)
    if source != "config":
        assert len(items) == len(trees), (len(items), len(trees), items[:3])
    documents = []
    for item in items:
        if isinstance(item, DeadLetter):
            assert_foreseen(item)
        else:
            documents.append(item)
    return documents


@pytest.mark.parametrize("source", ["cloudtrail", "vpcflow"])
@given(data=st.data())
def test_subscription_payloads_with_hostile_values_keep_the_invariants(
    source: str, data: st.DataObject
) -> None:
    records = data.draw(compatible_records(source, _pool(Target(source, "cloudwatch_logs")), 6))
    payloads = deliveries.payloads(source, records, flow_headers())
    payloads[1:] = data.draw(hostile_trees(payloads[1:]))  # the data payloads
    body = data.draw(st.sampled_from([deliveries.decompressed(payloads), firehose_object(payloads)]))
    items = check_object(body, "cloudwatch_logs")
    # A log event is one record: its item, or, in a payload that cannot be read, the payload's.
    assert len(items) <= len(records), (len(items), len(records))


# -- keys named like another format's marker, nested in a record ----------------------------

NESTED_MARKERS: list[tuple[str, str]] = [
    ("eventVersion", "1.08"),
    ("Records", "x"),
    ("schemaVersion", "2.2"),  # every SSM document's
    ("detectorId", "d"),
    ("Arn", "arn:aws:guardduty:us-east-1:111111111111:detector/d/finding/f"),
    ("SchemaVersion", "2018-10-08"),
    ("ProductArn", "arn:aws:securityhub:us-east-1::product/aws/guardduty"),
    ("AwsAccountId", "111111111111"),
    ("finding_info", "x"),
    ("configurationItem", "x"),
    ("configSnapshotId", "x"),
    ("digestStartTime", "2024-05-01T12:00:00Z"),
    ("detail-type", "GuardDuty Finding"),
    ("Type", "Notification"),
    ("messageType", "DATA_MESSAGE"),
    ("rawData", "eA=="),
]
"""Keys that are some format's marker (each spec's ``Recognition``, the envelopes', the
deliveries'), with a string value a map of strings may hold (ASFF ``ProductFields``)."""


def _nested(tree: Any) -> list[tuple[Any, ...]]:
    """The paths to the objects nested in ``tree``."""
    return [path for path in _paths(tree) if isinstance(_at(tree, path), dict)]


@cache
def _nesting_records(source: str) -> tuple[bytes, ...]:
    """The bare records with an object nested in them (some CloudTrail and GuardDuty seeds
    have members of scalars only)."""
    return tuple(raw for raw in bare_records(source) if _nested(orjson.loads(raw)))


@st.composite
def nested_marker(draw: st.DrawFn, tree: dict[str, Any]) -> dict[str, Any]:
    """``tree`` (a record) with a marker-named member first in one of its nested objects, and
    the record's member holding that object moved first (JSON leaves members in any order); a
    record with no nested object, as it is."""
    nested = _nested(tree)
    if not nested:
        return tree
    path = draw(st.sampled_from(nested))
    parent = _at(tree, path[:-1]) if len(path) > 1 else tree
    target = parent[path[-1]]
    # A marker the object does not have already (no object has them all).
    name, value = draw(st.sampled_from([marker for marker in NESTED_MARKERS if marker[0] not in target]))
    parent[path[-1]] = {name: value, **target}
    return {path[0]: tree[path[0]], **tree}


def _at(tree: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _shape(items: list[Any]) -> list[tuple[str, str]]:
    """What each item is: a document of a dataset, or a dead letter of a reason."""
    return [
        ("dead letter", item.reason.split(":", 1)[0])
        if isinstance(item, DeadLetter)
        else ("document", dataset_of(item))
        for item in items
    ]


@pytest.mark.parametrize("source", JSON_SOURCES)
@given(data=st.data())
def test_a_marker_named_key_nested_in_a_record_changes_nothing(source: str, data: st.DataObject) -> None:
    """A record's nested keys are its own data (an SSM document's ``schemaVersion`` in CloudTrail's
    ``requestParameters``): one named like any format's marker, in a nested object that comes
    before the record's own marker, leaves every item what it was, in every container."""
    container = data.draw(st.sampled_from([c for c in containers(source) if c.name != "flow log text"]))
    # The first record has a nested object to change, the others may have none (then they are
    # neighbours, as they are).
    first = data.draw(st.sampled_from(_nesting_records(source)))
    raws = [first, *data.draw(some(st.sampled_from(bare_records(source)), 0, 3))]
    marked = [orjson.dumps(data.draw(nested_marker(orjson.loads(raw)))) for raw in raws]
    before, after = (
        normalize(container.wrap(source, raws), source),
        normalize(container.wrap(source, marked), source),
    )
    assert _shape(after) == _shape(before), (_shape(before), _shape(after))
