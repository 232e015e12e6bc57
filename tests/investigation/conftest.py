"""Index raw AWS records through the real normalizers into the embedded engine, and record
every request the investigation sends."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo import Incident, write_incident
from demo.records.config import history_file
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates
from tests.conftest import index_of

INGESTED = "2026-03-02T12:00:00.000Z"
"""Each dataset's index (the demo incident holds every source, AWS Config included)."""


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    url: str
    body: Any


@dataclass
class RecordingTransport:
    """Delegates to the client's (guarded) transport and keeps what was asked."""

    inner: Any
    requests: list[Request] = field(default_factory=list)

    def perform_request(
        self,
        method: str,
        url: str,
        params: Any = None,
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
    ) -> Any:
        self.requests.append(Request(method, url, body))
        kwargs: dict[str, Any] = {"params": params, "body": body, "headers": headers}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.inner.perform_request(method, url, **kwargs)

    def searches(self) -> list[Request]:
        return [request for request in self.requests if "_search" in request.url]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Siem:
    """The indices of one test, filled from raw records."""

    def __init__(self, client: OpenSearch) -> None:
        self.client = client
        self.recorder = RecordingTransport(client.transport)
        client.transport = self.recorder

    def ingest(self, raw: bytes, name: str, dead_letters: int = 0) -> int:
        """Normalize one raw object and index its documents; returns how many."""
        items = list(normalize_object(io.BytesIO(raw), Origin(object=name, ingested=INGESTED)))
        dead = [item for item in items if isinstance(item, DeadLetter)]
        assert len(dead) == dead_letters, f"{name}: dead letters {[d.reason for d in dead]}"
        body: list[Any] = []
        for document in items:
            if isinstance(document, DeadLetter):
                continue
            body += [{"create": {"_index": f"siem-{index_of(document)}"}}, document]
        if body:
            response = self.client.bulk(body=body)
            assert not response["errors"], orjson.dumps(response)[:2000]
        return len(body) // 2

    def cloudtrail(self, records: list[dict[str, Any]]) -> int:
        return self.ingest(orjson.dumps({"Records": records}), "cloudtrail.json")

    def guardduty(self, findings: list[dict[str, Any]]) -> int:
        return self.ingest(b"\n".join(orjson.dumps(finding) for finding in findings), "guardduty.jsonl")

    def securityhub(self, findings: list[dict[str, Any]]) -> int:
        return self.ingest(orjson.dumps({"Findings": findings}), "securityhub.json")

    def config(self, items: list[dict[str, Any]]) -> int:
        """A Config configuration history file holding ``items``."""
        return self.ingest(history_file(items), "ConfigHistory.json")


@pytest.fixture
def siem(engine: OpenSearch) -> Siem:
    install_templates(engine)
    return Siem(engine)


@pytest.fixture
def demo_incident(siem: Siem, tmp_path: Path) -> Incident:
    """The demo incident (demo/incident.py), every object indexed; returns its ground truth."""
    incident = write_incident(tmp_path)
    for item in incident.objects:
        if not item.skipped:
            siem.ingest((tmp_path / item.key).read_bytes(), item.key, item.dead_letters)
    return incident
