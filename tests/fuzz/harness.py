"""The fuzz harness: every source's records, in every container, through ``normalize_object``.

The entry point to extend when a source or a delivery shape is added:

- a source is picked up by itself from the registry: its seeds are the records of its golden
  cases (``tests/golden/<source>/*/input*``) that normalize alone into one document;
- a container (a way records are delivered) is one :class:`Container` in :data:`CONTAINERS`,
  a pure function from a source's seed records to the object's bytes; ``register`` adds one.
  ``applies`` says for which sources it makes sense; a delivery path's containers
  (:mod:`tests.fuzz.deliveries`: CloudWatch Logs subscription payloads, Security Lake's OCSF
  Parquet; the Firehose error output) name it in ``delivery``, and each ``(source, delivery)`` is a fuzz target of its own
  (:func:`targets`), so ``-k cloudwatch_logs`` or ``-k securitylake`` fuzzes one path alone.
  Security Lake's seeds are OCSF rows (the target ``securitylake``), not a source's records.

:func:`check_object` holds the invariants every input must keep, whatever its bytes.
"""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from hypothesis import strategies as st

from demo.records.cloudwatch_logs import firehose_object
from ingest.immense_terms import immense_term
from normalizers import SOURCES, DeadLetter, Origin, normalize_object
from normalizers.limits import DEFAULT_LIMITS, Limits
from normalizers.registry import spec as spec_of
from normalizers.terms import MAX_TERM_BYTES, cut_immense_values
from normalizers.vpcflow.fields import CONSTANTS as VPCFLOW_CONSTANTS
from opensearch_assets.templates import index_properties
from tests.conftest import FINDING_FIELDS, GOLDEN, MANDATORY_FIELDS, dataset_of, index_of, missing_fields
from tests.fuzz import deliveries
from tests.fuzz.conformance import violations

INGESTED = "2026-01-01T00:00:00.000Z"
REASONS = {
    "invalid JSON",
    "invalid record",
    "missing field",
    "unparseable timestamp",
    "truncated input",
    "record too large",
    "object too large",
    "unrecognized format",
    "invalid header",
    "invalid parquet",
}
TOLERATED = {
    # Golden cases: a v2 flow log has no region field, a NODATA/SKIPDATA record no action; the
    # index's constants are in the template, not in flow documents, and `event.action` is the
    # flow's outcome: no event.type/event.outcome restate it (docs/sources/vpcflow.md); an
    # interface an AWS service created has account-id `unknown`, no account (golden
    # account-unknown; a format without account-id has none either: docs/schema.md "Accounts").
    "aws.vpcflow": (
        "cloud.account.id",
        "cloud.region",
        "event.action",
        "event.type",
        "event.outcome",
        *VPCFLOW_CONSTANTS,
    ),
    # A GuardDuty finding without title or description (golden api-get-findings) has no message:
    # left to the mapping's owner (reported), tolerated here so the fuzzer looks at the rest.
    "aws.guardduty": ("message",),
}
WITHOUT_RAW = {"truncated input", "object too large"}
"""Dead letters that end an object (what follows is the rest of the object, not a record):
their ``raw`` is empty, the object's key and version re-drive it (docs/schema.md)."""
KEYS = {
    "cloudtrail": "AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json.gz",
    "guardduty": "AWSLogs/111111111111/GuardDuty/us-east-1/2024/05/01/x.jsonl.gz",
    "securityhub": "securityhub/2024/05/01/x.json",
    "vpcflow": "AWSLogs/111111111111/vpcflowlogs/us-east-1/2024/05/01/1_vpcflowlogs_us-east-1_fl-1_x.log.gz",
    "config": "AWSLogs/111111111111/Config/us-east-1/2024/5/1/ConfigHistory/x_Config_us-east-1_ConfigHistory_x.json.gz",
    "cloudwatch_logs": "firehose/2024/05/01/12/to-s3-1-2024-05-01-12-00-00-0b5e7a4c.gz",
    "securitylake": "aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=111111111111/eventDay=20240501/x.gz.parquet",
    "firehose_errors": "AWSLogs/111111111111/firehose-errors/us-east-1/processing-failed/2024/05/01/x.gz",
}
"""The object's key, by the name :func:`check_object` gets: a source's or a delivery path's."""
DETAIL_TYPES = {
    "cloudtrail": "AWS API Call via CloudTrail",
    "guardduty": "GuardDuty Finding",
    "securityhub": "Security Hub Findings - Imported",
    "config": "Config Configuration Item Change",
}
WRAPPERS = {
    "cloudtrail": "Records",
    "guardduty": "findings",
    "securityhub": "Findings",
    "config": "configurationItems",
}


def normalize(
    data: bytes, name: str, *, configured: bool = True, limits: Limits = DEFAULT_LIMITS
) -> list[Any]:
    """``name``: the source or delivery path whose key (:data:`KEYS`) the object is read under;
    ``configured``: with the flow formats of the seeds' log groups (:func:`flow_headers`);
    ``limits``: the object's (smaller ones reach a limit with small inputs)."""
    # Every item of a Config snapshot is read (by default a snapshot keeps its compliance items
    # only, tests/normalizers/test_config_snapshots.py): the fuzzing is about the framing.
    origin = Origin(
        f"s3://bucket/{KEYS.get(name, 'x')}",
        INGESTED,
        config_snapshot_inventory=True,
        flow_formats=deliveries.flow_formats(flow_headers()) if configured else (),
        limits=limits,
    )
    return list(normalize_object(io.BytesIO(data), origin))


def check_object(
    data: bytes, name: str, records: int | None = None, items_expected: int | None = None
) -> list[Any]:
    """Normalize ``data`` and assert the invariants; ``records``: how many it holds, each to
    become a document, if known; ``items_expected``: how many documents and dead letters it
    makes, together, if known (records in = indexed + dead-lettered)."""
    items = normalize(data, name)  # no exception may escape
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    for item in items:
        if isinstance(item, DeadLetter):
            prefix = item.reason.split(":", 1)[0]
            assert prefix in REASONS, item.reason
            assert item.position and item.object == f"s3://bucket/{KEYS.get(name, 'x')}", item
            assert item.raw or prefix in WITHOUT_RAW or not data.strip(), item
    for document in documents:
        dataset = dataset_of(document)
        finding = document["event"].get("kind") == "alert" or dataset in (
            "aws.guardduty",
            "aws.securityhub_findings",
        )
        fields = FINDING_FIELDS if finding else MANDATORY_FIELDS
        tolerated = (*TOLERATED.get(dataset, ()), *_without_severity(document))
        missing = [field for field in missing_fields(document, fields) if field not in tolerated]
        assert not missing, (missing, document)
        orjson.dumps(document)  # what the bulk writer does with it
        assert not refusals(document), (refusals(document), document)
    if records is not None:
        assert len(items) == records, (
            len(items),
            records,
            [i for i in items if isinstance(i, DeadLetter)][:3],
        )
        assert len(documents) == records, [i for i in items if isinstance(i, DeadLetter)][:3]
    if items_expected is not None:
        assert len(items) == items_expected, (len(items), items_expected, items[:3])
    return items


def _without_severity(document: dict[str, Any]) -> tuple[str, ...]:
    """``("event.severity",)`` for a finding that gave no severity: a Security Hub finding
    without ``Severity`` or ``FindingProviderFields.Severity`` with a ``Label`` or
    ``Normalized`` (ASFF calls it not valid), a GuardDuty finding without ``severity`` (its API
    requires one). Either is indexed without ``event.severity``, searchable, rather than
    dead-lettered (docs/sources/securityhub.md, guardduty.md); one that gave a severity still
    needs it."""
    dataset = dataset_of(document)
    if dataset == "aws.guardduty":
        given = document.get("aws", {}).get("guardduty", {}).get("severity") or {}
        return () if given.get("code") is not None else ("event.severity",)
    if dataset != "aws.securityhub_findings":
        return ()
    given = document.get("aws", {}).get("securityhub_findings", {}).get("severity") or {}
    return () if given.get("label") or given.get("normalized") is not None else ("event.severity",)


# -- seeds ----------------------------------------------------------------------------------


@cache
def seeds(source: str) -> tuple[bytes, ...]:
    """Records of the source's golden cases that normalize alone into one document (JSON
    sources: the record as it came; VPC flows: header line + record line; ``securitylake``:
    an OCSF row as a one-row Parquet file)."""
    if source == "securitylake":
        rows = deliveries.ocsf_rows()
        return tuple(row for row in rows if _documents(normalize(row, source)) == 1)
    found: list[bytes] = []
    for path in sorted((GOLDEN / source).glob("*/input*")):
        data = path.read_bytes()
        origin = Origin(f"s3://bucket/{KEYS[source]}", INGESTED, keep_original=True)
        try:
            items = list(normalize_object(io.BytesIO(data), origin))
        except Exception:
            continue
        header = _header(data) if source == "vpcflow" else None
        if source == "vpcflow" and header is None:
            continue  # a truncated gzip: its records alone are headerless lines, not seeds
        for item in items:
            original = None if isinstance(item, DeadLetter) else item["event"].get("original")
            if not isinstance(original, str):
                continue
            raw = original.encode() if header is None else header + b"\n" + original.encode()
            if _documents(normalize(raw, source, configured=False)) == 1:
                found.append(raw)
    return tuple(dict.fromkeys(found))


def _documents(items: list[Any]) -> int:
    return sum(1 for item in items if not isinstance(item, DeadLetter))


@cache
def flow_headers() -> tuple[bytes, ...]:
    """The header lines of the flow seeds (one configured log group each, CloudWatch Logs)."""
    return tuple(dict.fromkeys(raw.split(b"\n", 1)[0] for raw in seeds("vpcflow")))


def _header(data: bytes) -> bytes | None:
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except EOFError:
            return None
    return data.split(b"\n", 1)[0]


@cache
def bare_records(source: str) -> tuple[bytes, ...]:
    """Seeds that are records in no envelope (what a container may wrap); cached: strategies
    sample from it for every example."""
    framing = spec_of(source).framing
    if framing is None:
        return seeds(source)
    return tuple(raw for raw in seeds(source) if framing.is_bare(orjson.loads(raw)))


# -- containers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    name: str
    wrap: Callable[[str, Sequence[bytes]], bytes]
    """``(source, records) -> object bytes``; each record one seed of the source."""
    applies: Callable[[str], bool]
    bare_only: bool = False
    """Wraps records itself (an envelope): only seeds in no envelope fit."""
    delivery: str | None = None
    """The delivery path it is (normalizers/delivery.py); ``None``: the source's own objects."""


def _json(source: str) -> bool:
    return source in SOURCES and spec_of(source).framing is not None


def eventbridge_event(source: str, record: bytes) -> bytes:
    detail: Any = orjson.loads(record)
    if source == "securityhub":
        detail = {"findings": [detail]}
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": DETAIL_TYPES[source],
        "source": f"aws.{source}",
        "account": "111111111111",
        "time": "2024-05-01T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    return orjson.dumps(event)


def _sns(record: bytes) -> bytes:
    return orjson.dumps(
        {
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:us-east-1:111111111111:findings",
            "Message": record.decode(),
            "Timestamp": "2024-05-01T12:00:00.000Z",
        }
    )


def firehose_error_line(record: bytes) -> bytes:
    """The error record a Firehose stream writes for a record it could not deliver: the record
    as the stream received it, base64 in ``rawData`` (docs/sources/firehose_errors.md)."""
    return orjson.dumps(
        {
            "attemptsMade": 4,
            "arrivalTimestamp": 1714521600000,
            "errorCode": "Lambda.FunctionError",
            "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
            "attemptEndingTimestamp": 1714521660000,
            "rawData": base64.b64encode(record).decode(),
        }
    )


def _vpc_text(records: Sequence[bytes]) -> bytes:
    header = records[0].split(b"\n", 1)[0]
    same = [r.split(b"\n", 1)[1] for r in records if r.split(b"\n", 1)[0] == header]
    return header + b"\n" + b"\n".join(same) + b"\n"


CONTAINERS: list[Container] = [
    Container("json lines", lambda s, r: b"\n".join(r) + b"\n", _json),
    Container("concatenated (Firehose)", lambda s, r: b"".join(r), _json),
    Container("array", lambda s, r: b"[" + b",".join(r) + b"]", _json),
    Container(
        "wrapper",
        lambda s, r: b'{"' + WRAPPERS[s].encode() + b'":[' + b",".join(r) + b"]}",
        lambda s: s in WRAPPERS,
        bare_only=True,
    ),
    Container(
        "EventBridge events",
        lambda s, r: b"\n".join(eventbridge_event(s, x) for x in r),
        lambda s: s in DETAIL_TYPES,
        bare_only=True,
    ),
    Container(
        "SNS notifications of EventBridge events",
        lambda s, r: b"".join(_sns(eventbridge_event(s, x)) for x in r),
        lambda s: s in DETAIL_TYPES,
        bare_only=True,
    ),
    Container("flow log text", lambda s, r: _vpc_text(r), lambda s: s == "vpcflow"),
    Container(
        "Config snapshot file (scalars before the array)",
        lambda s, r: (
            b'{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[' + b",".join(r) + b"]}"
        ),
        lambda s: s == "config",
        bare_only=True,
    ),
    Container(
        "CloudWatch Logs subscription payloads (each gzipped, concatenated by Firehose)",
        lambda s, r: firehose_object(deliveries.payloads(s, r, flow_headers())),
        lambda s: s in ("cloudtrail", "vpcflow"),
        bare_only=True,
        delivery="cloudwatch_logs",
    ),
    Container(
        "CloudWatch Logs subscription payloads (decompressed by Firehose, one a line)",
        lambda s, r: deliveries.decompressed(deliveries.payloads(s, r, flow_headers())),
        lambda s: s in ("cloudtrail", "vpcflow"),
        bare_only=True,
        delivery="cloudwatch_logs",
    ),
    Container(
        # What the member stack's streams carry (EventBridge events of findings), one error
        # record a line as Firehose writes them under its error output prefix.
        "Firehose error output (each event base64 in rawData)",
        lambda s, r: b"\n".join(firehose_error_line(eventbridge_event(s, x)) for x in r) + b"\n",
        lambda s: s in ("guardduty", "securityhub"),
        bare_only=True,
        delivery="firehose_errors",
    ),
    Container(
        "Security Lake OCSF Parquet",
        lambda s, r: deliveries.lake_object(r),
        lambda s: s == "securitylake",
        delivery="securitylake",
    ),
]


def register(container: Container) -> None:
    """Add a delivery shape to every fuzz run (and to the corpus replay's reach)."""
    CONTAINERS.append(container)


def containers(source: str, delivery: str | None = None) -> list[Container]:
    return [c for c in CONTAINERS if c.applies(source) and c.delivery == delivery]


def compatible(source: str, records: Sequence[bytes]) -> list[bytes]:
    """The records that can share the first one's object: flow lines of its header (one header
    a file, one format a log group), OCSF rows of its schema; all the others'."""
    if source == "vpcflow":
        header = records[0].split(b"\n", 1)[0]
        return [r for r in records if r.split(b"\n", 1)[0] == header]
    if source == "securitylake":
        return deliveries.same_schema(records)
    return list(records)


@st.composite
def some(draw: st.DrawFn, elements: st.SearchStrategy[Any], min_size: int, max_size: int) -> list[Any]:
    """A list of ``min_size`` to ``max_size`` ``elements``, its length drawn first.

    The lists ``st.lists`` makes, built another way: hypothesis's mutator, which copies one
    part of an example over another part of the same kind, copies lists of another length
    there, and the example then runs out of choices before its end (an overrun, discarded:
    about one example in four of these fuzzers, measured). A length drawn as an integer is
    copied as one, and every element as one choice of the same kind."""
    return [draw(elements) for _ in range(draw(st.integers(min_size, max_size)))]


@cache
def _compatible_pools(source: str, pool: tuple[bytes, ...]) -> dict[bytes, tuple[bytes, ...]]:
    """For each record of ``pool``, the records of ``pool`` that can share its object."""
    return {first: tuple(compatible(source, [first, *pool])[1:]) for first in pool}


@st.composite
def compatible_records(draw: st.DrawFn, source: str, pool: tuple[bytes, ...], max_size: int) -> list[bytes]:
    """1 to ``max_size`` records of ``pool`` that can share one object (:func:`compatible`):
    the first any record, the others drawn among the ones compatible with it, so that none is
    drawn to be dropped (every list ``compatible`` left of a drawn list is still made)."""
    first = draw(st.sampled_from(pool))
    return [first, *draw(some(st.sampled_from(_compatible_pools(source, pool)[first]), 0, max_size - 1))]


def compressions() -> dict[str, Callable[[bytes, Sequence[bytes]], bytes]]:
    """``(object, the parts it was joined from) -> bytes``: plain, gzip, multi-member gzip."""
    return {
        "plain": lambda data, parts: data,
        "gzip": lambda data, parts: gzip.compress(data, 1),
        "multi-member gzip": lambda data, parts: b"".join(
            gzip.compress(data[i : i + 997], 1) for i in range(0, max(len(data), 1), 997)
        ),
    }


@dataclass(frozen=True)
class Target:
    """What one fuzz test instance builds objects of: a source's seeds in its own containers,
    or in a delivery path's."""

    source: str
    delivery: str | None = None

    @property
    def key(self) -> str:
        """The name of the object's key (:data:`KEYS`)."""
        return self.delivery or self.source

    @property
    def id(self) -> str:
        if self.delivery is None or self.delivery == self.source:
            return self.key
        return f"{self.source}-via-{self.delivery}"


def targets() -> list[Target]:
    """Every source with seeds in its own containers, then in each delivery path's."""
    found = [Target(source) for source in (*SOURCES, "securitylake") if seeds(source)]
    paths = dict.fromkeys(c.delivery for c in CONTAINERS if c.delivery is not None)
    return [
        Target(target.source, delivery)
        for delivery in (None, *paths)
        for target in found
        if containers(target.source, delivery)
    ]


# -- what Serverless accepts ----------------------------------------------------------------


def refusals(document: dict[str, Any]) -> list[str]:
    """Why OpenSearch Serverless would refuse ``document`` as the ingest path sends it; empty
    when it would index it. A value of a type its index's template does not take (a mapping
    error, :mod:`tests.fuzz.conformance`; a field the template does not map is kept unindexed
    under ``dynamic: false``), no ``@timestamp`` (a TIMESERIES collection requires it), or a
    term longer than Lucene takes left after the path cut the values too long to index
    (normalizers/terms.py): each is a 400 for the document, its record unsearchable."""
    index = index_of(document)
    found = [problem for problem in violations(document, index) if not problem.endswith(": not mapped")]
    if "@timestamp" not in document:
        found.append("no @timestamp")
    if len(orjson.dumps(document)) > MAX_TERM_BYTES:
        sent = cut_immense_values(document, "record 0") or document
        immense = immense_term(sent, index_properties(index))
        if immense is not None:
            found.append(f"a term of {len(immense.term)} bytes in {immense.field}")
    return found
