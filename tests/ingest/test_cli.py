"""``siem ingest`` and ``siem replay-dead-letters``: same path as the Lambda, exactly once on re-runs."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

import ingest.backfill
import ingest.replay
from demo import synthetic
from ingest.ledger import SqliteLedger
from ingest.reader import open_local
from ingest.replay import REPORTED_REFUSALS
from siem_cli import main as cli
from tests.ingest.conftest import DeletedAfterListing
from tests.ingest.harness import count, duplicated_ids
from tests.ingest.proxy import FaultProxy, Faults
from tests.ingest.records import FlowObject, flow_object

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("guarded_clients")]


@pytest.fixture
def proxy(engine_url: str, templated_engine: OpenSearch) -> Iterator[FaultProxy]:
    with FaultProxy(engine_url) as running:
        yield running


def _siem(*args: str | Path) -> int:
    return cli.main([str(arg) for arg in args])


def _options(endpoint: str, tmp_path: Path) -> list[Any]:
    return [
        "--endpoint",
        endpoint,
        "--auth",
        "none",
        "--ledger",
        tmp_path / "ledger.sqlite",
        "--dead-letter",
        tmp_path / "dead-letters",
        "--quiet",
        "--concurrency",
        "2",
    ]


def _logs(tmp_path: Path, *objects: FlowObject) -> Path:
    """A folder of flow log objects ``f0.log.gz``, ``f1.log.gz``..."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for number, flows in enumerate(objects):
        (logs / f"f{number}.log.gz").write_bytes(flows.body)
    return logs


def _defaults(endpoint: str) -> list[str]:
    """Connection options only: the ledger and the dead-letter folder are the defaults."""
    return ["--endpoint", endpoint, "--auth", "none", "--quiet"]


def _letters(folder: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for path in sorted(folder.rglob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]


def test_ingesting_twice_indexes_nothing_the_second_time(
    tmp_path: Path, engine_url: str, templated_engine: OpenSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    (logs / "flows").mkdir(parents=True)
    flows = flow_object(800, seed=21, bad_every=101)
    (logs / "flows" / "eni 1.log.gz").write_bytes(flows.body)
    trail = list(synthetic.cloudtrail_records(300, seed=22))
    (logs / "trail.json.gz").write_bytes(synthetic.cloudtrail_log_file(trail))

    assert _siem("ingest", logs, *_options(engine_url, tmp_path)) == 0
    first = capsys.readouterr().err
    assert _siem("ingest", logs, *_options(engine_url, tmp_path)) == 0
    second = capsys.readouterr().err

    assert count(templated_engine, "siem-vpcflow") == flows.records - flows.bad
    assert count(templated_engine, "siem-cloudtrail") == len(trail)
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert len(_letters(tmp_path / "dead-letters")) == flows.bad
    assert f"{flows.records - flows.bad + len(trail)} indexed" in first
    assert "2 objects (2 already done)" in second and " 0 indexed, 0 dead-lettered" in second


def test_replaying_dead_letters_after_a_fix_indexes_them_once(
    tmp_path: Path, engine_url: str, proxy: FaultProxy, templated_engine: OpenSearch
) -> None:
    proxy.faults = Faults(seed=23, item_400=0.05)  # the engine refuses some documents...
    logs = tmp_path / "logs"
    logs.mkdir()
    flows = flow_object(600, seed=24, bad_every=150)
    (logs / "flows.log.gz").write_bytes(flows.body)
    assert _siem("ingest", logs, *_options(proxy.url, tmp_path)) == 0
    letters = _letters(tmp_path / "dead-letters")
    refused = [letter for letter in letters if letter["stage"] == "index"]
    assert refused and len(letters) == len(refused) + flows.bad
    assert count(templated_engine, "siem-vpcflow") == flows.records - len(letters)

    # ...the "fix" is talking to the engine without the faulty proxy; replay twice.
    replay = tmp_path / "replay"
    for _ in range(2):
        assert _siem("replay-dead-letters", tmp_path / "dead-letters", *_options(engine_url, replay)) == 0

    assert count(templated_engine, "siem-vpcflow") == flows.records - flows.bad
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    still_bad = _letters(replay / "dead-letters")
    assert len(still_bad) == flows.bad  # the truncated lines fail again, once each
    assert all(letter["reason"].startswith("invalid record") for letter in still_bad)


def _crafted_letters(tmp_path: Path, record: dict[str, Any], document: dict[str, Any]) -> list[bytes]:
    """Dead-letter lines whose ``source`` points outside the folder (issue 20), and valid ones."""
    raw_record, raw_document = orjson.dumps(record).decode(), orjson.dumps(document).decode()

    def letter(source: Any, stage: str = "read", raw: Any = "", **extra: Any) -> bytes:
        fields = {"reason": "crafted", "source": source, "object": "s3://b/k", "position": "record 1"}
        return orjson.dumps({**fields, "raw": raw, "stage": stage, **extra})

    return [
        letter("cloudtrail", "normalize", raw_record),  # replays: indexed
        letter("../../../escaped"),
        letter(str(tmp_path / "absolute")),
        letter("cloudtrail/../../../../x"),
        letter("cloud\x00trail"),
        letter("..", "normalize", raw_record),
        letter("../../../index-escape", "index", raw_document),
        letter("unknown", "index", raw_document),  # a document needs its own source's index
        letter("cloudtrail", "index", "not a document"),
        letter(5),
        letter(["cloudtrail"]),
        letter("cloudtrail", "normalize", "abc", raw_encoding="base64"),  # bad padding
        b"[1, 2]",
        b"not json at all",
        letter("cloudtrail", "normalize", 5, raw_encoding="base64"),
        letter("cloudtrail"),  # stage read: nothing to replay, kept under cloudtrail/
    ]


def test_a_crafted_dead_letter_file_writes_nothing_outside_the_folder(
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = next(iter(synthetic.cloudtrail_records(1, seed=31)))
    document = {"@timestamp": "2026-03-01T00:00:00Z", "event": {"kind": "event", "id": "doc-1"}}
    inputs = tmp_path / "in"
    inputs.mkdir()
    lines = _crafted_letters(tmp_path, record, document)
    (inputs / "crafted.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    work = tmp_path / "a" / "b" / "c"  # deep enough that "../../.." stays inside tmp_path
    before = set(tmp_path.rglob("*"))

    status = _siem("replay-dead-letters", inputs, *_options(engine_url, work))

    assert status == 0
    written = {path for path in tmp_path.rglob("*") if path.is_file()} - before
    folder = work / "dead-letters"
    ledger = {path for path in written if path.parent == work and path.name.startswith("ledger.sqlite")}
    assert written - ledger and all(path.is_relative_to(folder) for path in written - ledger)
    assert {path.relative_to(folder).parts[0] for path in written if path.is_relative_to(folder)} <= {
        "cloudtrail",
        "unknown",
    }
    letters = _letters(folder)
    refused = [letter for letter in letters if letter["source"] == "unknown"]
    assert len(refused) == len(lines) - 2  # every crafted line, kept whole for a later look
    assert sorted(letter["raw"].encode() for letter in refused) == sorted(lines[1:-1])
    assert all(letter["reason"].startswith("invalid dead letter: ") for letter in refused)
    assert [letter["position"] for letter in letters if letter["source"] == "cloudtrail"] == ["record 1"]
    assert count(templated_engine, "siem-cloudtrail") == 1
    assert not templated_engine.indices.exists(index="siem-unknown")
    # Each refusal is told (a warning: on stderr in the CLI), escaped.
    told = [record.getMessage() for record in caplog.records if record.name == "ingest.replay"]
    assert len(told) == REPORTED_REFUSALS + 1  # then one line counts them all
    assert told[-1] == f"{inputs / 'crafted.jsonl'}: {len(lines) - 2} lines refused in all"
    assert f"{inputs / 'crafted.jsonl'} line 2 refused: unknown source '../../../escaped'; known: " in told[0]
    assert told[3].endswith(
        "line 5 refused: unknown source 'cloud\\x00trail'; known: cloudtrail, "
        "config, guardduty, securityhub, unknown, vpcflow"
    )
    assert f"{len(lines)} records read, 1 indexed, {len(lines) - 1} dead-lettered" in capsys.readouterr().err


def test_an_object_deleted_after_the_listing_is_reported_and_the_rest_goes_on(
    deleted_after_listing: DeletedAfterListing,
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = _siem("ingest", deleted_after_listing.prefix, *_options(engine_url, tmp_path))

    err = capsys.readouterr().err
    assert status == 0, err  # nothing a re-run could finish
    deleted_after_listing.check_run(err, templated_engine)


def test_two_runs_on_the_same_input_index_each_record_once(
    tmp_path: Path, engine_url: str, templated_engine: OpenSearch
) -> None:
    flows = [flow_object(300, seed=50 + number, bad_every=97) for number in range(8)]
    logs = _logs(tmp_path, *flows)
    statuses: list[int] = []

    def one_run() -> None:
        statuses.append(_siem("ingest", logs, *_options(engine_url, tmp_path)))

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    # Whatever the interleaving, an object is written by one run; the other says it was busy.
    assert len(statuses) == 2
    assert _siem("ingest", logs, *_options(engine_url, tmp_path)) == 0  # finishes what was busy

    records, bad = sum(flow.records for flow in flows), sum(flow.bad for flow in flows)
    assert count(templated_engine, "siem-vpcflow") == records - bad
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert len(_letters(tmp_path / "dead-letters")) == bad


def test_an_object_another_run_is_writing_is_reported_busy_and_left_to_it(
    tmp_path: Path, engine_url: str, templated_engine: OpenSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = _logs(tmp_path, flow_object(100, seed=60))
    other_run = f"cli@{socket.gethostname()}:{os.getpid()}:0ther0ne"  # alive: this process
    opened = open_local(logs / "f0.log.gz")
    opened.close()
    SqliteLedger(tmp_path / "ledger.sqlite").claim(opened.identity.ledger_key, other_run, 3600, 4000)

    status = _siem("ingest", logs, *_options(engine_url, tmp_path))

    err = capsys.readouterr().err
    assert status == 1
    assert f"not finished (run again to resume): {opened.identity.location}: " in err
    assert f"is being processed by {other_run}" in err
    assert not templated_engine.indices.exists(index="siem-vpcflow")


def test_a_rerun_from_another_folder_indexes_nothing_and_a_new_destination_gets_everything(
    tmp_path: Path,
    state_home: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flows = flow_object(400, seed=80, bad_every=100)
    logs = _logs(tmp_path, flows)
    options = _defaults(engine_url)
    runs = {}
    for folder, prefix in (("a", "siem-"), ("b", "siem-"), ("c", "other-")):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        # A new prefix needs its index templates first (ingest never writes into an unmapped index).
        install = ["--install-templates"] if prefix == "other-" else []
        assert _siem("ingest", logs, *options, "--index-prefix", prefix, *install) == 0
        runs[folder] = capsys.readouterr().err

    documents = flows.records - flows.bad
    assert f"{documents} indexed" in runs["a"]
    assert "1 objects (1 already done)" in runs["b"] and " 0 indexed, 0 dead-lettered" in runs["b"]
    assert f"{documents} indexed" in runs["c"]  # another destination: its own ledger
    assert count(templated_engine, "siem-vpcflow") == documents
    assert count(templated_engine, "other-vpcflow") == documents
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert len(list((state_home / "siem" / "ledgers").glob("*.sqlite"))) == 2


def test_a_legacy_ledger_in_the_working_folder_stops_the_run_before_anything_is_written(
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flows = flow_object(100, seed=81)
    logs = _logs(tmp_path, flows)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".siem").mkdir()
    SqliteLedger(tmp_path / ".siem" / "ledger.sqlite").close()
    options = _defaults(engine_url)

    assert _siem("ingest", logs, *options) == 2
    err = capsys.readouterr().err
    assert err.startswith("siem ingest: .siem/ledger.sqlite is a ledger of an earlier version")
    assert "Traceback" not in err and not templated_engine.indices.exists(index="siem-vpcflow")

    assert _siem("ingest", logs, *options, "--migrate-ledger") == 0
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert (tmp_path / ".siem" / "ledger.sqlite.migrated").exists()


def test_a_ledger_named_for_another_destination_is_refused(
    tmp_path: Path, engine_url: str, templated_engine: OpenSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = _logs(tmp_path, flow_object(50, seed=82))
    assert _siem("ingest", logs, *_options(engine_url, tmp_path)) == 0
    capsys.readouterr()

    assert _siem("ingest", logs, *_options(engine_url, tmp_path), "--index-prefix", "other-") == 2
    err = capsys.readouterr().err
    assert "records writes into http://127.0.0.1:" in err and "(index prefix 'siem-')" in err
    assert not templated_engine.indices.exists(index="other-vpcflow")


def _files(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_replays_write_their_dead_letters_apart_and_never_read_them_again(
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flows = flow_object(500, seed=90, bad_every=50)
    logs = _logs(tmp_path, flows)
    monkeypatch.chdir(tmp_path)
    options = _defaults(engine_url)
    assert _siem("ingest", logs, *options) == 0
    originals = _files(tmp_path / "dead-letters")
    assert len(_letters(tmp_path / "dead-letters")) == flows.bad
    capsys.readouterr()

    for _ in range(3):  # the truncated lines fail again on every replay
        assert _siem("replay-dead-letters", "dead-letters", *options) == 0

    assert _files(tmp_path / "dead-letters") == originals  # the folder read does not grow
    again = _letters(tmp_path / "dead-letters-replay")
    assert len(again) == flows.bad  # written once, by the first replay; never re-read
    assert all(letter["reason"].startswith("invalid record") for letter in again)
    runs = capsys.readouterr().err.splitlines()
    assert runs[0].endswith(f"{flows.bad} records read, 0 indexed, {flows.bad} dead-lettered")
    assert (
        runs[1:] == ["replayed: 1 objects (1 already done), 0 records read, 0 indexed, 0 dead-lettered"] * 2
    )
    assert count(templated_engine, "siem-vpcflow") == flows.records - flows.bad

    # Replaying the replay's own folder needs a folder of its own for what fails a third time.
    assert _siem("replay-dead-letters", "dead-letters-replay", *options) == 2
    refusal = capsys.readouterr().err
    assert refusal.startswith("siem replay-dead-letters: its dead letters would go to dead-letters-replay")
    assert "--dead-letter DIR" in refusal
    inside = ["--dead-letter", "dead-letters/again"]
    assert _siem("replay-dead-letters", "dead-letters", *options, *inside) == 2
    third = ["--dead-letter", "dead-letters-third"]
    assert _siem("replay-dead-letters", "dead-letters-replay", *options, *third) == 0
    assert len(_letters(tmp_path / "dead-letters-third")) == flows.bad


def test_a_dead_letter_line_that_fails_to_replay_is_reported_and_the_others_replay(
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = list(synthetic.cloudtrail_records(3, seed=91))
    lines = [
        orjson.dumps(
            {
                "reason": "r",
                "source": "cloudtrail",
                "object": "o",
                "position": f"record {n}",
                "raw": orjson.dumps(record).decode(),
                "stage": "normalize",
            }
        )
        for n, record in enumerate(records)
    ]
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "batch.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    poisoned = orjson.dumps(records[1])
    normalize = ingest.replay.normalize_object

    def normalizer_that_breaks_on_one_record(stream: Any, origin: Any, source: Any) -> Any:
        if stream.getvalue() == poisoned:
            raise RecursionError("maximum recursion depth exceeded (injected)")
        return normalize(stream, origin, source)

    monkeypatch.setattr("ingest.replay.normalize_object", normalizer_that_breaks_on_one_record)

    assert _siem("replay-dead-letters", folder, *_options(engine_url, tmp_path)) == 0

    assert count(templated_engine, "siem-cloudtrail") == 2
    letters = _letters(tmp_path / "dead-letters")
    assert [(letter["source"], letter["position"]) for letter in letters] == [("unknown", "line 2")]
    assert letters[0]["reason"] == "invalid dead letter: cannot be replayed: RecursionError"
    assert letters[0]["raw"].encode() == lines[1]
    assert "3 records read, 2 indexed, 1 dead-lettered" in capsys.readouterr().err
