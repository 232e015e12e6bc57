"""``siem ingest --workers N``: objects spread over processes that share one SQLite ledger file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from ingest.ledger import LeaseHeld, SqliteLedger
from siem_cli import main as cli
from tests.ingest.conftest import DeletedAfterListing
from tests.ingest.harness import count, duplicated_ids
from tests.ingest.records import flow_object

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("guarded_clients")]


def _claim(
    path: Path, owner: str, start: multiprocessing.synchronize.Barrier, answers: multiprocessing.Queue
) -> None:
    ledger = SqliteLedger(path)
    start.wait()
    try:
        ledger.claim("s3://b/k#v1", owner, lease_seconds=600, chunk_size=100)
        answers.put(f"{owner} claimed")
    except LeaseHeld:
        answers.put(f"{owner} refused")


def test_one_ledger_file_gives_an_object_to_one_process_at_a_time(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    start, answers = context.Barrier(4), context.Queue()
    path = tmp_path / "ledger.sqlite"
    SqliteLedger(path).close()  # the file and its table exist before the race
    workers = [context.Process(target=_claim, args=(path, f"worker-{n}", start, answers)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    results = sorted(answers.get(timeout=10) for _ in workers)
    assert sum(result.endswith("claimed") for result in results) == 1, results
    assert sum(result.endswith("refused") for result in results) == 3, results


def test_objects_spread_over_processes_are_indexed_once(
    tmp_path: Path, engine_url: str, templated_engine: OpenSearch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    expected = bad = 0
    for n in range(6):
        flows = flow_object(300, seed=40 + n, bad_every=97)
        (logs / f"flows-{n}.log.gz").write_bytes(flows.body)
        expected += flows.records - flows.bad
        bad += flows.bad
    options = [
        "--endpoint", engine_url, "--auth", "none", "--ledger", tmp_path / "ledger.sqlite",
        "--dead-letter", tmp_path / "dead", "--quiet", "--concurrency", "1", "--workers", "2",
    ]  # fmt: skip
    argv = ["ingest", str(logs), *map(str, options)]

    assert cli.main(argv) == 0
    first = capsys.readouterr().err
    assert cli.main(argv) == 0
    second = capsys.readouterr().err

    assert count(templated_engine, "siem-vpcflow") == expected
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert (
        f"6 objects (0 already done), {expected + bad} records read, {expected} indexed, {bad} dead-lettered"
        in first
    )
    assert "6 objects (6 already done)" in second and " 0 indexed, 0 dead-lettered" in second


def test_a_wrong_number_of_workers_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["ingest", ".", "--endpoint", "http://127.0.0.1:9", "--workers", "0"])
    assert exit_.value.code == 2
    assert "expected a number of processes" in capsys.readouterr().err


def _worker_options(endpoint: str, tmp_path: Path) -> list[str]:
    options = [
        "--endpoint", endpoint, "--auth", "none", "--ledger", tmp_path / "ledger.sqlite",
        "--dead-letter", tmp_path / "dead", "--quiet", "--concurrency", "1", "--workers", "2",
    ]  # fmt: skip
    return list(map(str, options))


def test_workers_skip_an_object_deleted_after_the_one_listing(
    deleted_after_listing: DeletedAfterListing,
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = cli.main(["ingest", deleted_after_listing.prefix, *_worker_options(engine_url, tmp_path)])

    err = capsys.readouterr().err
    assert status == 0, err  # nothing a re-run could finish
    # Listed once, by the command, not again by the workers.
    assert deleted_after_listing.listings == ["backfill/"]
    deleted_after_listing.check_run(err, templated_engine)


def test_workers_stop_before_the_first_object_when_the_endpoint_cannot_be_reached(
    tmp_path: Path, closed_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "flows.log.gz").write_bytes(flow_object(10, seed=7).body)

    status = cli.main(["ingest", str(logs), *_worker_options(closed_url, tmp_path)])

    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert err.splitlines() == [err.splitlines()[0]]
    assert err.startswith(f"siem ingest: cannot reach {closed_url}: connection refused")
    assert not (tmp_path / "dead").exists()
