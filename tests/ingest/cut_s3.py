"""An S3 endpoint (127.0.0.1, in-process) whose GetObject answers break off part-way.

moto hands botocore the whole body at once, so it cannot show what a real client sees when S3's
connection drops in the middle of a body: the status and the headers (``Content-Length`` of
the whole object) arrive, then part of the bytes, then the connection closes. Here botocore and
urllib3 read a real HTTP answer, so the error the reader meets is the one it meets in Lambda.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.config import Config


@dataclass
class CutObject:
    """What the endpoint serves at every key: ``body``, of which only the first ``served`` bytes
    are sent (``None``: all of them)."""

    body: bytes
    served: int | None = None
    gets: int = 0

    @property
    def etag(self) -> str:
        return hashlib.md5(self.body, usedforsecurity=False).hexdigest()


@contextmanager
def cut_s3(served: CutObject) -> Iterator[Any]:
    """A boto3 S3 client of an endpoint that serves ``served`` at every key (path-style)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            served.gets += 1
            sent = served.body if served.served is None else served.body[: served.served]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(served.body)))  # the whole object's
            self.send_header("ETag", f'"{served.etag}"')
            self.send_header("Last-Modified", formatdate(1_714_521_600, usegmt=True))
            self.end_headers()
            self.wfile.write(sent)
            self.wfile.flush()
            self.close_connection = True  # the rest never comes

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield boto3.client(
            "s3",
            endpoint_url=f"http://{host!s}:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )
    finally:
        server.shutdown()
        server.server_close()
