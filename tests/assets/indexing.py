"""Loading documents into the embedded engine the way the ingest path does (bulk, no ``_id``,
values too long to index cut: normalizers/terms.py).

Serverless has no ``_refresh``: after a bulk request, :func:`index_documents` waits until
the counts show every document, as a client of a real collection would.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from normalizers import Document
from normalizers.terms import MAX_TERM_BYTES, cut_immense_values
from tests.assets.fixtures import normalize_bytes
from tests.conftest import GOLDEN, index_of

PREFIX = "siem-"
SEARCHABLE_TIMEOUT_SECONDS = 30.0


def golden_documents() -> list[tuple[str, Document]]:
    """Every expected document of tests/golden (the normalizers' ground truth), but those of a
    case marked ``xfail.txt``: they are what a unit should make once fixed, and may hold
    fields its definition does not have yet (tests/normalizers/test_golden.py)."""
    out: list[tuple[str, Document]] = []
    for expected in sorted(GOLDEN.glob("*/*/expected.json")):
        if (expected.parent / "xfail.txt").exists():
            continue
        for document in json.loads(expected.read_text()):
            out.append((index_of(document), document))
    return out


def sample_documents(shared: Path) -> list[tuple[str, Document]]:
    """../shared/samples normalized (detected from content, as the pipeline does)."""
    out: list[tuple[str, Document]] = []
    for path in sorted((shared / "samples").rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".yml", ".yaml") or path.name == "LICENSE":
            continue
        source, documents = normalize_bytes(str(path), path.read_bytes(), allow_dead_letters=True)
        out.extend((source, document) for document in documents)
    return out


def index_documents(
    client: OpenSearch, documents: Iterable[tuple[str, Document]], prefix: str = PREFIX
) -> list[dict[str, Any]]:
    """Bulk-index, wait until searchable; return the per-item errors (empty when all indexed)."""
    lines: list[str] = []
    per_index: Counter[str] = Counter()
    for position, (source, document) in enumerate(documents):
        index = f"{prefix}{source}"
        body = json.dumps(document)
        if len(body.encode()) > MAX_TERM_BYTES:  # as the ingest path cuts values too long to index
            body = json.dumps(cut_immense_values(document, f"record {position}") or document)
        lines += [json.dumps({"create": {"_index": index}}), body]
        per_index[index] += 1
    errors: list[dict[str, Any]] = []
    for start in range(0, len(lines), 1000):
        answer = client.bulk(body="\n".join(lines[start : start + 1000]) + "\n")
        errors += [item["create"] for item in answer["items"] if "error" in item["create"]]
    _wait_searchable(client, per_index, errors)
    return errors


def _wait_searchable(client: OpenSearch, per_index: Counter[str], errors: list[dict[str, Any]]) -> None:
    failed = Counter(error["_index"] for error in errors)
    deadline = time.monotonic() + SEARCHABLE_TIMEOUT_SECONDS
    for index, expected in per_index.items():
        while client.count(index=index)["count"] < expected - failed[index]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{index}: documents not searchable after {SEARCHABLE_TIMEOUT_SECONDS} s")
            time.sleep(0.2)


def leaf_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of a document's leaves (arrays of objects contribute their objects' paths)."""
    if isinstance(value, dict):
        paths: set[str] = set()
        for key, item in value.items():
            paths |= leaf_paths(item, f"{prefix}{key}.")
        return paths
    if isinstance(value, list):
        return set().union(*(leaf_paths(item, prefix) for item in value)) if value else set()
    return {prefix.rstrip(".")}
