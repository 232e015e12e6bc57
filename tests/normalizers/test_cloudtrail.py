"""CloudTrail normalizer: the streaming splitter, bad input, memory, and every public sample."""

from __future__ import annotations

import gzip
import io
import json
import random
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.cloudtrail.actor import ActorCache, identity_fields, identity_parties
from normalizers.cloudtrail.compiled import CompiledBuilders
from normalizers.cloudtrail.normalize import normalize as normalize_cloudtrail
from normalizers.cloudtrail.spec import SPEC as CLOUDTRAIL
from normalizers.cloudtrail.tables import HIDDEN_USER_NAME
from normalizers.ecs.actor import Actor, actor_fields
from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import as_bool
from normalizers.framing import json_stream
from normalizers.framing.json_stream import JsonRecord, json_records
from normalizers.limits import DEFAULT_LIMITS, Limits
from tests.conftest import missing_fields
from tests.normalizers.streams import Trickle

ORIGIN = Origin(object="test-object", ingested="2026-01-01T00:00:00.000Z")

# Strings that fool a naive splitter: record separators, brackets and escapes inside strings.
TRICKY = [
    "},{",
    "}, {",
    "}]",
    "]",
    "}",
    "{",
    "[",
    '"',
    "\\",
    '\\"',
    '"},{"',
    "}\n{",
    '},{"eventVersion":"1.08"}',
    "é中😀",
    "\u2028",
    "\t",
    "/",
    ",",
    ":",
    "\\u0041",
    "null",
    "",
]


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(7 if depth < 6 else 3)
    if kind == 0:
        return rng.choice(TRICKY) + rng.choice(TRICKY)
    if kind == 1:
        return rng.choice([0, -1, 3.25, 1e20, True, False, None])
    if kind == 2:
        return "".join(rng.choice(TRICKY) for _ in range(rng.randrange(1, 6)))
    if kind in (3, 4):  # arrays of objects: the `},{` inside a record
        return [{rng.choice(TRICKY) + str(i): _value(rng, depth + 1)} for i in range(rng.randrange(0, 5))]
    return {rng.choice(TRICKY) + str(i): _value(rng, depth + 1) for i in range(rng.randrange(0, 5))}


def _record(rng: random.Random, index: int) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventID": f"id-{index}",
        "eventTime": "2024-05-01T12:00:00Z",
        "eventName": "PutObject",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": "IAMUser",
            "userName": rng.choice(TRICKY) + "alice",
            "accountId": "111122223333",
        },
        "requestParameters": {"k": _value(rng, 0), "list": [_value(rng, 1) for _ in range(3)]},
        "responseElements": _value(rng, 2),
    }


def _layouts(records: list[dict[str, Any]]) -> dict[str, bytes]:
    envelopes = [
        {"version": "0", "id": "e", "detail-type": "AWS API Call via CloudTrail", "detail": r}
        for r in records
    ]
    return {
        "compact log file": orjson.dumps({"Records": records}),
        "pretty log file": json.dumps({"Records": records}, indent=2).encode(),
        "ascii-escaped log file": json.dumps({"Records": records}, ensure_ascii=True).encode(),
        "bare array": b"\xef\xbb\xbf" + json.dumps(records, indent=1, ensure_ascii=False).encode(),
        "newline-delimited": b"\n".join(orjson.dumps(r) for r in records) + b"\n",
        "concatenated": b"".join(orjson.dumps(r) for r in records),
        "concatenated pretty": b" \r\n".join(json.dumps(r, indent=3).encode() for r in records),
        "eventbridge stream": b"\n".join(orjson.dumps(e) for e in envelopes),
    }


def _pieces(data: bytes, chunk: int = 1 << 20, limits: Limits = DEFAULT_LIMITS) -> list[JsonRecord]:
    return list(json_records(Trickle(data, chunk), CLOUDTRAIL.framing.wrapper, limits))  # type: ignore[arg-type]


def _expected_values(layout: str, records: list[dict[str, Any]]) -> list[Any]:
    if layout == "eventbridge stream":
        return [r["detail"] for r in (orjson.loads(line) for line in _layouts(records)[layout].splitlines())]
    return records


@pytest.mark.parametrize("seed", range(12))
def test_splitter_yields_each_record_whatever_the_layout_and_chunking(seed: int) -> None:
    rng = random.Random(seed)
    records = [_record(rng, i) for i in range(rng.randrange(1, 8))]
    for layout, data in _layouts(records).items():
        for chunk in (1, 3, 13, 509, 1 << 20):
            pieces = _pieces(data, chunk)
            assert [p.error for p in pieces] == [None] * len(pieces), (layout, chunk)
            values = [p.value["detail"] if layout == "eventbridge stream" else p.value for p in pieces]
            assert values == _expected_values(layout, records), (layout, chunk)
            assert all(orjson.loads(p.raw) == p.value for p in pieces), (layout, chunk)


def test_huge_field_deep_nesting_and_many_candidate_ends() -> None:
    deep: Any = "bottom"
    for level in range(400):
        deep = [{"level": level, "next": deep}] if level % 2 else {"level": level, "next": deep}
    records = [
        {"eventName": "A", "blob": "x},{y]" * 600_000},  # 3.6 MB of false ends in one string
        {"eventName": "B", "deep": deep},
        {"eventName": "C", "items": [{"i": i} for i in range(5000)]},  # 5000 `},{` outside strings
        {"eventName": "D"},
    ]
    compact = {"separators": (",", ":")}  # stdlib json: orjson refuses to write this deep
    for data in (
        json.dumps({"Records": records}, **compact).encode(),  # type: ignore[arg-type]
        b"\n".join(json.dumps(r, **compact).encode() for r in records),
    ):  # type: ignore[arg-type]
        for chunk in (4093, 1 << 20):
            pieces = _pieces(data, chunk)
            # Past json_stream.MAX_DEPTH levels a record is cut out whole and dead-lettered.
            assert [p.value for p in pieces] == [records[0], None, records[2], records[3]]
            assert (pieces[1].error or "").startswith("invalid JSON: depth limit exceeded")
            assert json.loads(pieces[1].raw) == records[1]


def test_candidate_retries_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real_loads = orjson.loads

    def counting_loads(data: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_loads(data)

    monkeypatch.setattr(json_stream.orjson, "loads", counting_loads)
    record = {"eventName": "A", "items": [{"i": i} for i in range(10_000)]}
    data = orjson.dumps({"Records": [record, record]})
    pieces = _pieces(data)
    assert [p.value for p in pieces] == [record, record]
    # Each try is at least twice as long as the last: about log2(size) parses per record.
    assert calls <= 2 * (len(data).bit_length() + 2)


LAYOUT_WITH_BAD_SECOND = {
    "log file": b'{"Records":[{"eventName":"A"},{"eventName":"B",}, {"eventName":"C"}]}',
    "pretty log file": b'{"Records": [\n  {"eventName": "A"},\n  {"eventName": \'B\'},\n  {"eventName": "C"}\n]}',
    "newline-delimited": b'{"eventName":"A"}\n{"eventName":"B" "x":1}\n{"eventName":"C"}\n',
    "unterminated string line": b'{"eventName":"A"}\n{"eventName":"B}\n{"eventName":"C"}\n',
    "unterminated string in array": b'[{"eventName":"A"},\n{"eventName":"B, "x": [{"y": 1}]},\n{"eventName":"C"}]',
    "not UTF-8": b'{"eventName":"A"}\n{"eventName":"B\xff\xfe"}\n{"eventName":"C"}',
    "not an object": b'[{"eventName":"A"}, "B", {"eventName":"C"}]',
    "stray text": b'{"eventName":"A"}\nB is not JSON\n{"eventName":"C"}',
}


@pytest.mark.parametrize("layout", LAYOUT_WITH_BAD_SECOND)
def test_a_bad_record_is_isolated(layout: str) -> None:
    data = LAYOUT_WITH_BAD_SECOND[layout]
    for chunk in (1, 5, 1 << 20):
        pieces = _pieces(data, chunk)
        assert len(pieces) == 3, (layout, chunk)
        assert [pieces[0].value, pieces[2].value] == [{"eventName": "A"}, {"eventName": "C"}], (layout, chunk)
        bad = pieces[1]
        assert not isinstance(bad.value, dict), (layout, chunk)  # invalid JSON, or JSON that is no record
        assert b"B" in bad.raw and b'"C"' not in bad.raw and b'"A"' not in bad.raw
    # Every one of the three becomes a dead letter (A and C lack eventSource), the bad one alone.
    letters = list(normalize_cloudtrail(io.BytesIO(data), ORIGIN))
    assert [letter.position for letter in letters] == ["record 0", "record 1", "record 2"]  # type: ignore[union-attr]
    assert letters[1].reason.split(":")[0] in ("invalid JSON", "invalid record")  # type: ignore[union-attr]
    assert letters[1].raw == pieces[1].raw  # type: ignore[union-attr]


def test_plain_json_ending_mid_record_is_dead_lettered_with_its_bytes() -> None:
    data = b'{"Records":[{"eventName":"A"},{"eventName":"B","requestParameters":{"x":[1,'
    pieces = _pieces(data, 3)
    assert pieces[0].value == {"eventName": "A"}
    assert pieces[1].error and pieces[1].error.startswith("truncated input: ")
    assert pieces[1].raw == b'{"eventName":"B","requestParameters":{"x":[1,'


def test_record_above_the_cap_is_dead_lettered_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_stream, "MAX_DEAD_LETTER_RAW", 1000)
    monkeypatch.setattr(json_stream, "READ_SIZE", 4096)
    big = {"eventName": "BIG", "blob": ['a\\"},{' * 1000 for _ in range(100)]}
    data = orjson.dumps({"Records": [{"eventName": "A"}, big, {"eventName": "C"}]})
    pieces = _pieces(data, 4096, Limits(max_record_bytes=50_000))
    assert [p.value for p in pieces] == [{"eventName": "A"}, None, {"eventName": "C"}]
    assert pieces[1].error and pieces[1].error.startswith("record too large: ")
    assert pieces[1].raw.startswith(b'{"eventName":"BIG"') and len(pieces[1].raw) == 1000


def _generated_log_file(records: int) -> Iterator[bytes]:
    padding = "p" * 4000
    yield b'{"Records":['
    for index in range(records):
        record = {
            "eventVersion": "1.08",
            "eventID": f"id-{index}",
            "eventTime": "2024-05-01T12:00:00Z",
            "eventName": "PutObject",
            "eventSource": "s3.amazonaws.com",
            "awsRegion": "us-east-1",
            "sourceIPAddress": f"10.0.{index // 256 % 256}.{index % 256}",
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "userName": f"user{index % 50}", "accountId": "111122223333"},
            "requestParameters": {"bucketName": "b", "key": f"k{index}", "padding": padding},
        }
        yield (b"," if index else b"") + orjson.dumps(record)
    yield b"]}"


class _Generated(io.RawIOBase):
    """A generated log file read lazily, so only the normalizer's memory is measured."""

    def __init__(self, records: int) -> None:
        self._parts = _generated_log_file(records)
        self._pending = b""
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            part = next(self._parts, None)
            if part is None:
                return 0
            self._pending = part
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.size += n
        return n


def _peak_while(work: Callable[[], None]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_file_grows() -> None:
    def consume(records: int) -> Callable[[], None]:
        def work() -> None:
            stream = _Generated(records)
            count = sum(1 for _ in normalize_object(io.BufferedReader(stream), ORIGIN, "cloudtrail"))
            assert count == records
            assert stream.size > records * 4000

        return work

    small = _peak_while(consume(1_200))  # ~5 MB
    large = _peak_while(consume(12_000))  # ~50 MB
    assert large < 24 << 20, f"peak {large} bytes for a 50 MB file"
    assert large < small * 1.5 + (1 << 20), f"peak grows with the file: {small} -> {large}"


def test_dead_letter_raw_renormalizes_standalone() -> None:
    data = (
        b'{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T12:00:00Z","eventName":"X",'
        b'"eventSource":"s3.amazonaws.com","userIdentity":"root"}]}'
    )
    first = list(normalize_object(io.BytesIO(data), ORIGIN))
    assert len(first) == 1 and isinstance(first[0], DeadLetter)
    replayed = list(normalize_object(io.BytesIO(first[0].raw), ORIGIN, "cloudtrail"))
    assert len(replayed) == 1 and isinstance(replayed[0], DeadLetter)
    assert replayed[0].reason == first[0].reason and replayed[0].raw == first[0].raw


def test_non_object_parameters_are_wrapped_not_conflicting() -> None:
    record = {
        "eventTime": "2024-05-01T12:00:00Z",
        "eventName": "X",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "us-east-1",
        "requestParameters": "a string",
        "responseElements": [1, 2],
        "additionalEventData": {"a": 1},
    }
    [document] = list(normalize_cloudtrail(io.BytesIO(orjson.dumps(record)), ORIGIN))
    trail = document["aws"]["cloudtrail"]  # type: ignore[index]
    assert trail["request_parameters"] == {"value": "a string"}
    assert trail["response_elements"] == {"value": [1, 2]}
    assert trail["additional_eventdata"] == {"a": 1}


@pytest.mark.parametrize(
    "attributions",
    [
        # Only the baseline (the activity before the anomaly) names this identity.
        [{"attribute": "userIdentityArn", "insight": [], "baseline": [{"value": "arn:aws:iam::1:user/a"}]}],
        [{"attribute": "userAgent", "insight": [{"value": "aws-cli/2"}]}],
        "not a list",
        [None, {"attribute": "userIdentityArn", "insight": "x"}, {"attribute": "userIdentityArn"}],
        [{"attribute": "userIdentityArn", "insight": [None, 5, {"value": 5}, {"value": ""}]}],
    ],
)
def test_an_insights_event_without_insight_period_identities_names_no_user(attributions: Any) -> None:
    record = {
        "eventVersion": "1.08",
        "eventTime": "2020-10-21T18:35:00Z",
        "awsRegion": "us-east-1",
        "eventID": "e",
        "eventType": "AwsCloudTrailInsight",
        "insightDetails": {
            "state": "Start",
            "eventSource": "iam.amazonaws.com",
            "eventName": "ListUsers",
            "insightContext": {"attributions": attributions},
        },
    }
    [document] = list(normalize_cloudtrail(io.BytesIO(orjson.dumps(record)), ORIGIN))
    assert "related" not in document
    assert document["aws"]["cloudtrail"]["insight_details"]["insight_context"]["attributions"] == attributions  # type: ignore[index]


def test_every_stratus_red_team_record_becomes_a_complete_document(shared_dir: Path) -> None:
    files = sorted((shared_dir / "samples" / "cloudtrail" / "stratus-red-team").glob("*.json"))
    assert files
    for path in files:
        expected = len(json.loads(path.read_text()))
        with path.open("rb") as handle:
            items = list(normalize_object(handle, ORIGIN))
        dead = [item for item in items if isinstance(item, DeadLetter)]
        assert not dead, f"{path.name}: {dead[:1]}"
        assert len(items) == expected, path.name
        for document in items:
            missing = missing_fields(document)  # type: ignore[arg-type]
            assert not missing, f"{path.name}: {missing}"


def _role_session(number: int, key: str) -> dict[str, Any]:
    """An assumed-role identity as CloudTrail writes it (its user guide's example shape)."""
    session = f"session-{number}"
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEID:{session}",
        "arn": f"arn:aws:sts::111122223333:assumed-role/Admin/{session}",
        "accountId": "111122223333",
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEID",
                "arn": "arn:aws:iam::111122223333:role/Admin",
                "accountId": "111122223333",
                "userName": "Admin",
            },
            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def test_actor_cache_gives_each_document_its_identity_whether_identities_repeat_or_not() -> None:
    cache = ActorCache()
    fresh_keys = [_role_session(n % 7, f"ASIAFRESH{n:011d}") for n in range(3 * ActorCache.WINDOW)]
    repeated = [
        _role_session(n % 7, "ASIAREPEATED0000000") for n in range(3 * ActorCache.WINDOW * ActorCache.SAMPLE)
    ]
    for identity in fresh_keys + repeated + fresh_keys[:50]:
        user, related, user_identity, hosts = cache.parties(identity)
        assert (user, related, user_identity, hosts) == identity_parties(identity)
        assert user_identity["access_key_id"] == identity["accessKeyId"]
        assert related[:2] == [identity["principalId"].split(":")[1], identity["principalId"]]
        assert user["roles"] == ["Admin"]


def test_actor_cache_is_bypassed_after_a_window_of_misses_and_used_again_after_a_window_of_hits() -> None:
    builds: list[str] = []

    def build(identity: dict[str, Any], signed_in_as: str | None) -> Any:
        builds.append(identity["accessKeyId"])
        return identity_parties(identity, signed_in_as)

    cache = ActorCache(build)
    window, sample = ActorCache.WINDOW, ActorCache.SAMPLE
    for n in range(window):  # every lookup a miss: the window ends bypassed
        cache.parties(_role_session(n % 7, f"ASIAFRESH{n:011d}"))
    assert len(builds) == window
    repeated = _role_session(1, "ASIAREPEATED0000000")
    # Bypassed, each call builds but one in SAMPLE, which is looked up (the first a miss,
    # which builds; the others hits): after a window of such lookups the cache is used again.
    for _ in range(window * sample):
        cache.parties(repeated)
    assert len(builds) == window + (window * sample - window) + 1
    del builds[:]
    for _ in range(3 * window):  # looked up at every call, each a hit: nothing built
        cache.parties(repeated)
    assert builds == []


def test_actor_cache_gives_the_identity_before_its_own_fields_across_a_clear() -> None:
    # The entry last found is kept beside the table: it must stay exact when the table is
    # cleared (full) and when another identity comes between.
    cache = ActorCache()
    repeated = _role_session(1, "ASIAREPEATED0000000")
    for n in range(ActorCache.MAX_ENTRIES + 10):
        other = _role_session(n % 7, f"ASIAOTHER{n:011d}")
        for identity in (repeated, repeated, other, other, repeated):
            user, related, user_identity, hosts = cache.parties(identity)
            assert (user, related, user_identity, hosts) == identity_parties(identity)
            user_identity["access_key_id"] = "changed"  # a document's own to change
    assert len(cache._objects) + len(cache._entries) <= ActorCache.MAX_ENTRIES


def test_actor_cache_never_lets_two_documents_share_an_object() -> None:
    # A document's fields are its own to change (add_parties adds user.target, the enrichment
    # account names): whether the identity was built, decoded at its first repeat, or copied after that.
    cache = ActorCache()
    identity = _role_session(1, "ASIAREPEATED0000000")
    expected = identity_parties(identity)
    given = [cache.parties(identity) for _ in range(4)]
    for user, related, user_identity, hosts in given:
        assert (user, related, user_identity, hosts) == expected
        user["roles"].append("Changed")
        user["target"] = {"name": "x"}
        related.append("changed")
        user_identity["session_context"]["session_issuer"]["arn"] = "changed"
        user_identity["in_scope_of"] = {"source_arn": "changed"}
    assert cache.parties(identity) == identity_parties(identity) == expected


def test_actor_cache_keeps_no_identity_larger_than_its_bound() -> None:
    # An attacker writes userIdentity: one of 64 KiB (a member of its own, which no field
    # copies) in each of 256 records, each identity twice in a row (the second a hit), would
    # keep 16 MiB of keys in the cache; it keeps none of them, and each document still gets
    # its identity's fields.
    padding = "x" * (64 * 1024)
    cache = ActorCache()
    tracemalloc.start()
    try:
        for number in range(256):
            identity = {**_role_session(number, f"ASIALARGE{number:011d}"), "padding": padding}
            for _ in range(2):
                assert cache.parties(identity) == identity_parties(identity)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1024 * 1024
    small = _role_session(1, "ASIASMALL0000000000")
    assert [cache.parties(small) for _ in range(3)] == [identity_parties(small)] * 3


def _nested_change(identity: dict[str, Any], block: str, member: str, value: Any) -> dict[str, Any]:
    """``identity`` with ``sessionContext.<block>.<member>`` set to ``value``, nothing else changed."""
    session = identity["sessionContext"]
    return {**identity, "sessionContext": {**session, block: {**session.get(block, {}), member: value}}}


def _with_claim(identity: dict[str, Any], claim: str, value: str) -> dict[str, Any]:
    """``identity`` with one ``sessionContext.webIdFederationData.attributes`` claim."""
    session = identity["sessionContext"]
    web = {"federatedProvider": "cognito-identity.amazonaws.com", "attributes": {claim: value}}
    return {**identity, "sessionContext": {**session, "webIdFederationData": web}}


def _in_scope_of(identity: dict[str, Any], issued_to: str) -> dict[str, Any]:
    """``identity`` acting for a service, its credentials issued to ``issued_to``."""
    scope = {
        "sourceArn": "arn:aws:lambda:us-east-1:111122223333:function:f",
        "credentialsIssuedTo": issued_to,
    }
    return {**identity, "inScopeOf": scope}


def test_actor_cache_tells_apart_identities_that_differ_only_in_a_nested_member() -> None:
    # A cache key that missed a nested member, or took 1 for True (Python's 1 == True), would
    # give one identity's parties to the other: each repeats, so each is held as JSON, then as
    # objects, in a cache of the generic builder and one of the compiled builders. The cache
    # holds what is read beside the actor too: inScopeOf, the web identity's claims, the
    # instance a role session is.
    base = _role_session(3, "ASIAREPEATED0000000")
    instance = {**base, "arn": "arn:aws:sts::111122223333:assumed-role/Admin/i-0123456789abcdef0"}
    pairs = [
        (base, _nested_change(base, "sessionIssuer", "arn", "arn:aws:iam::111122223333:role/Other")),
        (
            _nested_change(base, "webIdFederationData", "federatedProvider", "accounts.google.com"),
            _nested_change(
                base, "webIdFederationData", "federatedProvider", "cognito-identity.amazonaws.com"
            ),
        ),
        (
            _nested_change(base, "attributes", "creationDate", 1),
            _nested_change(base, "attributes", "creationDate", True),
        ),
        (
            _with_claim(base, "cognito-identity.amazonaws.com:sub", "us-east-1:alice"),
            _with_claim(base, "cognito-identity.amazonaws.com:sub", "us-east-1:bob"),
        ),
        (
            _in_scope_of(base, "arn:aws:iam::111122223333:role/First"),
            _in_scope_of(base, "arn:aws:iam::111122223333:role/Second"),
        ),
        (instance, {**instance, "arn": instance["arn"].replace("0123", "4567")}),
    ]
    for first, second in pairs:
        assert identity_parties(first) != identity_parties(second)
    assert identity_parties(pairs[3][0])[1][-1] == "us-east-1:alice"
    assert identity_parties(pairs[4][0])[1][-1] == "arn:aws:iam::111122223333:role/First"
    assert identity_parties(instance)[3] == ("i-0123456789abcdef0",)
    for cache in (ActorCache(), ActorCache(CompiledBuilders().identity_parties)):
        for _ in range(4):
            for first, second in pairs:
                assert cache.parties(first) == identity_parties(first)
                assert cache.parties(second) == identity_parties(second)


def _containers(value: Any) -> Iterator[int]:
    """The ids of every object and list in ``value``, itself included."""
    if isinstance(value, dict | list):
        yield id(value)
        for item in value.values() if isinstance(value, dict) else value:
            yield from _containers(item)


def test_actor_cache_copies_every_object_of_every_shape_of_identity() -> None:
    # Each shape of actor fields (a role session's, an IAM Identity Center user's on_behalf_of,
    # a federated user's issuer name, a root's) gets its own copier: each document's fields
    # share no object and no list with another's, at any depth.
    center_user = {
        "type": "IdentityCenterUser",
        "accountId": "111122223333",
        "onBehalfOf": {
            "userId": "94482488-3041-7026-18f3-be45837cd0e4",
            "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-9067230a1c",
        },
        "credentialId": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE",
    }
    federated = {
        "type": "FederatedUser",
        "principalId": "111122223333:bob",
        "arn": "arn:aws:sts::111122223333:federated-user/bob",
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLEFEDERATED",
        "sessionContext": {
            "sessionIssuer": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEBROKER",
                "arn": "arn:aws:iam::111122223333:user/broker",
                "accountId": "111122223333",
                "userName": "broker",
            },
            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "true"},
        },
    }
    root = {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root"}
    cache = ActorCache()
    for identity in (_role_session(2, "ASIAREPEATED0000000"), center_user, federated, root):
        expected = identity_parties(identity)
        given = [cache.parties(identity) for _ in range(4)]  # built, decoded, then copied twice
        assert all(fields == expected for fields in given)
        seen: set[int] = set()
        for fields in [*given, expected]:
            ids = set(_containers(list(fields)))
            assert not ids & seen
            seen |= ids


def _identities(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        identity = value.get("userIdentity")
        if isinstance(identity, dict):
            yield identity
        for item in value.values():
            yield from _identities(item)
    elif isinstance(value, list):
        for item in value:
            yield from _identities(item)


def _recorded_identities() -> list[dict[str, Any]]:
    """Every userIdentity of the golden inputs and of the shared attack recordings."""
    golden = Path(__file__).resolve().parent.parent / "golden" / "cloudtrail"
    paths = [*golden.glob("*/input.json"), *golden.glob("*/input.json.gz")]
    samples = Path(__file__).resolve().parents[3] / "shared" / "samples" / "cloudtrail"
    paths += sorted(samples.rglob("*.json"))
    found: dict[bytes, dict[str, Any]] = {}
    for path in paths:
        try:
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            value = json.loads(data)
        except (EOFError, OSError, ValueError):
            continue  # a damaged input of a dead-letter case
        for identity in _identities(value):
            found.setdefault(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS), identity)
    return list(found.values())


def _actor(identity: dict[str, Any], signed_in_as: str | None) -> Actor:
    """userIdentity -> the shared Actor, field by field (the CloudTrail user guide's
    userIdentity element), as GuardDuty and Security Hub map theirs."""
    session = identity.get("sessionContext") or {}
    issuer = session.get("sessionIssuer") or {}
    attributes = session.get("attributes") or {}
    web = session.get("webIdFederationData") or identity.get("webIdFederationData") or {}
    behalf = identity.get("onBehalfOf") or {}
    user_name = identity.get("userName") or None
    if user_name == HIDDEN_USER_NAME:
        user_name = None
    if user_name is None and signed_in_as != HIDDEN_USER_NAME:
        user_name = signed_in_as
    kind = identity.get("type") or None
    return Actor(
        type=kind,
        principal_id=identity.get("principalId")
        or (behalf.get("userId") if kind == "IdentityCenterUser" else None)
        or None,
        arn=identity.get("arn") or None,
        account_id=identity.get("accountId") or None,
        access_key_id=identity.get("accessKeyId") or None,
        user_name=user_name,
        issuer_type=issuer.get("type") or None,
        issuer_principal_id=issuer.get("principalId") or None,
        issuer_arn=issuer.get("arn") or None,
        issuer_account_id=issuer.get("accountId") or None,
        issuer_user_name=issuer.get("userName") or None,
        mfa_authenticated=as_bool(attributes.get("mfaAuthenticated")) if attributes else None,
        session_created=optional_time(attributes.get("creationDate")) if attributes else None,
        source_identity=session.get("sourceIdentity") or None,
        ec2_role_delivery=session.get("ec2RoleDelivery") or None,
        invoked_by=identity.get("invokedBy") or None,
        identity_provider=identity.get("identityProvider") or web.get("federatedProvider") or None,
        credential_id=identity.get("credentialId") or None,
        on_behalf_of=behalf.get("userId") or None,
        identity_store_arn=behalf.get("identityStoreArn") or None,
    )


def test_cloudtrail_builds_the_actor_by_the_rule_every_source_shares() -> None:
    identities = _recorded_identities()
    assert len(identities) >= 20
    for identity in identities:
        for signed_in_as in (None, "someone@example.com", HIDDEN_USER_NAME):
            assert identity_fields(identity, signed_in_as) == actor_fields(_actor(identity, signed_in_as))
