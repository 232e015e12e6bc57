"""VPC Flow Logs behaviour the golden cases cannot show: batches, memory, every field, formats."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demo.records import vpcflow as flows
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.framing import lines as line_framing
from normalizers.limits import DEFAULT_LIMITS, Limits
from normalizers.vpcflow import parquet, tables, text
from normalizers.vpcflow.header import Header, parse_header
from tests.conftest import GOLDEN

V2_HEADER = " ".join(flows.DEFAULT_FIELDS)


def record_id(obj: str, position: int, line: str | bytes) -> str:
    """A flow's ``event.id`` as docs/sources/vpcflow.md defines it: blake2b with a 12-byte
    digest of the object, the position and the line, each followed by NUL, in base64url."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (obj, str(position), line if isinstance(line, str) else line.decode()):
        digest.update(part.encode() + b"\x00")
    return base64.urlsafe_b64encode(digest.digest()).decode()


def normalize(
    data: bytes,
    name: str = "test.log",
    keep_original: bool = False,
    source: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[dict[str, Any]], list[DeadLetter]]:
    origin = Origin(
        object=name, ingested="2026-01-01T00:00:00.000Z", keep_original=keep_original, limits=limits
    )
    items = list(normalize_object(io.BytesIO(data), origin, source))
    return (
        [item for item in items if not isinstance(item, DeadLetter)],
        [item for item in items if isinstance(item, DeadLetter)],
    )


def flow_lines(count: int, seed: int = 7) -> list[str]:
    """Default-format records with varied values, a NODATA record every 50."""
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        start = 1_700_000_000 + rng.randrange(600)
        common: dict[str, Any] = {"account": "123456789012", "interface": f"eni-{rng.randrange(16**8):08x}"}
        if index % 50 == 49:
            lines.append(flows.text_line(flows.nodata(start=start, **common)))
            continue
        record = flows.flow(
            src=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            dst=f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            src_port=rng.randrange(1024, 65536),
            dst_port=rng.choice((22, 443, 53)),
            protocol=rng.choice((6, 17)),
            packets=rng.randrange(1, 99),
            byte_count=rng.randrange(40, 10**10),
            start=start,
            end=start + rng.randrange(60),
            action=rng.choice(("ACCEPT", "REJECT")),
            **common,
        )
        lines.append(flows.text_line(record))
    return lines


def text_file(lines: list[str], header: str = V2_HEADER) -> bytes:
    return flows.text_body(lines, header.split())


def parquet_file(lines: list[str], header: str = V2_HEADER) -> bytes:
    """The same records as AWS writes them in Parquet: underscore names, typed, null for '-'."""
    names = header.split()
    schema = flows.parquet_schema(names)
    rows = [line.split(" ") for line in lines]
    columns = {
        name: [
            None if row[position] == "-" else row[position] if kind == pa.string() else int(row[position])
            for row in rows
        ]
        for position, (name, kind) in enumerate(zip(names, schema.types, strict=True))
    }
    return flows.parquet_from_columns(columns, names)


def without_ids(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for document in documents:
        copy = json.loads(json.dumps(document))
        del copy["event"]["id"]
        out.append(copy)
    return out


# --------------------------------------------------------------------------- batches


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force many text chunks and Parquet batches so that records straddle batch boundaries."""
    monkeypatch.setattr(line_framing, "TEXT_CHUNK_BYTES", 700)
    monkeypatch.setattr(parquet, "PARQUET_BATCH_ROWS", 7)


def mixed_file() -> tuple[bytes, dict[int, str]]:
    """Good records with bad lines, blank lines and a missing final newline; bad line -> reason."""
    lines = flow_lines(60)
    bad = {
        5: "2 123 eni-x 1.2.3.4",
        17: lines[16].replace(" 6 ", " tcp ", 1),
        18: "",
        31: lines[30].replace("OK", "\xc9t\xe9"),
        44: "#comment that is no record",
    }
    out = []
    for index, line in enumerate(lines):
        out.append(bad.get(index, line))
    data = (V2_HEADER + "\n" + "\n".join(out)).encode("latin-1")  # no final newline
    reasons = {index + 2: reason for index, reason in bad.items() if reason}
    return data, reasons


def test_small_batches_give_the_same_items_as_one_batch(
    small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = mixed_file()
    small = normalize(data)
    monkeypatch.setattr(line_framing, "TEXT_CHUNK_BYTES", 1 << 20)
    whole = normalize(data)
    assert small[0] == whole[0]
    assert [(d.reason, d.position, d.raw) for d in small[1]] == [
        (d.reason, d.position, d.raw) for d in whole[1]
    ]


def test_positions_count_every_line_across_batches(small_batches: None) -> None:
    data, bad = mixed_file()
    documents, dead = normalize(data)
    assert [letter.position for letter in dead] == [f"line {number}" for number in sorted(bad)]
    lines = data.split(b"\n")
    good_lines = [n for n in range(2, len(lines) + 1) if n not in bad and lines[n - 1]]
    assert len(documents) == len(good_lines)  # the blank line is no record
    for document, number in zip(documents, good_lines, strict=True):
        assert document["event"]["id"] == record_id("test.log", number, lines[number - 1].decode())
    assert all(letter.raw.startswith(V2_HEADER.encode() + b"\n") for letter in dead)


def test_items_come_in_file_order(small_batches: None) -> None:
    data, _ = mixed_file()
    origin = Origin(object="test.log", ingested="2026-01-01T00:00:00.000Z", keep_original=True)
    lines = data.decode("latin-1").split("\n")
    numbers = []
    for item in normalize_object(io.BytesIO(data), origin):
        if isinstance(item, DeadLetter):
            numbers.append(int(item.position.split()[1]))
        else:
            numbers.append(lines.index(item["event"]["original"]) + 1)
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))


def test_parquet_rows_are_numbered_across_batches(small_batches: None) -> None:
    lines = flow_lines(30)
    lines[12] = lines[12].replace(lines[12].split()[10], "-")  # no start: dead letter
    documents, dead = normalize(parquet_file(lines), "flows.parquet")
    assert [(d.reason, d.position) for d in dead] == [("missing field: start", "row 13")]
    assert (
        json.loads(dead[0].raw)["start"] is None and json.loads(dead[0].raw)["account_id"] == "123456789012"
    )
    assert len(documents) == 29
    joined = " ".join(lines[0].split())
    assert documents[0]["event"]["id"] == record_id("flows.parquet", 1, joined)
    assert documents[-1]["event"]["id"] == record_id("flows.parquet", 30, lines[29])


# --------------------------------------------------------------------------- memory


def peak_python_memory(data: bytes) -> int:
    tracemalloc.start()
    try:
        for _ in normalize_object(
            io.BytesIO(data), Origin(object="big.log.gz", ingested="2026-01-01T00:00:00.000Z")
        ):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_in_file_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(line_framing, "TEXT_CHUNK_BYTES", 32 << 10)
    lines = flow_lines(1500)
    # Both files are past the fixed start-up buffers (gzip output, read-ahead: a few hundred
    # KiB whatever the file), so that only a growth with the file size can tell them apart.
    small = gzip.compress(text_file(lines * 4), 1)
    large = gzip.compress(text_file(lines * 16), 1)
    assert len(large) > 3 * len(small)
    small_peak, large_peak = peak_python_memory(small), peak_python_memory(large)
    # Four times the records, about the same peak: memory follows the batch, not the file.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


# --------------------------------------------------------------------------- every field

# Every field of versions 2 to 8 with a distinct value, and where the document must carry it.
ALL_FIELDS: list[tuple[str, str, str, Any]] = [
    ("version", "8", "aws.vpcflow.version", "8"),
    ("account-id", "123456789012", "cloud.account.id", "123456789012"),
    ("interface-id", "eni-0f00000000000000a", "aws.vpcflow.interface_id", "eni-0f00000000000000a"),
    ("srcaddr", "10.1.2.3", "aws.vpcflow.srcaddr", "10.1.2.3"),
    ("dstaddr", "2001:DB8::7", "aws.vpcflow.dstaddr", "2001:db8::7"),
    ("srcport", "40001", "source.port", 40001),
    ("dstport", "8443", "destination.port", 8443),
    ("protocol", "17", "network.transport", "udp"),
    ("packets", "3000000000", "source.packets", 3000000000),
    ("bytes", "5000000000000", "source.bytes", 5000000000000),
    ("start", "1700000000", "@timestamp", 1_700_000_000_000),  # 2023-11-14T22:13:20Z, epoch ms
    ("end", "1700000059", "event.end", 1_700_000_059_000),
    ("action", "REJECT", "event.action", "REJECT"),
    ("log-status", "OK", "aws.vpcflow.log_status", "OK"),
    ("vpc-id", "vpc-0a", "aws.vpcflow.vpc_id", "vpc-0a"),
    ("subnet-id", "subnet-0b", "aws.vpcflow.subnet_id", "subnet-0b"),
    ("instance-id", "i-0c", "cloud.instance.id", "i-0c"),
    ("tcp-flags", "18", "aws.vpcflow.tcp_flags", "18"),
    ("type", "IPv6", "aws.vpcflow.type", "IPv6"),
    # The packet addresses are the flow's (flow-logs.md, pkt-srcaddr): srcaddr/dstaddr, the
    # interface's, are kept apart where they differ.
    ("pkt-srcaddr", "192.0.2.1", "source.ip", "192.0.2.1"),
    ("pkt-dstaddr", "198.51.100.2", "destination.ip", "198.51.100.2"),
    ("region", "eu-west-3", "cloud.region", "eu-west-3"),
    ("az-id", "euw3-az1", "aws.vpcflow.az_id", "euw3-az1"),
    ("sublocation-type", "outpost", "aws.vpcflow.sublocation_type", "outpost"),
    ("sublocation-id", "op-0d", "aws.vpcflow.sublocation_id", "op-0d"),
    ("pkt-src-aws-service", "AMAZON", "aws.vpcflow.pkt_src_aws_service", "AMAZON"),
    ("pkt-dst-aws-service", "S3", "aws.vpcflow.pkt_dst_aws_service", "S3"),
    ("flow-direction", "egress", "network.direction", "egress"),
    ("traffic-path", "8", "aws.vpcflow.traffic_path", "8"),
    (
        "ecs-cluster-arn",
        "arn:aws:ecs:eu-west-3:123456789012:cluster/c1",
        "aws.vpcflow.ecs_cluster_arn",
        "arn:aws:ecs:eu-west-3:123456789012:cluster/c1",
    ),
    ("ecs-cluster-name", "c1", "aws.vpcflow.ecs_cluster_name", "c1"),
    ("ecs-container-instance-arn", "arn:ci", "aws.vpcflow.ecs_container_instance_arn", "arn:ci"),
    ("ecs-container-instance-id", "ci-1", "aws.vpcflow.ecs_container_instance_id", "ci-1"),
    ("ecs-container-id", "cont-1", "aws.vpcflow.ecs_container_id", "cont-1"),
    ("ecs-second-container-id", "cont-2", "aws.vpcflow.ecs_second_container_id", "cont-2"),
    ("ecs-service-name", "web", "aws.vpcflow.ecs_service_name", "web"),
    ("ecs-task-definition-arn", "arn:td", "aws.vpcflow.ecs_task_definition_arn", "arn:td"),
    ("ecs-task-arn", "arn:task", "aws.vpcflow.ecs_task_arn", "arn:task"),
    ("ecs-task-id", "task-1", "aws.vpcflow.ecs_task_id", "task-1"),
    ("reject-reason", "BPA", "aws.vpcflow.reject_reason", "BPA"),
]
# A valid address is not repeated in source.address (docs/schema.md, "Addresses"); the
# index's aliases (event.start, network.bytes/packets, aws.vpcflow.action), constants
# (event.kind, event.dataset...) and copies (related.ip, related.hosts), what the action and
# the times restate (event.type, event.outcome, event.duration), the number of a protocol
# network.transport names (network.iana_number) and the addresses' family (network.type) are
# in no document.
DERIVED: dict[str, Any] = {
    "aws.vpcflow.flow_direction": "egress",
    "aws.vpcflow.tcp_flags_array": ["syn", "ack"],
}


def leaves(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            out.update(leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_every_field_of_versions_2_to_8_round_trips() -> None:
    assert {name for name, *_ in ALL_FIELDS} == set(tables.KNOWN_FIELDS) - set(tables.TGW_FIELDS)
    header = " ".join(name for name, *_ in ALL_FIELDS)
    line = " ".join(value for _, value, *_ in ALL_FIELDS)
    documents, dead = normalize(text_file([line], header))
    assert not dead
    fields = leaves(documents[0])
    for name, _, path, expected in ALL_FIELDS:
        assert fields.pop(path) == expected, name
    for path, expected in DERIVED.items():
        assert fields.pop(path) == expected, path
    constants = {"event.provider", "event.ingested", "event.id"}
    assert set(fields) == constants  # nothing unexpected, nothing lost
    assert fields["event.ingested"] == 1_767_225_600_000  # 2026-01-01T00:00:00.000Z, epoch ms


@pytest.mark.parametrize(
    ("protocol", "network"),
    [
        ("6", {"transport": "tcp"}),
        ("58", {"transport": "ipv6-icmp"}),
        # IANA's registry lists 143-252 as unassigned: no keyword, so the number is the only trace.
        ("200", {"iana_number": "200"}),
    ],
)
def test_the_protocol_number_is_written_only_when_no_keyword_names_it(
    protocol: str, network: dict[str, str]
) -> None:
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol start end"
    line = f"2 123456789012 eni-0a 10.0.0.1 10.0.0.2 1 2 {protocol} 1700000000 1700000060"
    documents, dead = normalize(text_file([line], header))
    assert not dead
    assert documents[0]["network"] == network


def test_every_transit_gateway_field_is_kept_under_aws_vpcflow() -> None:
    names = ["version", "start", "srcaddr", *tables.TGW_FIELDS]
    values = [
        "6",
        "1700000000",
        "10.0.0.1",
        *[
            str(n) if name.startswith("packets-lost") else f"v-{n}"
            for n, name in enumerate(tables.TGW_FIELDS)
        ],
    ]
    documents, dead = normalize(text_file([" ".join(values)], " ".join(names)))
    assert not dead
    flow = documents[0]["aws"]["vpcflow"]
    for n, name in enumerate(tables.TGW_FIELDS):
        expected: Any = n if name.startswith("packets-lost") else f"v-{n}"
        assert flow[name.replace("-", "_")] == expected, name
    assert documents[0]["event"]["provider"] == "tgw-flow-logs"


def test_unknown_header_fields_are_kept_as_keywords() -> None:
    documents, _ = normalize(text_file(["1700000000 10.0.0.1 blue"], "start srcaddr future-field"))
    assert documents[0]["aws"]["vpcflow"]["future_field"] == "blue"


# --------------------------------------------------------------------------- formats agree


def test_parquet_and_text_of_the_same_rows_give_the_same_documents() -> None:
    lines = flow_lines(120)
    text_documents, text_dead = normalize(gzip.compress(text_file(lines)), "flows.log.gz")
    parquet_documents, parquet_dead = normalize(parquet_file(lines), "flows.parquet")
    assert not text_dead and not parquet_dead
    assert without_ids(text_documents) == without_ids(parquet_documents)


def test_the_parquet_sample_equals_its_records_written_as_text(shared_dir: Path) -> None:
    sample = GOLDEN / "vpcflow" / "parquet-sample" / "input.parquet"
    rows = pq.read_table(sample).to_pylist()
    lines = [" ".join(str(value) for value in row.values()) for row in rows]
    parquet_documents, _ = normalize(sample.read_bytes(), "sample.parquet")
    text_documents, _ = normalize(text_file(lines), "sample.log")
    assert len(parquet_documents) == 7
    assert without_ids(parquet_documents) == without_ids(text_documents)


# --------------------------------------------------------------------------- identity and replay


def test_event_ids_are_stable_and_unique_per_record() -> None:
    line = flow_lines(1)[0]
    data = text_file([line, line])  # the same line twice: two records
    first, _ = normalize(data, "s3://bucket/a.log.gz")
    again, _ = normalize(data, "s3://bucket/a.log.gz")
    other, _ = normalize(data, "s3://bucket/b.log.gz")
    ids = [document["event"]["id"] for document in first]
    assert ids == [document["event"]["id"] for document in again]
    assert len(set(ids)) == 2
    assert not set(ids) & {document["event"]["id"] for document in other}
    assert ids[0] == record_id("s3://bucket/a.log.gz", 2, line)


def test_a_dead_letter_replays_to_the_same_verdict() -> None:
    good = flow_lines(3)
    bad = good[1].replace(" 6 ", " six ", 1).replace(" 17 ", " seventeen ", 1)
    _, dead = normalize(text_file([good[0], bad, good[2]]))
    assert [d.position for d in dead] == ["line 3"]
    replayed_documents, replayed_dead = normalize(dead[0].raw, "replay")
    assert not replayed_documents
    assert [(d.reason, d.position) for d in replayed_dead] == [(dead[0].reason, "line 2")]


def test_keep_original_copies_the_text_line_and_the_parquet_row() -> None:
    lines = flow_lines(2)
    text_documents, _ = normalize(text_file(lines), keep_original=True)
    assert [document["event"]["original"] for document in text_documents] == lines
    parquet_documents, _ = normalize(parquet_file(lines), "f.parquet", keep_original=True)
    row = json.loads(parquet_documents[0]["event"]["original"])
    assert row["srcaddr"] == lines[0].split()[3] and row["bytes"] == int(lines[0].split()[9])


# --------------------------------------------------------------------------- odd input


def test_truncated_gzip_keeps_every_complete_line_of_a_large_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(line_framing, "TEXT_CHUNK_BYTES", 8 << 10)
    lines = flow_lines(3000)
    compressed = gzip.compress(text_file(lines), 6)
    cut = compressed[: len(compressed) * 2 // 3]
    recovered = _decompressed_prefix(cut)
    complete = recovered.count(b"\n") - 1  # minus the header
    origin = Origin(object="cut.log.gz", ingested="2026-01-01T00:00:00.000Z")
    normalized = normalize_object(io.BytesIO(cut), origin)
    items = list(normalized)
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    assert len(documents) == complete > 1000
    assert documents[-1]["event"]["id"] == record_id("cut.log.gz", complete + 1, lines[complete - 1])
    assert isinstance(items[-1], DeadLetter) and items[-1].reason.startswith("truncated input")
    assert normalized.outcome.error


def _decompressed_prefix(data: bytes) -> bytes:
    import zlib

    return zlib.decompressobj(wbits=31).decompress(data)


def test_an_overlong_line_is_dead_lettered_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(line_framing, "TEXT_CHUNK_BYTES", 1024)
    lines = flow_lines(3)
    # Longer than one read: the line is cut at the maximum line size instead of being held whole.
    data = text_file([lines[0], "x" * 600_000, lines[1], lines[2]])
    documents, dead = normalize(data, limits=Limits(max_line_bytes=4096))
    assert len(documents) == 3
    assert [(d.reason, d.position, len(d.raw)) for d in dead] == [
        ("invalid record: line longer than 4096 bytes", "line 3", len(V2_HEADER) + 1 + 4096)
    ]
    assert documents[1]["event"]["id"] == record_id("test.log", 4, lines[1])


def test_a_lone_carriage_return_does_not_shift_line_numbers() -> None:
    # pyarrow's CSV reader ends a line at a lone CR; flow log lines end at LF only.
    lines = flow_lines(4)
    broken = lines[1].replace(" OK", " O\rK")
    documents, dead = normalize(text_file([lines[0], broken, lines[2], lines[3]]))
    assert not dead
    assert documents[1]["aws"]["vpcflow"]["log_status"] == "O\rK"
    assert documents[-1]["event"]["id"] == record_id("test.log", 5, lines[3])


def test_crlf_line_ends_are_not_part_of_the_record() -> None:
    lines = flow_lines(3)
    data = ("\r\n".join([V2_HEADER, *lines]) + "\r\n").encode()
    documents, dead = normalize(data, keep_original=True)
    assert not dead
    assert [document["event"]["original"] for document in documents] == lines


def test_separator_like_bytes_inside_values_survive() -> None:
    line = flow_lines(1)[0].replace("123456789012", "1234\x1f5678\x00", 1)
    documents, _ = normalize(text_file([line]))
    assert documents[0]["cloud"]["account"]["id"] == "1234\x1f5678\x00"


@pytest.mark.parametrize("data", [b"", b"\n\n", V2_HEADER.encode() + b"\n", V2_HEADER.encode()])
def test_no_records_means_no_items(data: bytes) -> None:
    assert normalize(data, source="vpcflow") == ([], [])


@pytest.mark.parametrize("header", ["version version srcaddr", "start SRCADDR", "colour shape", "\xff\xfe"])
def test_an_invalid_header_is_one_dead_letter(header: str) -> None:
    documents, dead = normalize(text_file(flow_lines(3), header), source="vpcflow")
    assert not documents
    assert [(d.reason.split(":")[0], d.position) for d in dead] == [("invalid header", "line 1")]


def test_a_corrupt_parquet_file_is_one_dead_letter() -> None:
    data = parquet_file(flow_lines(5))
    documents, dead = normalize(data[:100] + data[-8:], "bad.parquet")  # footer length points nowhere
    assert not documents
    assert [(d.reason.split(":")[0], d.position) for d in dead] == [("invalid parquet", "object")]


def test_a_damaged_parquet_page_dead_letters_the_unreadable_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet, "PARQUET_BATCH_ROWS", 10)
    sink = io.BytesIO()
    lines = flow_lines(40)
    table = pq.read_table(io.BytesIO(parquet_file(lines)))
    pq.write_table(table, sink, row_group_size=20, compression="gzip")
    data = bytearray(sink.getvalue())
    second = pq.ParquetFile(io.BytesIO(bytes(data))).metadata.row_group(1).column(3)
    start = second.data_page_offset + 40  # inside the compressed page of srcaddr, row group 2
    data[start : start + 64] = bytes(64)
    documents, dead = normalize(bytes(data), "damaged.parquet")
    assert len(documents) == 20
    assert [(d.reason.split(":")[0], d.position) for d in dead] == [("invalid parquet", "row 21")]


def test_out_of_range_values_are_bad_records() -> None:
    line = flow_lines(1)[0].split(" ")
    cases = {5: "70000", 7: "256", 9: "9223372036854775808", 10: "253402300800"}
    reasons = []
    for position, value in cases.items():
        broken = list(line)
        broken[position] = value
        reasons += [d.reason for d in normalize(text_file([" ".join(broken)]))[1]]
    assert reasons == [
        "invalid record: srcport 70000 out of range",
        "invalid record: protocol 256 out of range",
        "invalid record: bytes 9223372036854775808 out of range",
        "unparseable timestamp: start '253402300800'",
    ]


def test_the_line_by_line_path_parses_like_pyarrow() -> None:
    """Chunks pyarrow refuses go through a Python split: both must give the same rows."""
    data, _ = mixed_file()
    chunk = data.split(b"\n", 1)[1].decode("latin-1").replace("\xc9t\xe9", "OK").encode()
    header = parse_header(V2_HEADER.encode())
    assert isinstance(header, Header)
    fast = text._parse_fast(chunk, 2, header)
    slow = text._parse_slow(chunk, 2, header)
    assert fast is not None
    assert fast.lines == slow.lines
    assert [column.to_pylist() for column in fast.columns] == [column.to_pylist() for column in slow.columns]
    assert [(line, raw) for line, raw, _ in fast.invalid] == [(line, raw) for line, raw, _ in slow.invalid]


def test_bad_typed_parquet_values_are_dead_lettered_as_their_text_would_be() -> None:
    """Parquet integer columns are read as integers: a negative or too large value must give
    the reason the same value written as text gives."""
    line = flow_lines(1)[0].split(" ")
    cases = [
        *[(5, "-1"), (5, "70000"), (7, "256"), (7, "-6"), (8, "-3"), (9, "-9223372036854775808")],
        *[(10, "-1714564800"), (10, "253402300800"), (10, "1000000000000000000"), (10, "-")],
        *[(11, "-5"), (11, "253402300800")],
    ]
    lines = []
    for position, value in cases:
        broken = list(line)
        broken[position] = value
        lines.append(" ".join(broken))
    _, text_dead = normalize(text_file(lines))
    _, parquet_dead = normalize(parquet_file(lines), "bad.parquet")
    assert [d.reason for d in parquet_dead] == [d.reason for d in text_dead]
    assert [d.position for d in parquet_dead] == [f"row {n}" for n in range(1, len(cases) + 1)]
    assert parquet_dead[0].reason == "invalid record: non-numeric srcport '-1'"


# "Traffic through a transit gateway" (flow-logs-records-examples.md), with start and end
# added (a record without start has no @timestamp): the request on the web server's own
# interface, on the transit gateway's interface in VPC B (srcaddr is that interface's
# address, pkt-srcaddr the client's in VPC A), and the response leaving through the other.
TGW_EXAMPLE_HEADER = (
    "version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport "
    "protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status start end"
)
TGW_EXAMPLE = [
    "3 eni-33333333333333333 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb "
    "i-01234567890123456 10.20.33.164 10.40.2.236 39812 80 6 3 IPv4 10.20.33.164 10.40.2.236 ACCEPT OK",
    "3 eni-11111111111111111 123456789010 vpc-abcdefab012345678 subnet-11111111aaaaaaaaa - "
    "10.40.1.175 10.40.2.236 39812 80 6 3 IPv4 10.20.33.164 10.40.2.236 ACCEPT OK",
    "3 eni-22222222222222222 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb - "
    "10.40.2.236 10.40.2.31 80 39812 6 19 IPv4 10.40.2.236 10.20.33.164 ACCEPT OK",
]


@pytest.mark.parametrize("layout", ["text", "parquet"])
def test_the_packet_addresses_are_the_flow_s_and_the_interface_s_are_kept_where_they_differ(
    layout: str,
) -> None:
    lines = [f"{line} 1566848875 1566848933" for line in TGW_EXAMPLE]
    make = text_file if layout == "text" else parquet_file
    documents, dead = normalize(
        make(lines, TGW_EXAMPLE_HEADER), f"t.{'log' if layout == 'text' else 'parquet'}"
    )
    assert not dead
    addresses = [
        (
            d["source"]["ip"],
            d["destination"]["ip"],
            d["aws"]["vpcflow"].get("srcaddr"),
            d["aws"]["vpcflow"].get("dstaddr"),
        )
        for d in documents
    ]
    assert addresses == [
        ("10.20.33.164", "10.40.2.236", None, None),  # the server's interface: nothing in between
        ("10.20.33.164", "10.40.2.236", "10.40.1.175", None),  # the client, through the TGW's interface
        ("10.40.2.236", "10.20.33.164", None, "10.40.2.31"),  # the reply, to the client
    ]
    assert not any(
        "pkt_srcaddr" in d["aws"]["vpcflow"] or "pkt_dstaddr" in d["aws"]["vpcflow"] for d in documents
    )


def test_without_a_packet_address_the_interface_s_is_the_flow_s() -> None:
    header = (
        "version account-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr start end action log-status"
    )
    line = "3 123456789010 eni-0a 10.0.0.1 10.0.0.2 - 203.0.113.9 1700000000 1700000060 ACCEPT OK"
    [document], dead = normalize(text_file([line], header))
    assert not dead
    assert (document["source"], document["destination"]) == ({"ip": "10.0.0.1"}, {"ip": "203.0.113.9"})
    assert document["aws"]["vpcflow"]["dstaddr"] == "10.0.0.2"
    assert "srcaddr" not in document["aws"]["vpcflow"]
