"""Which documents of an interrupted chunk the engine already holds (closing the crash window).

A process killed after OpenSearch applied a chunk's bulk requests and before the ledger
recorded the chunk leaves documents the ledger does not count. The ledger marks a chunk *in
flight* before its first request (:meth:`ingest.ledger.Ledger.begin_chunk`), so the resume
knows which chunk to check: it asks the engine which of the chunk's ``event.id`` values are
already searchable (a ``terms`` query, which Serverless serves; a TIMESERIES collection takes
no custom ``_id``, so documents cannot be looked up by id) and sends only the others.

``event.id`` is unique per record (docs/schema.md): a flow line's is a hash of its object,
line number and line; CloudTrail's ``eventID``; a finding's ``<id>@<updated at>``. An id that
occurs k times in the chunk and is found m times counts min(k, m) of them as indexed. The
engine may also hold the id from another object (CloudTrail can deliver an event twice): that
copy then counts for this one too, which at worst leaves one document where two identical
copies would have been.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

if TYPE_CHECKING:  # the writer looks its documents up here too
    from ingest.writer import Pending

IDS_PER_QUERY = 1000
"""``event.id`` values per ``terms`` query (far below ``index.max_terms_count``, 65,536)."""
MAX_HITS = 10_000
"""Hits per query: ``index.max_result_window``, room for ten copies of each id."""


def already_indexed(client: OpenSearch, documents: Sequence[Pending]) -> frozenset[int]:
    """Offsets of ``documents`` whose ``event.id`` the engine already has (see module doc)."""
    offsets_by_id: dict[tuple[str, str], list[int]] = defaultdict(list)
    for document in documents:
        event_id = _event_id(document.body)
        if event_id is not None:
            offsets_by_id[(document.index, event_id)].append(document.offset)
    found: set[int] = set()
    for index, ids in _batches(offsets_by_id):
        copies = _copies(client, index, ids)
        for event_id in ids:
            offsets = offsets_by_id[(index, event_id)]
            found.update(offsets[: copies[event_id]])
    return frozenset(found)


def _event_id(body: bytes) -> str | None:
    event = orjson.loads(body).get("event")
    event_id = event.get("id") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


def _batches(offsets_by_id: dict[tuple[str, str], list[int]]) -> Iterator[tuple[str, list[str]]]:
    by_index: dict[str, list[str]] = defaultdict(list)
    for index, event_id in offsets_by_id:
        by_index[index].append(event_id)
    for index, ids in by_index.items():
        for start in range(0, len(ids), IDS_PER_QUERY):
            yield index, ids[start : start + IDS_PER_QUERY]


def _copies(client: OpenSearch, index: str, ids: list[str]) -> Counter[str]:
    """How many documents of ``index`` carry each of ``ids``."""
    body: dict[str, Any] = {
        "size": MAX_HITS,
        "_source": ["event.id"],
        "track_total_hits": False,
        "query": {"bool": {"filter": [{"terms": {"event.id": ids}}]}},
    }
    try:
        answer = client.search(index=index, body=body)
    except NotFoundError:  # the index was never created: nothing of the chunk reached it
        return Counter()
    copies: Counter[str] = Counter()
    for hit in answer["hits"]["hits"]:
        event = hit.get("_source", {}).get("event", {})
        if isinstance(event, dict) and isinstance(event.get("id"), str):
            copies[event["id"]] += 1
    return copies
