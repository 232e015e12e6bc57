"""A fault-injecting HTTP proxy in front of the embedded engine (127.0.0.1, in-process).

For ``_bulk`` requests it can answer 429 or 503 for the whole request, or hang and then drop
the connection without an answer (what a client sees when a load balancer times out; the
request is not forwarded, so the engine never saw it), or forward it and then drop the
connection (the engine applied what the client sees time out), or forward it and drop the
connection half-way through the answer, and it can take items out of a request and answer
for them itself: 429 or 500 (the writer must retry them), 400 ``mapper_parsing_exception``
(the writer must dead-letter them), or forward one and answer 409
``version_conflict_engine_exception`` for it (the engine holds the document: what a create
answers when the engine already took it). A permanently rejected
document is chosen by a hash of its ``event.id``, so it is rejected on every attempt, like a real
mapping conflict. Every other request is forwarded untouched.

Decisions are drawn from a generator seeded by (seed, request body, how many times this body
was seen), so a run is reproducible whatever order the writer's threads send in.
"""

from __future__ import annotations

import hashlib
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

import orjson
import urllib3

_INGESTED = re.compile(rb'"ingested":"[^"]*"')


@dataclass
class Faults:
    seed: int = 0
    bulk_429: float = 0.0
    bulk_503: float = 0.0
    bulk_timeout: float = 0.0
    timeout_sleep: float = 1.0
    """How long a 'timed out' request hangs before its connection is dropped."""
    item_429: float = 0.0
    item_500: float = 0.0
    item_409: float = 0.0
    """Items forwarded (the engine indexes them) but answered 409: the document is already there."""
    item_403: float = 0.0
    """Items answered 403 ``cluster_block_exception`` unforwarded: the index refuses writes."""
    item_400: float = 0.0
    scripted: list[str] = field(default_factory=list)
    """Answers for the next ``_bulk`` requests, in order, none of them forwarded: ``garbled`` (a 200
    whose body is cut short), or a status such as ``403`` for the whole request."""
    max_body_docs: int = 0
    """When set, a body with more documents is refused with 413, unforwarded."""
    max_body_bytes: int = 0
    """When set, a longer body is refused with 413, unforwarded (Serverless's 10 MiB, scaled down)."""
    applied_timeouts: int = 0
    """The next this many ``_bulk`` requests are forwarded (the engine applies them), then hang
    ``timeout_sleep`` seconds and lose their answer: the client times out on a request the
    engine applied."""
    applied_resets: int = 0
    """The next this many ``_bulk`` requests are forwarded (the engine applies them), then their
    answer is cut half-way and the connection reset: the client sees a broken answer to a
    request the engine applied."""


class CutAnswer(NamedTuple):
    """An answer the proxy starts and breaks off: half its body, then a connection reset."""

    status: int
    data: bytes


@dataclass
class ProxyStats:
    bulk_requests: int = 0
    bulk_body_sizes: list[int] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)


class FaultProxy:
    def __init__(self, upstream: str, faults: Faults | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = faults or Faults()
        self.stats = ProxyStats()
        self._lock = threading.Lock()
        self._seen: Counter[bytes] = Counter()
        self._http = urllib3.PoolManager(maxsize=16)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def permanently_rejected(self, document: bytes) -> bool:
        """Whether ``document`` always gets a 400 from this proxy: decided by its ``event.id``
        (stable across runs, unlike ``event.ingested``), else by its bytes."""
        try:
            key = str(orjson.loads(document)["event"]["id"]).encode()
        except (orjson.JSONDecodeError, KeyError, TypeError):
            key = document
        digest = int.from_bytes(hashlib.sha256(b"%d:" % self.faults.seed + key).digest()[:8], "big")
        return digest / 2**64 < self.faults.item_400

    # -- request handling -------------------------------------------------------------------

    def _rng(self, body: bytes) -> random.Random:
        # event.ingested is the wall clock: leave it out so that a re-run draws the same faults.
        digest = hashlib.sha256(_INGESTED.sub(b"", body)).digest()
        with self._lock:
            self._seen[digest] += 1
            seen = self._seen[digest]
            self.stats.bulk_requests += 1
            self.stats.bulk_body_sizes.append(len(body))
        return random.Random(f"{self.faults.seed}:{digest.hex()}:{seen}")

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            self.stats.injected[what] += n

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes] | CutAnswer | None:
        """Answer a request; ``None`` means: drop the connection (a timeout seen by the client)."""
        if method == "POST" and path.split("?")[0].endswith("/_bulk"):
            return self._bulk(path, headers, body)
        return self._forward(method, path, headers, body)

    def _bulk(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes] | CutAnswer | None:
        rng, faults = self._rng(body), self.faults
        refused = self._refused(body)
        if refused:
            return refused
        if self._take(faults, "applied_resets"):
            status, data = self._bulk_items(path, headers, body, rng)
            self._count("bulk applied, then reset mid-answer")
            return CutAnswer(status, data)
        if self._take(faults, "applied_timeouts"):
            self._bulk_items(path, headers, body, rng)
            self._count("bulk applied, then timed out")
            time.sleep(faults.timeout_sleep)
            return None
        roll = rng.random()
        if roll < faults.bulk_429:
            self._count("bulk 429")
            return 429, _error(429, "es_rejected_execution_exception", "rejected execution (injected)")
        if roll < faults.bulk_429 + faults.bulk_503:
            self._count("bulk 503")
            return 503, _error(503, "unavailable", "service unavailable (injected)")
        if roll < faults.bulk_429 + faults.bulk_503 + faults.bulk_timeout:
            self._count("bulk timeout")
            time.sleep(faults.timeout_sleep)
            return None
        return self._bulk_items(path, headers, body, rng)

    def _take(self, faults: Faults, counter: str) -> bool:
        """Use one of ``faults``'s ``counter`` (a number of requests still to affect)."""
        with self._lock:
            left = getattr(faults, counter)
            if left:
                setattr(faults, counter, left - 1)
            return bool(left)

    def _refused(self, body: bytes) -> tuple[int, bytes] | None:
        with self._lock:
            script = self.faults.scripted.pop(0) if self.faults.scripted else None
        if script == "garbled":
            self._count("bulk garbled")
            return 200, b'{"took":1,"errors":false,"items":[{"create":'
        if script:
            self._count(f"bulk {script}")
            return int(script), _error(int(script), "security_exception", f"refused (injected {script})")
        too_many = self.faults.max_body_docs and body.count(b"\n") // 2 > self.faults.max_body_docs
        if too_many or (self.faults.max_body_bytes and len(body) > self.faults.max_body_bytes):
            self._count("bulk 413")
            return 413, b"Request Entity Too Large"
        return None

    def _bulk_items(
        self, path: str, headers: dict[str, str], body: bytes, rng: random.Random
    ) -> tuple[int, bytes]:
        lines = [line for line in body.split(b"\n") if line.strip()]
        pairs = list(zip(lines[0::2], lines[1::2], strict=True))
        answers: list[dict[str, Any] | None] = []
        """Each item's answer when the proxy gives it; ``None``: the engine's answer."""
        forwarded: list[bytes] = []
        forwarded_at: list[int] = []
        """Positions of the forwarded items, in order."""
        for action, document in pairs:
            if self.permanently_rejected(document):
                self._count("item 400")
                answers.append(
                    _item(
                        400,
                        {
                            "type": "mapper_parsing_exception",
                            "reason": "failed to parse field [source.bytes] (injected)",
                        },
                    )
                )
                continue
            roll = rng.random()
            if roll < self.faults.item_429:
                self._count("item 429")
                answers.append(
                    _item(
                        429,
                        {
                            "type": "es_rejected_execution_exception",
                            "reason": "rejected execution (injected)",
                        },
                    )
                )
                continue
            if roll < self.faults.item_429 + self.faults.item_500:
                self._count("item 500")
                answers.append(_item(500, {"type": "exception", "reason": "internal error (injected)"}))
                continue
            blocked = self.faults.item_429 + self.faults.item_500 + self.faults.item_403
            if roll < blocked:
                self._count("item 403")
                answers.append(_item(403, {"type": "cluster_block_exception", "reason": _WRITE_BLOCK}))
                continue
            if roll < blocked + self.faults.item_409:
                self._count("item 409")  # the engine indexes it; its answer says it was there
                answers.append(_ALREADY_THERE)
            else:
                answers.append(None)
            forwarded += [action, document]
            forwarded_at.append(len(answers) - 1)
        upstream_items: list[dict[str, Any]] = []
        if forwarded:
            status, data = self._forward("POST", path, headers, b"\n".join(forwarded) + b"\n")
            if status != 200:
                return status, data
            upstream_items = orjson.loads(data)["items"]
        for position, upstream in zip(forwarded_at, upstream_items, strict=True):
            answers[position] = answers[position] or upstream
        items = [answer for answer in answers if answer is not None]  # each one is, by now
        errors = any(next(iter(item.values())).get("status", 200) >= 300 for item in items)
        return 200, orjson.dumps({"took": 1, "errors": errors, "items": items})

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        answer = self._http.request(
            method,
            self.upstream + path,
            body=body or None,
            headers={"Content-Type": headers.get("Content-Type", "application/json")},
            retries=False,
            timeout=120,
        )
        return answer.status, answer.data

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = proxy.handle(self.command, self.path, dict(self.headers), body)
                if answer is None:
                    self.close_connection = True
                    return
                if isinstance(answer, CutAnswer):
                    self._send_half_then_reset(answer)
                    return
                status, data = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _send_half_then_reset(self, answer: CutAnswer) -> None:
                """The status, the headers and half the body, then a TCP reset (linger 0)."""
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.data)))
                self.end_headers()
                self.wfile.write(answer.data[: len(answer.data) // 2])
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _error(status: int, kind: str, reason: str) -> bytes:
    return orjson.dumps({"error": {"type": kind, "reason": reason}, "status": status})


def _item(status: int, error: dict[str, str]) -> dict[str, Any]:
    return {"create": {"_index": "?", "status": status, "error": error}}


_WRITE_BLOCK = "index [siem-vpcflow] blocked by: [FORBIDDEN/8/index write (api)] (injected)"

_ALREADY_THERE = _item(
    409,
    {
        "type": "version_conflict_engine_exception",
        "reason": "[create]: version conflict, document already exists (injected)",
    },
)
"""The answer for an item the engine indexed, as a create of a document it already holds gets."""
