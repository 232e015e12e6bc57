"""``siem ingest`` and ``siem replay-dead-letters``: same path as the Lambda, exactly once on re-runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo import synthetic
from ingest.replay import REPORTED_REFUSALS
from ingest.serverless_guard import ServerlessGuard
from opensearch_client import ConnectionSettings
from siem_cli import main as cli
from tests.ingest.harness import count, duplicated_ids
from tests.ingest.proxy import FaultProxy, Faults
from tests.ingest.records import flow_object

pytestmark = pytest.mark.integration


@pytest.fixture
def proxy(engine_url: str, templated_engine: OpenSearch) -> Iterator[FaultProxy]:
    with FaultProxy(engine_url) as running:
        yield running


@pytest.fixture(autouse=True)
def guarded_clients(monkeypatch: pytest.MonkeyPatch, serverless_guard: ServerlessGuard) -> None:
    """The CLI builds its client from --endpoint; route it through the Serverless guard."""

    def guarded(connection: ConnectionSettings, pool_maxsize: int) -> OpenSearch:
        return serverless_guard.wrap(
            OpenSearch(hosts=[connection.endpoint], timeout=60, max_retries=0, pool_maxsize=pool_maxsize)
        )

    monkeypatch.setattr("ingest.runtime.make_client", guarded)


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
