"""Ingest path benchmark: VPC flow text through ``process_object`` into the embedded engine.

Measures the whole path on this machine (normalize, chunk, bulk writes with the pool, SQLite
ledger acks, dead-letter writes) against osmem-server with the project's templates. The engine
is the bottleneck here, so the number says little about Serverless throughput; it is a
regression guard for the path's own overhead, which the second row isolates by writing to an
engine stand-in that accepts every bulk request without indexing it.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from demo.records import vpcflow
from demo.records.compression import gzip_bytes
from ingest.config import Settings
from ingest.ledger import SqliteLedger
from ingest.processor import process_object
from ingest.reader import open_bytes
from ingest.runtime import build_runtime
from ingest.writer import Deadline
from opensearch_assets.templates import install_templates
from opensearch_client import ConnectionSettings

RECORDS = 20_000
ENGINE_RECORDS = 5_000
"""The embedded engine indexes a few hundred to a thousand documents a second on 2 cores."""


def flow_text(records: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = []
    for _ in range(records):
        start = 1_714_560_000 + rng.randrange(3600)
        record = vpcflow.flow(
            account="111111111111",
            interface=f"eni-{rng.randrange(1 << 20):05x}",
            src=f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
            dst=f"172.16.{rng.randrange(256)}.{rng.randrange(256)}",
            src_port=rng.randrange(1024, 65536),
            dst_port=443,
            packets=rng.randrange(1, 50),
            byte_count=rng.randrange(40, 50_000),
            start=start,
        )
        lines.append(vpcflow.text_line(record))
    return gzip_bytes(vpcflow.text_body(lines), level=1)


def _ingest(url: str, data: bytes, client: OpenSearch, scratch: Path) -> dict[str, Any]:
    settings = Settings(
        connection=ConnectionSettings(url, auth="none"), dead_letter_dir=scratch / "dead", concurrency=2
    )
    runtime = build_runtime(
        settings, client=client, ledger=SqliteLedger(scratch / f"ledger-{time.time_ns()}.sqlite")
    )
    started = time.perf_counter()
    result = process_object(
        open_bytes("bench://flows", data, str(time.time_ns()), datetime.now(UTC)),
        runtime.services,
        "bench",
        Deadline(),
    )
    seconds = time.perf_counter() - started
    runtime.close()
    return {
        "records": result.records,
        "seconds": round(seconds, 3),
        "records_per_s": round(result.records / seconds),
        "bulk_requests": result.requests,
    }


class _AcceptAll(BaseHTTPRequestHandler):
    """Answers every bulk item 201 without indexing: isolates the ingest path's own cost."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        items = body.count(b"\n") // 2
        answer = orjson.dumps({"took": 0, "errors": False, "items": [{"create": {"status": 201}}] * items})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


def run(records: int = RECORDS, engine_records: int = ENGINE_RECORDS) -> list[dict[str, Any]]:
    data = flow_text(records)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        with OsmemServer.start(japanese=False) as server:
            client = OpenSearch(hosts=[server.url], timeout=120, max_retries=0, pool_maxsize=3)
            install_templates(client)
            rows.append(
                {
                    "name": "ingest flows -> osmem (templates)",
                    **_ingest(server.url, flow_text(engine_records), client, Path(tmp)),
                }
            )
        stand_in = ThreadingHTTPServer(("127.0.0.1", 0), _AcceptAll)
        Thread(target=stand_in.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{stand_in.server_address[1]}"
        client = OpenSearch(hosts=[url], timeout=120, max_retries=0, pool_maxsize=3)
        rows.append({"name": "ingest flows -> accept-all stand-in", **_ingest(url, data, client, Path(tmp))})
        stand_in.shutdown()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
