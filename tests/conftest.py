"""Fixtures shared by every test folder."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from opensearchpy import OpenSearch

from ingest.serverless_guard import ServerlessGuard
from normalizers.registry import SPECS
from opensearch_assets.fields import leaf_fields
from opensearch_assets.templates import index_properties

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
GOLDEN = PROJECT / "tests" / "golden"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (public samples and AWS docs); tests that need it skip where it is absent."""
    if not (SHARED / "samples").is_dir():
        pytest.skip(f"../shared/samples not found at {SHARED}: sample-based test skipped")
    return SHARED


@pytest.fixture
def closed_url() -> Iterator[str]:
    """``http://127.0.0.1:<port>``, where nothing listens for the whole test.

    The port stays bound, never listening, until the test ends: a connection to it is refused,
    and no other socket can take it meanwhile. A port bound and closed at once is free again,
    and another test worker's engine could be handed it before the test connects there.
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


@pytest.fixture
def serverless_guard() -> Iterator[ServerlessGuard]:
    """The rules of Serverless; a test that provokes a violation on purpose clears ``violations``."""
    guard = ServerlessGuard()
    yield guard
    assert not guard.violations, f"requests Serverless would reject: {guard.violations}"


@pytest.fixture
def engine_url(osmem_clone: Any) -> str:
    """URL of a fresh embedded engine (an osmem-server clone) for this test."""
    return str(osmem_clone.url)


@pytest.fixture
def engine(engine_url: str, serverless_guard: ServerlessGuard) -> OpenSearch:
    """An opensearch-py client on a fresh embedded engine, answering like Serverless."""
    return serverless_guard.wrap(OpenSearch(hosts=[engine_url], timeout=60))


# docs/schema.md, "Fields every document has".
MANDATORY_FIELDS = (
    "@timestamp",
    "event.kind",
    "event.category",
    "event.type",
    "event.action",
    "event.outcome",
    "event.id",
    "event.dataset",
    "event.module",
    "event.provider",
    "event.ingested",
    "cloud.provider",
    "cloud.account.id",
    "cloud.region",
)
# docs/schema.md, "Findings": what GuardDuty and Security Hub documents carry besides.
FINDING_FIELDS = (*MANDATORY_FIELDS, "event.severity", "message", "rule.id", "rule.name")


def missing_fields(document: dict[str, Any], fields: tuple[str, ...] = MANDATORY_FIELDS) -> list[str]:
    """The dotted ``fields`` that ``document`` lacks or holds empty, as its index holds it: a
    ``constant_keyword`` of its index (CloudTrail's ``event.kind``...) is never missing."""
    constants = _constants(index_of(document))
    missing = []
    for dotted in fields:
        if dotted in constants:
            continue
        value: Any = document
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", []):
            missing.append(dotted)
    return missing


def golden_input(path: Path) -> BinaryIO:
    """A golden case's raw input: the file itself, or, for ``input.ocsf.json`` (OCSF rows
    written by hand as JSON), the Parquet file Security Lake would hold them in."""
    if path.name.endswith(".ocsf.json"):
        from demo.records.securitylake import parquet_from_rows

        return io.BytesIO(parquet_from_rows(json.loads(path.read_text(encoding="utf-8"))))
    return path.open("rb")


_INDEX_OF_DATASET = {spec.dataset: spec.index for spec in SPECS}
_CONSTANT_DATASETS = [
    spec.dataset
    for spec in SPECS
    if leaf_fields(index_properties(spec.index)).get("event.dataset", {}).get("type") == "constant_keyword"
]
"""The datasets whose documents leave ``event.dataset`` to their index template (CloudTrail's)."""


@cache
def _constants(index: str) -> frozenset[str]:
    return frozenset(
        path
        for path, spec in leaf_fields(index_properties(index)).items()
        if spec.get("type") == "constant_keyword"
    )


def dataset_of(document: dict[str, Any]) -> str:
    """A normalized document's dataset: its ``event.dataset``, else that of the source whose
    index holds it as a constant and whose ``aws.<source>`` block the document has."""
    written = document.get("event", {}).get("dataset")
    if written:
        return str(written)
    blocks = document.get("aws", {})
    (dataset,) = [name for name in _CONSTANT_DATASETS if name.removeprefix("aws.") in blocks]
    return dataset


def index_of(document: dict[str, Any]) -> str:
    """The index suffix (``vpcflow``) a normalized document goes to: that of its dataset."""
    return _INDEX_OF_DATASET[dataset_of(document)]


def indexed_related(document: dict[str, Any]) -> dict[str, list[Any]]:
    """``related.*`` as the document's index holds it: its own, plus the values its index
    template copies there (``copy_to``: a flow's addresses and instance, docs/sources/vpcflow.md)."""
    related = {key: list(values) for key, values in document.get("related", {}).items()}
    index = index_of(document)
    for path, spec in leaf_fields(index_properties(index)).items():
        value: Any = document
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        for target in spec.get("copy_to", ()) if value is not None else ():
            related.setdefault(target.removeprefix("related."), []).append(value)
    return related
