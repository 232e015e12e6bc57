"""Ingest path benchmark: VPC flow text through ``process_object``, against normalize-only.

Rows:

- ``ingest flows -> osmem (templates)``: the whole path into the embedded engine with the
  project's templates. The engine is the bottleneck, so the number says little about
  Serverless throughput.
- ``vpcflow v2 normalize-only``: the object of ``benchmarks.vpcflow`` (same generator, default
  format, gzip text) normalized and encoded into ``_bulk`` bodies, as that benchmark measures it.
- ``ingest flows -> accept-all stand-in``: the same object through the whole ingest path as
  ``siem ingest`` runs it (production client, provenance, enrichment as configured by the
  environment, template check, chunks, SQLite ledger, dead letters, bulk pool) to an engine
  stand-in in its own process that answers every item ``201`` as OpenSearch words it, without
  indexing: the path's own cost. ``ratio_to_normalize_only`` compares it with the row above.
- ``ingest flows, no enrichment -> stand-in``: the same without enrichment (``ENRICHMENT=off``),
  to tell the enricher's share from the path's.
- ``siem ingest --workers 1`` and ``--workers 2``: several such files through the command, to the
  stand-in; ``speed_up`` is the second against the first.

Every measurement is repeated ``REPEATS`` times, the compared ones alternating within a round,
and each row reports medians (ratios: the median of each round's own ratio): on 2 cores shared
with other work, only a ratio measured in the same moment means something. Three rounds were
not enough (consecutive runs of one code read 0.64 to 0.81), so the two ingest rows also give
``paired_ratio_to_normalize_only`` and ``paired_cpu_ratio_to_normalize_only``: the median of
``PAIRED_ROUNDS`` further rounds of normalize-only and both ingest measures, back to back on the
same object, their order reversed every other round (benchmarks/paired.py), with the spread of
the rounds' ratios beside it (``..._spread``: least, first quartile, third quartile, greatest).

    python -m benchmarks.ingest [--records N] [--repeats N] [--paired-rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from benchmarks import vpcflow as vpcflow_bench
from benchmarks.paired import paired_rounds, round_ratios, summary
from enrichment import EnrichmentSettings
from ingest.config import Settings
from ingest.processor import process_object
from ingest.reader import open_local
from ingest.runtime import build_runtime
from ingest.writer import Deadline
from opensearch_assets.templates import component_templates, index_templates, install_templates
from opensearch_client import ConnectionSettings

RECORDS = 100_000
ENGINE_RECORDS = 5_000
"""The embedded engine indexes a few hundred to a thousand documents a second on 2 cores."""
REPEATS = 3
PAIRED_ROUNDS = 9
"""Paired rounds of the ``paired_*`` ratios: each about a second per measure (the whole object,
its address cache cold, as the rows above measure it)."""
WORKER_FILES = 6
"""Files of ``RECORDS // 5`` lines each for the ``--workers`` rows."""
FLOW_FILE = "111111111111_vpcflowlogs_eu-west-3_fl-0bench_20240501T1200Z_{n}.log.gz"


def _ingest_once(url: str, path: Path, scratch: Path, enrich: bool = True) -> dict[str, Any]:
    """One object through ``process_object`` as ``siem ingest`` wires it (``enrich``: with the
    enrichment the environment configures, else none); rates per wall and CPU second."""
    settings = Settings(
        connection=ConnectionSettings(url, auth="none"),
        dead_letter_dir=scratch / "dead",
        ledger_path=scratch / f"ledger-{time.time_ns()}.sqlite",
    )
    runtime = build_runtime(settings, enrichment=None if enrich else EnrichmentSettings(enabled=False))
    opened = open_local(path)
    wall, cpu = time.perf_counter(), time.process_time()
    result = process_object(opened, runtime.services, "bench", Deadline())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    opened.close()
    runtime.close()
    if result.status != "done" or result.indexed + result.dead_lettered != result.records:
        raise RuntimeError(f"the benchmark object was not ingested: {result.log_fields()}")
    return {
        "records": result.records,
        "seconds": wall,
        "records_per_s": result.records / wall,
        "records_per_cpu_s": result.records / cpu,
        "bulk_requests": result.requests,
    }


def _normalize_once(path: Path) -> dict[str, Any]:
    measured = vpcflow_bench._measure("normalize-only", str(path))
    return {
        "records": measured["rows"],
        "seconds": measured["seconds"],
        "records_per_s": measured["rows_per_second"],
        "records_per_cpu_s": measured["rows_per_cpu_second"],
    }


def _engine_row(path: Path, scratch: Path) -> dict[str, Any]:
    with OsmemServer.start(japanese=False) as server:
        install_templates(OpenSearch(hosts=[server.url], timeout=120, max_retries=0))
        measured = _ingest_once(server.url, path, scratch)
    return {"name": "ingest flows -> osmem (templates)", **_rounded(measured)}


def _merged(into: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    for name, spec in properties.items():
        if isinstance(spec.get("properties"), dict) and isinstance(
            into.get(name, {}).get("properties"), dict
        ):
            _merged(into[name]["properties"], spec["properties"])
        else:
            into[name] = spec
    return into


def _current_mappings() -> dict[str, bytes]:
    """``GET <index>/_mapping`` answers of indices the current templates created (their
    component templates' mappings merged), so ingest writes the lean documents."""
    components = component_templates()
    answers: dict[str, bytes] = {}
    for name, template in index_templates().items():
        properties: dict[str, Any] = {}
        for component in template["composed_of"]:
            mappings = components[component].get("template", {}).get("mappings", {})
            _merged(properties, mappings.get("properties", {}))
        answers[name] = orjson.dumps({name: {"mappings": {"properties": properties}}})
    return answers


MAPPINGS = _current_mappings()


class _AcceptAll(BaseHTTPRequestHandler):
    """Answers every bulk item ``201`` as OpenSearch does, without indexing; ``GET
    _index_template`` with one template covering every index (``ingest.template_check``); ``GET
    <index>/_mapping`` with the mapping the current templates give it (``ingest.live_mapping``:
    lean documents)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body of a small answer
    # waited for the client's delayed ACK, 40 ms per GET on a kept-alive connection (the
    # mapping read before the first chunk), a stall of the stand-in no engine has.
    disable_nagle_algorithm = True
    _item = b'{"create":{"_index":"%s","_id":"%020d","_version":1,"result":"created",' + (
        b'"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":201}}'
    )

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        index = self.path.strip("/").split("/")[0].encode()
        items = b",".join(self._item % (index, n, n) for n in range(body.count(b"\n") // 2))
        self._answer(b'{"took":3,"errors":false,"items":[' + items + b"]}")

    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("/_mapping"):
            index = self.path.strip("/").split("/")[0]
            mapping = MAPPINGS.get(index)
            if mapping is None:
                self._answer(b'{"error":{"type":"index_not_found_exception"},"status":404}', 404)
            else:
                self._answer(mapping)
            return
        self._answer(b'{"index_templates":[{"name":"all","index_template":{"index_patterns":["*"]}}]}')

    def do_HEAD(self) -> None:
        self._answer(b"")

    def _answer(self, answer: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


def _serve_accept_all(ports: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AcceptAll)
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


@contextlib.contextmanager
def accept_all() -> Iterator[str]:
    """The stand-in's URL, served by another process: its own cost is not the path's."""
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    process = context.Process(target=_serve_accept_all, args=(ports,), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=120)}"
    finally:
        process.terminate()
        process.join()


def _cli_ingest(url: str, folder: Path, scratch: Path, workers: int) -> dict[str, Any]:
    from siem_cli import main as cli  # the command as a user runs it

    run = f"{workers}-{time.time_ns()}"
    argv = ["ingest", str(folder), "--endpoint", url, "--auth", "none", "--quiet", "--workers", str(workers)]
    argv += ["--ledger", str(scratch / f"ledger-{run}.sqlite"), "--dead-letter", str(scratch / f"dead-{run}")]
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        status = cli.main(argv)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"siem ingest --workers {workers} exited with {status}")
    return {"seconds": seconds}


def _rounds(repeats: int, *measures: Callable[[], dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``repeats`` rounds of every measure, alternating: one list of results per measure."""
    results: list[list[dict[str, Any]]] = [[] for _ in measures]
    for _ in range(repeats):
        for into, measure in zip(results, measures, strict=True):
            into.append(measure())
    return results


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    numbers = {key for key, value in results[0].items() if isinstance(value, int | float)}
    return {key: statistics.median(result[key] for result in results) for key in results[0] if key in numbers}


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: round(value, 3) if isinstance(value, float) and value < 100 else round(value)
        for key, value in row.items()
    }


def _ratios(normalized: list[dict[str, Any]], ingested: list[dict[str, Any]]) -> dict[str, float]:
    """Median over the rounds of each round's ingest rate over its normalize-only rate."""
    pairs = list(zip(normalized, ingested, strict=True))
    wall = statistics.median(i["records_per_s"] / n["records_per_s"] for n, i in pairs)
    cpu = statistics.median(i["records_per_cpu_s"] / n["records_per_cpu_s"] for n, i in pairs)
    return {"ratio_to_normalize_only": round(wall, 3), "cpu_ratio_to_normalize_only": round(cpu, 3)}


def _paired(normalized: list[dict[str, Any]], ingested: list[dict[str, Any]]) -> dict[str, Any]:
    """The paired rounds' ratios of the path's rates to normalize-only's (benchmarks/paired.py)."""
    rates = {
        "paired_ratio_to_normalize_only": "records_per_s",
        "paired_cpu_ratio_to_normalize_only": "records_per_cpu_s",
    }
    row: dict[str, Any] = {}
    for name, rate in rates.items():
        row |= summary(round_ratios([i[rate] for i in ingested], [n[rate] for n in normalized]), name)
    return row


def run(
    records: int = RECORDS,
    engine_records: int = ENGINE_RECORDS,
    repeats: int = REPEATS,
    paired: int = PAIRED_ROUNDS,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        scratch = Path(tmp)
        engine_object = vpcflow_bench.write_text(scratch / FLOW_FILE.format(n="engine"), engine_records)
        rows.append(_engine_row(engine_object, scratch))
        flows = vpcflow_bench.write_text(scratch / FLOW_FILE.format(n="v2"), records)
        folder = scratch / "objects"
        folder.mkdir()
        for n in range(WORKER_FILES):
            vpcflow_bench.write_text(folder / FLOW_FILE.format(n=n), max(1, records // 5))
        with accept_all() as url:
            normalized, ingested, unenriched = _rounds(
                repeats,
                lambda: _normalize_once(flows),
                lambda: _ingest_once(url, flows, scratch),
                lambda: _ingest_once(url, flows, scratch, enrich=False),
            )
            paired_normalized, paired_ingested, paired_unenriched = paired_rounds(
                paired,
                lambda _: _normalize_once(flows),
                lambda _: _ingest_once(url, flows, scratch),
                lambda _: _ingest_once(url, flows, scratch, enrich=False),
            )
            one, two = _rounds(
                repeats,
                lambda: _cli_ingest(url, folder, scratch, 1),
                lambda: _cli_ingest(url, folder, scratch, 2),
            )
    rows.append({"name": "vpcflow v2 normalize-only (same object)", **_rounded(_median(normalized))})
    for name, results, paired_results in (
        ("ingest flows -> accept-all stand-in", ingested, paired_ingested),
        ("ingest flows, no enrichment -> stand-in", unenriched, paired_unenriched),
    ):
        row = {"name": name, **_rounded(_median(results)), **_ratios(normalized, results)}
        rows.append(row | _paired(paired_normalized, paired_results))
    worker_records = WORKER_FILES * max(1, records // 5)
    speed_ups = [a["seconds"] / b["seconds"] for a, b in zip(one, two, strict=True)]
    for workers, results in ((1, one), (2, two)):
        seconds = statistics.median(result["seconds"] for result in results)
        row = {"name": f"siem ingest --workers {workers} -> stand-in", "records": worker_records}
        row |= {"seconds": round(seconds, 3), "records_per_s": round(worker_records / seconds)}
        rows.append(row | ({"speed_up": round(statistics.median(speed_ups), 3)} if workers == 2 else {}))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records", type=int, default=RECORDS, help=f"records of the object (default {RECORDS})"
    )
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"rounds (default {REPEATS})")
    parser.add_argument(
        "--paired-rounds",
        type=int,
        default=PAIRED_ROUNDS,
        help=f"paired rounds of the paired_* ratios (default {PAIRED_ROUNDS})",
    )
    args = parser.parse_args()
    for row in run(args.records, repeats=args.repeats, paired=args.paired_rounds):
        print(orjson.dumps(row).decode())


if __name__ == "__main__":
    main()
