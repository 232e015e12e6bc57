"""Differential tests of CloudTrail's fast paths against their references (issue 15.2/15.3).

Each fast path claims to give exactly what the simple path would. Here the simple path is run
beside it on the same input, and every item must be equal, to the type and the key order:

- the whole CloudTrail path, ``normalize`` (stream splitter with its separator search,
  long-integer signal and secret screen; compiled builders guessed by member count; the actor
  cache; the operations table; the screened mapper's inline pre-check) against
  :func:`reference_items`: the object's records parsed one by one with the standard
  library (integers beyond 64 bits exact), ``without_credentials`` and the generic
  ``build_document`` with no cache at all;
- the same object read in reads of 1..N bytes: the splitter's per-read state (the long-integer
  signal judged by the bytes before a read, the screen's marks across reads);
- the compiled builders and the actor cache alone, over records alternating between shapes of
  as many members, against ``build_document`` without a cache: what one record's builder or
  cached actor leaves behind must not change the next record's document, and a document
  changed after it is built (enrichment adds to ``user_identity``) must not change the next.

Records are real ones (the stratus-red-team samples, the golden inputs, the benchmark
generator's) mutated: members added, removed, reordered and renamed, values of other types
(null, numbers of every size, booleans, lists, objects, ``\\u0000``, astral characters,
a KELVIN SIGN), credentials-looking members anywhere, keys spelled with ``\\u`` escapes, keys
given twice. Profiles as tests/fuzz/test_fuzz.py: ``ci`` (a few dozen examples per test,
derandomized), ``long`` (``make fuzz``).
"""

from __future__ import annotations

import copy
import datetime
import importlib.util
import io
import json
import os
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalizers.base import DeadLetter, Origin
from normalizers.cloudtrail.actor import ActorCache, identity_parties
from normalizers.cloudtrail.compiled import COMPILES_PER_OBJECT, CompiledBuilders
from normalizers.cloudtrail.credentials import without_credentials
from normalizers.cloudtrail.exports import with_event_time
from normalizers.cloudtrail.mapping import build_document
from normalizers.cloudtrail.normalize import normalize
from normalizers.framing.json_stream import MAX_DEPTH, TOO_DEEP, _exact_int
from normalizers.loop import reason_of
from normalizers.reasons import INVALID_JSON

settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "samples" / "cloudtrail" / "stratus-red-team"
GOLDEN = ROOT / "tests" / "golden" / "cloudtrail"
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_cloudtrail.py"
OBJECT = "s3://bucket/AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json.gz"
INGESTED = "2026-01-01T00:00:00.000Z"
RECORD_KEY = "eventVersion"
ENVELOPE_KEYS = {"detail-type", "Type"}
"""An object with one of these is unwrapped (an EventBridge event, an SNS message): another path."""


# -- seeds -----------------------------------------------------------------------------------


def _records_of(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = value.get("Records")
    if not isinstance(value, list):
        return []
    return [
        record
        for record in value
        if isinstance(record, dict) and RECORD_KEY in record and not ENVELOPE_KEYS & record.keys()
    ]


@cache
def seeds() -> tuple[dict[str, Any], ...]:
    """Real records, with as many shapes as can be found."""
    found: list[dict[str, Any]] = []
    for path in sorted(SAMPLES.glob("*.json")) + sorted(GOLDEN.glob("*/input.json")):
        try:
            found += _records_of(json.loads(path.read_bytes(), parse_int=_exact_int))
        except ValueError:  # the golden cases of invalid input
            continue
    if GENERATOR.exists():
        spec = importlib.util.spec_from_file_location("gen_cloudtrail", GENERATOR)
        assert spec is not None and spec.loader is not None
        generator = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(generator)
        rng, moment = random.Random(7), datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
        found += [generator.record(rng, moment) for _ in range(40)]
    assert len(found) > 100
    return tuple(found)


@cache
def member_names() -> tuple[str, ...]:
    """Every member name of the seeds, top level and nested (a record gets another's)."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            names.update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(seeds()))
    return tuple(sorted(names - ENVELOPE_KEYS))


# -- values and mutations --------------------------------------------------------------------


def _deep(levels: int, bottom: Any = "bottom") -> Any:
    value: Any = bottom
    for level in range(levels):
        value = [value] if level % 2 else {"n": value}
    return value


_BOTTOMS: tuple[Any, ...] = ("x", {}, [])
"""What the deepest level holds (an empty object or list may count as a level or not)."""
SECRET_KEYS = ("password", "Password", "sessionToken", "SecretAccessKey", "newPassword", "sessionTo\u212aen")
VALUES: tuple[Any, ...] = (
    None,
    0,
    1,
    1.0,
    -1,
    -0.0,
    True,
    False,
    "",
    "x",
    "true",
    "false",
    "1",
    [],
    {},
    [1, "a", None, True],
    {"a": {"b": [{}, {"c": None}]}},
    2**63 - 1,
    2**63,
    2**64 - 1,
    2**64,
    -(2**63),
    -(2**63) - 1,
    10**25,
    -(10**30),
    1234567890123456789,
    "1234567890123456789012",
    "aws-go-sdk-1234567890123456789",
    1.5e300,
    2.5,
    "\x00",
    "a\x00b",
    "\U0001f600",
    "\u212a",
    "caf\xe9",
    "ASIAIOSFODNN7EXAMPLE",
    "arn:aws:iam::123456789012:role/x",
    "arn:aws:sts::123456789012:assumed-role/r/s",
    "10.0.0.1",
    "2001:db8::1",
    "::ffff:1.2.3.4",
    "1.2.3",
    "ec2.amazonaws.com",
    "2024-05-01T00:00:00Z",
    "2024-05-01T00:00:59Z",
    "2024-05-01T00:00:60Z",
    "2024-02-30T00:00:00Z",
    "AssumeRole",
    "sts.amazonaws.com",
    "AwsApiCall",
    "AwsConsoleSignIn",
    "Failure",
    "VpceAccessDenied",
    "AssumedRole",
    "IAMUser",
    "Root",
    "AWSService",
    '{"password":"hunter2"}',
    "},{",
    '"},{"',
    "}{",
    "}]",
    "{[",
    "x}, {\n  {",
    '{\\"sessionToken\\":\\"x\\"}',
    {"password": "hunter2", "user": "x"},
    {"sessionToken": None},
    [{"secretAccessKey": "k"}],
    {"ConsoleLogin": "Failure", "UserName": "alice"},
    {"instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0"}]}},
    {"type": "Role", "arn": "arn:aws:iam::1:role/r", "userName": "r", "accountId": "1"},
    {"mfaAuthenticated": "true", "creationDate": "2024-05-01T00:00:00Z"},
    2.2250738585072011e-308,
    4.9e-324,
    0.30000000000000004,
    9007199254740993.0,
    1e22,
    123456789.12345678,
    *(_deep(levels, bottom) for levels in range(MAX_DEPTH - 4, MAX_DEPTH + 2) for bottom in _BOTTOMS),
    "y" * 150_000,  # records past a read (READ_SIZE): the buffer compacted between them
    [{"k": number, "v": "},{"} for number in range(2_000)],  # thousands of false ends: the gallop
)


def _values(draw: st.DrawFn, key: str) -> Any:
    """A value for member ``key``: another seed's value of a member of that name, or any."""
    if draw(st.booleans()):
        others = _values_of(key)
        if others:
            return copy.deepcopy(draw(st.sampled_from(others)))
    return copy.deepcopy(draw(st.sampled_from(VALUES)))


@cache
def _values_of_all() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                kept = found.setdefault(key, [])
                if len(kept) < 20 and item not in kept:
                    kept.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(seeds()))
    return found


def _values_of(key: str) -> list[Any]:
    return _values_of_all().get(key, [])


def _containers(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record and the objects inside it, where a mutation may happen (the identity's
    first: they are where the caches are)."""
    found: list[dict[str, Any]] = []

    def walk(value: Any, depth: int) -> None:
        if depth > 6:
            return
        if isinstance(value, dict):
            found.append(value)
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value[:4]:
                walk(item, depth + 1)

    walk(record, 0)
    return found


@st.composite
def mutated(draw: st.DrawFn, size: int | None = None) -> dict[str, Any]:
    """A seed record with mutations; with ``size``, then given that many members."""
    record = copy.deepcopy(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(0, 4))):
        containers = _containers(record)
        target = draw(st.sampled_from(containers))
        top = target is record
        keys = [key for key in target if not (top and key == RECORD_KEY)]
        kind = draw(st.sampled_from(("add", "remove", "retype", "rename", "reorder", "secret")))
        if kind == "add" or (not keys and kind != "reorder"):
            key = draw(st.sampled_from(member_names()))
            if not (top and key == RECORD_KEY):
                target[key] = _values(draw, key)
        elif kind == "remove":
            del target[draw(st.sampled_from(keys))]
        elif kind == "retype":
            key = draw(st.sampled_from(keys))
            target[key] = _values(draw, key)
        elif kind == "rename":
            old, new = draw(st.sampled_from(keys)), draw(st.sampled_from(member_names()))
            if not (top and new == RECORD_KEY):
                target[new] = target.pop(old)
        elif kind == "reorder":
            items = list(target.items())
            order = draw(st.permutations(range(len(items))))
            target.clear()
            target.update(items[i] for i in order)
        else:
            target[draw(st.sampled_from(SECRET_KEYS))] = draw(
                st.sampled_from(("s3cret", None, 1, {"a": "b"}))
            )
    if size is not None:
        _resize(draw, record, size)
    return record


def _resize(draw: st.DrawFn, record: dict[str, Any], size: int) -> None:
    """Members removed or added until the record has ``size``: another shape's count."""
    while len(record) > max(size, 1):
        keys = [key for key in record if key != RECORD_KEY]
        del record[draw(st.sampled_from(keys))]
    names = member_names()
    while len(record) < size:
        key = draw(st.sampled_from(names))
        if key not in record:
            record[key] = _values(draw, key)


@st.composite
def alternating(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records of a few shapes, most with as many members as another one, taking turns."""
    size = draw(st.sampled_from(sorted({len(seed) for seed in seeds()})))
    kinds = draw(st.lists(mutated(size=size) | mutated(), min_size=2, max_size=4))
    turns = draw(st.lists(st.integers(0, len(kinds) - 1), min_size=2, max_size=14))
    return [copy.deepcopy(kinds[turn]) for turn in turns]


# -- bytes -----------------------------------------------------------------------------------


def _escape_key(raw: bytes, key: bytes) -> bytes:
    """The first occurrence of ``"key"`` with its first letter as a ``\\u`` escape."""
    at = raw.find(b'"' + key + b'"')
    if at < 0:
        return raw
    return raw[: at + 1] + b"\\u%04x" % key[0] + raw[at + 2 :]


@st.composite
def record_bytes(draw: st.DrawFn, record: dict[str, Any]) -> bytes:
    """``record`` as JSON text, written one of the ways it may be: compact or spaced, escaped
    or not, a key given twice, a key's letter escaped."""
    separators = draw(st.sampled_from(((",", ":"), (", ", ": "))))
    ascii_only, indent = draw(st.booleans()), draw(st.sampled_from((None, None, 2)))
    text = json.dumps(record, ensure_ascii=ascii_only, separators=separators, indent=indent)
    raw = text.encode("utf-8", "surrogatepass")
    twist = draw(
        st.sampled_from(
            (
                "none",
                "none",
                "duplicate-first",
                "duplicate-last",
                "duplicate-in-identity",
                "escape-key",
                "refused",
            )
        )
    )
    if twist == "refused":  # well-formed, but a value orjson refuses: a dead letter, whole
        bad = draw(
            st.sampled_from((b'"\\ud800"', b"1e999", b"-1e400", b'"\xff"', b'"a\tb"', b"NaN", b"Infinity"))
        )
        at = draw(st.sampled_from([i for i in range(len(raw)) if raw[i : i + 1] in (b",", b"[")] or [0]))
        for changed in (
            raw[: at + 1] + bad + b"," + raw[at + 1 :],
            raw[:at] + b',"refused":' + bad + raw[at:],
        ):
            try:  # only where it leaves the text well-formed (in a list, between members)
                json.loads(changed.decode("utf-8", "surrogateescape"), strict=False)
            except ValueError:
                continue
            raw = changed
            break
    elif twist.startswith("duplicate"):
        key = draw(st.sampled_from(member_names()))
        if key != RECORD_KEY:
            pair = json.dumps({key: _values(draw, key)})[1:-1].encode("utf-8", "surrogatepass")
            raw = (
                b"{" + pair + b"," + raw[1:] if twist == "duplicate-first" else raw[:-1] + b"," + pair + b"}"
            )
    elif twist == "duplicate-in-identity":  # the same identity as a value, other JSON text
        found = re.search(rb'"userIdentity":\s*\{', raw)
        key = draw(st.sampled_from(("type", "arn", "accountId", "sessionContext", "invokedBy")))
        if found is not None:
            pair = json.dumps({key: _values(draw, key)})[1:-1].encode("utf-8", "surrogatepass")
            raw = raw[: found.end()] + pair + b"," + raw[found.end() :]
    elif twist == "escape-key":
        raw = _escape_key(
            raw, draw(st.sampled_from((b"password", b"sessionToken", b"userIdentity", b"eventName")))
        )
    return raw


@st.composite
def objects(draw: st.DrawFn, large: bool = True, blank_runs: bool = True) -> tuple[bytes, list[bytes]]:
    """A CloudTrail log file's bytes and its records' bytes, in order; ``large``, sometimes
    more shapes than an object may compile (COMPILES_PER_OBJECT: the rest go the generic way);
    ``blank_runs``, sometimes a run of blanks between two records, shorter than a read (the
    splitter waits for the next record's start) or longer (the record is taken, the run
    dropped as it is read). In reads of a few bytes, the splitter looks at each blank a
    bounded number of times (tests/normalizers/test_linear_reads.py)."""
    few = alternating() | st.lists(mutated(), min_size=1, max_size=8)
    many = st.lists(mutated(), min_size=COMPILES_PER_OBJECT + 1, max_size=COMPILES_PER_OBJECT + 12)
    records = draw(few | many if large else few)
    raws = [draw(record_bytes(record)) for record in records]
    layout = draw(st.sampled_from(("wrapper", "wrapper", "pretty wrapper", "array", "lines", "concatenated")))
    if layout in ("lines", "concatenated"):  # JSON lines, Firehose's records back to back
        return (b"\n" if layout == "lines" else b"").join(raws) + b"\n", raws
    separator = draw(st.sampled_from((b",", b", ", b",\n", b",\n    ")))
    gaps = [separator] * (len(raws) - 1)
    if blank_runs and gaps and draw(st.integers(0, 9)) == 0:
        run = b" " * draw(st.sampled_from((5_000, 300_000)))  # shorter than a read (READ_SIZE), longer
        gap = draw(st.integers(0, len(gaps) - 1))
        gaps[gap] = run + gaps[gap] if draw(st.booleans()) else gaps[gap] + run  # before the comma, after
    body = raws[0] + b"".join(gap + raw for gap, raw in zip(gaps, raws[1:], strict=True))
    head = {"wrapper": b'{"Records":[', "pretty wrapper": b'{"Records": [\n    ', "array": b"["}[layout]
    tail = b"]" if layout == "array" else b"]}"
    return head + body + tail, raws


class Reads(io.RawIOBase):
    """A stream whose reads return the sizes given, in turn (then as asked)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data, self._pos, self._sizes, self._turn = data, 0, sizes, 0

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        if self._sizes:
            size = self._sizes[self._turn % len(self._sizes)]
            self._turn += 1
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk

    read = read1


# -- references ------------------------------------------------------------------------------


class _NoCache:
    """What ``build_document`` asks of an actor cache, with nothing cached."""

    @staticmethod
    def parties(identity: dict[str, Any], signed_in_as: str | None = None) -> Any:
        return identity_parties(identity, signed_in_as)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def reference_items(raws: list[bytes], origin: Origin) -> list[Any]:
    """The simplest correct CloudTrail path: each record parsed alone (orjson's verdict,
    the standard library's value so that integers beyond 64 bits keep their digits), its
    secrets replaced, mapped by the generic path without any cache."""
    items: list[Any] = []
    for index, raw in enumerate(raws):
        position = f"record {index}"
        try:
            orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            items.append(DeadLetter("cloudtrail", f"{INVALID_JSON}: {error}", origin.object, position, raw))
            continue
        value = json.loads(raw, parse_int=_exact_int)
        if _depth(value) > MAX_DEPTH:
            items.append(
                DeadLetter("cloudtrail", f"{INVALID_JSON}: {TOO_DEEP}", origin.object, position, raw)
            )
            continue
        try:
            record = with_event_time(value)
            record, kept = without_credentials(record, raw, origin.keep_original)
            items.append(build_document(record, kept, None, origin, _NoCache()))  # type: ignore[arg-type]
        except Exception as error:
            items.append(DeadLetter("cloudtrail", reason_of(error), origin.object, position, raw))
    return items


def typed(value: Any) -> Any:
    """``value`` with every type and key order explicit: ``1``, ``1.0`` and ``True`` differ."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(item) for item in value])
    if isinstance(value, DeadLetter):
        return ("dead letter", value.reason, value.position, value.raw)
    return (type(value).__name__, repr(value))


def _scribble(value: Any) -> None:
    """Change every object and list of a document, as later steps may (enrichment)."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")
    elif isinstance(value, tuple):  # the actor cache's parties: what they hold
        for item in value:
            _scribble(item)


def _fast_items(stream: Any, origin: Origin) -> list[Any]:
    """The items of ``normalize``, each taken as it was yielded, then changed in place."""
    items = []
    for item in normalize(stream, origin):
        items.append(typed(item))
        if isinstance(item, dict):
            _scribble(item)
    return items


def _check(fast: list[Any], reference: list[Any], raws: list[bytes]) -> None:
    assert len(fast) == len(raws), "records in = documents + dead letters"
    for index, (got, expected) in enumerate(zip(fast, map(typed, reference), strict=True)):
        assert got == expected, f"record {index}: {raws[index][:2000]!r}"


# -- the tests -------------------------------------------------------------------------------


ORIGINS = st.builds(lambda keep: Origin(object=OBJECT, ingested=INGESTED, keep_original=keep), st.booleans())


@given(objects(), ORIGINS)
def test_object_as_the_reference_maps_it(generated: tuple[bytes, list[bytes]], origin: Origin) -> None:
    data, raws = generated
    _check(_fast_items(io.BytesIO(data), origin), reference_items(raws, origin), raws)


@given(objects(large=False, blank_runs=True), ORIGINS, st.lists(st.integers(1, 97), min_size=1, max_size=5))
def test_object_in_short_reads(
    generated: tuple[bytes, list[bytes]], origin: Origin, sizes: list[int]
) -> None:
    data, raws = generated
    _check(_fast_items(Reads(data, sizes), origin), reference_items(raws, origin), raws)


@given(alternating(), ORIGINS)
def test_builders_and_actor_cache_as_the_generic_path(records: list[dict[str, Any]], origin: Origin) -> None:
    builders = CompiledBuilders()
    actors = ActorCache(builders.identity_parties)
    for index, parsed in enumerate(records):
        raw = json.dumps(parsed).encode()
        record = json.loads(raw, parse_int=_exact_int)  # as the splitter gives it: no int beyond 64 bits
        got = _built(builders.build, copy.deepcopy(record), raw, origin, actors)
        expected = _built(build_document, copy.deepcopy(record), raw, None, origin, _NoCache())
        assert got == expected, f"record {index}: {record!r}"


def _built(build: Any, *arguments: Any) -> Any:
    """The document ``build`` returns (typed, then changed in place), or why it raised."""
    try:
        document = build(*arguments)
    except Exception as error:
        return ("raised", reason_of(error))
    result = typed(document)
    _scribble(document)
    return result


@pytest.mark.parametrize("seed", range(len(seeds())))
def test_every_seed_as_the_reference_maps_it(seed: int) -> None:
    """Each real record alone, twice in a row (the second time through every cache)."""
    raw = json.dumps(seeds()[seed]).encode()
    origin = Origin(object=OBJECT, ingested=INGESTED, keep_original=True)
    data = b'{"Records":[' + raw + b"," + raw + b"]}"
    _check(_fast_items(io.BytesIO(data), origin), reference_items([raw, raw], origin), [raw, raw])


# -- source addresses ------------------------------------------------------------------------

ADDRESS_TEXTS = st.one_of(
    st.builds(
        ".".join,
        st.lists(
            st.sampled_from(
                ("0", "1", "01", "9", "10", "99", "100", "255", "256", "300", "1\u0661", "0x1", "")
            ),
            min_size=1,
            max_size=5,
        ),
    ),
    st.sampled_from(
        ("::1", "2001:db8::1", "2001:DB8:0::1", "::ffff:1.2.3.4", "fe80::1%eth0", "ec2.amazonaws.com")
    ),
    st.text(alphabet="0123456789.:abcdefABCDEF %\x00 \n\u0661", max_size=20),
)


@given(st.lists(ADDRESS_TEXTS, min_size=1, max_size=8))
def test_source_address_as_the_careful_path_reads_it(texts: list[str]) -> None:
    """``address_fields`` (a cache of texts, ``inet_pton`` for the dotted quad) against the
    careful path it skips, ``_address_fields``; each answer the caller's own to change."""
    from normalizers.ecs.address import _address_fields, address_fields

    for text in texts * 2:  # the second time from the cache
        fields = address_fields(text)
        assert typed(fields) == typed(_address_fields(text)), repr(text)
        fields["scribbled"] = "yes"


# -- enrichment of addresses -----------------------------------------------------------------

ENDPOINT_IPS = st.sampled_from(
    ("8.8.8.8", "1.1.1.1", "10.0.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "2001:db8::1", "::1")
)
ENDPOINTS = st.one_of(
    st.none(),
    st.sampled_from(("text", 1, [])),
    st.fixed_dictionaries({"ip": ENDPOINT_IPS}),
    st.fixed_dictionaries({"ip": ENDPOINT_IPS, "geo": st.just({"country_iso_code": "ZZ"})}),
    st.fixed_dictionaries({"ip": ENDPOINT_IPS, "as": st.just({"number": 1})}),
    st.fixed_dictionaries({"ip": st.sampled_from((1, None, [], ["8.8.8.8"], {"a": 1}))}),
    st.fixed_dictionaries(
        {
            "address": st.sampled_from(
                ("ec2.amazonaws.com", "AWS Internal", "example.com", "s3.amazonaws.com", "")
            )
        }
    ),
    st.fixed_dictionaries({"address": st.sampled_from((1, None, ["x"]))}),
    st.fixed_dictionaries({}),
)
AWS_BLOCKS = st.one_of(
    st.just("absent"),
    st.none(),
    st.sampled_from(("text", 1, [])),
    st.fixed_dictionaries({}),
    st.fixed_dictionaries({"source": st.sampled_from((None, "text", {}, {"scope": "other"}, {"x": 1}))}),
    st.fixed_dictionaries({"destination": st.sampled_from((None, {}, {"scope": "other"}))}),
    st.fixed_dictionaries({"cloudtrail": st.just({"event_type": "AwsApiCall"})}),
)


@st.composite
def enrichable(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {"@timestamp": "2024-05-01T00:00:00.000Z"}
    for side in ("source", "destination"):
        endpoint = draw(ENDPOINTS)
        if endpoint is not None or draw(st.booleans()):
            document[side] = endpoint
    aws = draw(AWS_BLOCKS)
    if aws != "absent":
        document["aws"] = aws
    return document


def _reference_enrich(geoip: Any, document: dict[str, Any]) -> None:
    """The address step as it was written before it was inlined (``_add_ip_context``): one
    look-up per side, a fresh ``aws.<side>`` dict per document."""
    from enrichment.enrich import _name_context
    from enrichment.geoip import PUBLIC_UNKNOWN

    for side in ("source", "destination"):
        endpoint = document.get(side)
        if type(endpoint) is not dict:
            continue
        ip = endpoint.get("ip")
        if type(ip) is str:
            context = geoip.lookup(ip)
        else:
            address = endpoint.get("address")
            context = _name_context(address) if type(address) is str else PUBLIC_UNKNOWN
        if context is PUBLIC_UNKNOWN:
            continue
        if context.geo and "geo" not in endpoint:
            endpoint["geo"] = context.geo
        if context.autonomous and "as" not in endpoint:
            endpoint["as"] = context.autonomous
        if context.scope:
            aws = document.setdefault("aws", {})
            if type(aws) is dict:
                labels = aws.setdefault(side, {})
                if type(labels) is dict:
                    labels["scope"] = context.scope


@given(st.lists(enrichable(), min_size=1, max_size=10))
def test_enrichment_of_addresses_as_the_careful_path(documents: list[dict[str, Any]]) -> None:
    """``Enricher.enrich`` (the address cache read in place, shared ``aws.<side>`` dicts)
    against the step it replaced, document after document through the same caches."""
    from enrichment.enrich import Enricher
    from enrichment.geoip import GeoIp

    enricher = Enricher(accounts=None, geoip=GeoIp(), agents=None)
    reference = GeoIp()
    for document in documents:
        expected = copy.deepcopy(document)
        _reference_enrich(reference, expected)
        got = enricher.enrich(copy.deepcopy(document))
        assert typed(got) == typed(expected), repr(document)
    assert enricher.failures == 0


@cache
def identities() -> tuple[dict[str, Any], ...]:
    return tuple(seed["userIdentity"] for seed in seeds() if isinstance(seed.get("userIdentity"), dict))


@st.composite
def identity_turns(draw: st.DrawFn) -> list[tuple[dict[str, Any], str | None]]:
    """Identities (some mutated) taking turns for longer than the cache's window, with and
    without the sign-in's user name."""
    kinds = []
    for _ in range(draw(st.integers(1, 6))):
        identity = copy.deepcopy(draw(st.sampled_from(identities())))
        for _ in range(draw(st.integers(0, 3))):
            target = draw(st.sampled_from(_containers(identity)))
            key = draw(st.sampled_from(sorted(target) or ["type"]))
            target[key] = _values(draw, key)
        raw = json.dumps(identity).encode()
        kinds.append((json.loads(raw, parse_int=_exact_int), draw(st.sampled_from((None, "alice", "")))))
    rare = draw(st.booleans())  # mostly distinct identities: the cache stops looking most of them up
    count = draw(st.integers(1, 3 * ActorCache.WINDOW))
    turns = draw(st.lists(st.integers(0, len(kinds) - 1), min_size=count, max_size=count))
    out = []
    for number, turn in enumerate(turns):
        identity, signed_in_as = kinds[turn]
        if rare and number % 5:
            identity = {**identity, "accessKeyId": f"ASIA{number:016d}"}
        out.append((identity, signed_in_as))
    return out


@given(identity_turns())
def test_actor_cache_as_building_each_identity(turns: list[tuple[dict[str, Any], str | None]]) -> None:
    """The actor cache (JSON at first, then objects copied per document; bypassed while its
    hit rate is low) against :func:`identity_parties` for every look-up, each answer changed
    in place by its caller."""
    builders = CompiledBuilders()
    actors = ActorCache(builders.identity_parties)
    for number, (identity, signed_in_as) in enumerate(turns):
        got = _built(actors.parties, copy.deepcopy(identity), signed_in_as)
        expected = _built(identity_parties, copy.deepcopy(identity), signed_in_as)
        assert got == expected, f"look-up {number}: {identity!r} {signed_in_as!r}"
