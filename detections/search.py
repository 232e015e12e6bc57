"""The searches every rule type is made of, as Serverless allows them, with their cost counted.

OpenSearch Serverless has no scroll, no refresh and no custom ``_id`` on the logs
(TIMESERIES) collection: events are paged with ``search_after`` in a point in time
(:func:`hits`), groups with ``composite`` aggregations paged by ``after_key``
(:func:`composite`). Each function adds what it sent and read to a :class:`Cost`, which the
run report and the benchmarks print per rule (docs/detections.md, "Cost per run").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, OpenSearchException

from detections.windows import Window, iso
from normalizers.registry import source_of_index

LOGGER = logging.getLogger(__name__)

PAGE_SIZE = 500
PIT_KEEP_ALIVE = "2m"
"""How long a point in time outlives its last page (it is deleted when the read ends)."""
COMPOSITE_PAGE = 1000
KEYS_PER_SEARCH = 1000
MAX_CLAUSES = 500
"""Group or join-key values named in one search's ``terms`` filter (far below the 65,536 limit)."""


@dataclass(frozen=True, slots=True)
class Sources:
    """Index names of the sources: ``<prefix><source><suffix>`` (``siem-cloudtrail``; tests add a
    suffix), or ``only`` one index for every source (a caller holding one index of documents)."""

    prefix: str = "siem-"
    suffix: str = ""
    only: str | None = None

    def index(self, source: str) -> str:
        return self.only or f"{self.prefix}{source}{self.suffix}"

    def indices(self, sources: Iterable[str]) -> str:
        """Several sources as one comma-separated index list (one search reads them all)."""
        return ",".join(self.index(source) for source in sources)


@dataclass(slots=True)
class Cost:
    """What one rule's run sent and read: the figures docs/detections.md gives per rule type."""

    searches: int = 0
    """Search requests (each page of a paged search counts)."""
    hits: int = 0
    """Documents returned (events read)."""
    buckets: int = 0
    """Aggregation buckets returned (composite pages)."""
    state_reads: int = 0
    """Documents looked up by id in the state index (new-terms rules)."""
    state_writes: int = 0


def ingested_range(window: Window) -> dict[str, Any]:
    return {"range": {"event.ingested": {"gte": iso(window.start), "lt": iso(window.end)}}}


def ingested_before(end: datetime) -> dict[str, Any]:
    """Everything a run ending at ``end`` may see (later documents belong to later runs)."""
    return {"range": {"event.ingested": {"lt": iso(end)}}}


def time_range(field: str, start: datetime, end: datetime) -> dict[str, Any]:
    """``start <= field < end``."""
    return {"range": {field: {"gte": iso(start), "lt": iso(end)}}}


def any_of(fields: Sequence[str], keys: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """Documents whose ``fields`` hold one of ``keys``' values, field by field: for one field the
    exact set, for several a superset (each field's own values; callers keep the exact tuples)."""
    values: list[set[Any]] = [set() for _ in fields]
    for key in keys:
        for position, value in enumerate(key):
            values[position].add(value)
    terms = [{"terms": {name: sorted(found, key=str)}} for name, found in zip(fields, values, strict=True)]
    return terms[0] if len(terms) == 1 else {"bool": {"filter": terms}}


def _term(name: str, value: Any) -> dict[str, Any]:
    return {"term": {name: value}}


def keys_in_spans(
    fields: Sequence[str],
    spans: Mapping[tuple[Any, ...], Sequence[tuple[int, int]]],
    time_field: str,
    term: Callable[[str, Any], dict[str, Any]] = _term,
) -> dict[str, Any]:
    """Documents of these keys (``fields``' values) whose ``time_field`` falls in one of the key's
    spans (``[start, end)`` epoch seconds): each key gets its own times, so a run reads around
    each group's events only. ``term`` gives the clause of one field's value (a grouping's
    names several fields: :func:`detections.grouping.key_term`)."""
    clauses = [
        {
            "bool": {
                "filter": [term(name, value) for name, value in zip(fields, key, strict=True)],
                "should": [
                    {"range": {time_field: {"gte": start * 1000, "lt": end * 1000, "format": "epoch_millis"}}}
                    for start, end in ranges
                ],
                "minimum_should_match": 1,
            }
        }
        for key, ranges in spans.items()
    ]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def keys_per_search(fields: Sequence[str] | int, spans: int) -> int:
    """Keys one :func:`keys_in_spans` filter may name: Lucene's clause limit (1,024 by default)
    counts every clause of the query tree (``fields``: the fields, or the clauses a key's
    values take)."""
    width = fields if isinstance(fields, int) else len(fields)
    return max(1, MAX_CLAUSES // (width + spans + 1))


def chunks(items: Sequence[Any], size: int = KEYS_PER_SEARCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def search(client: OpenSearch, index: str, body: dict[str, Any], cost: Cost) -> dict[str, Any]:
    cost.searches += 1
    response: dict[str, Any] = client.search(
        index=index, body=body, ignore_unavailable=True, allow_no_indices=True
    )
    cost.hits += len(response.get("hits", {}).get("hits", []))
    return response


def composite(
    client: OpenSearch,
    index: str,
    filters: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    cost: Cost,
    metrics: dict[str, Any] | None = None,
    cursor: dict[str, Any] | None = None,
    max_pages: int | None = None,
    size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every bucket of a composite aggregation over the documents matching ``filters``, page by
    page (``after_key``) of ``size`` buckets (default :data:`COMPOSITE_PAGE`). With ``cursor``,
    the read starts after ``cursor["after"]`` and leaves there where it stopped (``None`` once
    every page is read): ``max_pages`` stops it early."""
    size = size or COMPOSITE_PAGE
    spec: dict[str, Any] = {"size": size, "sources": sources}
    if cursor and cursor.get("after"):
        spec["after"] = cursor["after"]
    aggregation: dict[str, Any] = {"composite": spec}
    if metrics:
        aggregation["aggs"] = metrics
    body = {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": {"groups": aggregation}}
    pages = 0
    while True:
        result = search(client, index, body, cost).get("aggregations", {}).get("groups", {})
        buckets = result.get("buckets", [])
        cost.buckets += len(buckets)
        pages += 1
        finished = len(buckets) < size or "after_key" not in result
        if cursor is not None:
            cursor["after"] = None if finished else result["after_key"]
        yield from buckets
        if finished or (max_pages is not None and pages >= max_pages):
            return
        spec["after"] = result["after_key"]


def terms_sources(fields: Sequence[str]) -> list[dict[str, Any]]:
    """One ``terms`` source per field, named after it (documents missing one are left out)."""
    return [{name: {"terms": {"field": name}}} for name in fields]


def seconds_source(field: str, name: str = "@second") -> dict[str, Any]:
    """A one-second ``date_histogram`` source: CloudTrail's ``eventTime`` has one-second precision."""
    return {name: {"date_histogram": {"field": field, "fixed_interval": "1s"}}}


def key_of(bucket: dict[str, Any], fields: Sequence[str]) -> tuple[Any, ...]:
    return tuple(bucket["key"][name] for name in fields)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: float) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def hits(
    client: OpenSearch,
    index: str,
    filters: list[dict[str, Any]],
    sort: list[dict[str, Any]],
    cost: Cost,
    after: tuple[Any, ...] | None = None,
    source: list[str] | bool = True,
    page_size: int = PAGE_SIZE,
) -> Generator[tuple[dict[str, Any], tuple[Any, ...]], None, None]:
    """``(source, sort values)`` of every matching document after ``after``, in ``sort`` order,
    paged with ``search_after`` in one point in time (a stable view across pages)."""
    try:
        pit_id: str = client.create_pit(index=index, keep_alive=PIT_KEEP_ALIVE)["pit_id"]
    except NotFoundError:  # the source has no index yet: nothing to read
        return
    body: dict[str, Any] = {
        "size": page_size,
        "query": {"bool": {"filter": filters}},
        "sort": sort,
        "pit": {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE},
        "_source": source,
    }
    if after is not None:
        body["search_after"] = list(after)
    try:
        while True:
            cost.searches += 1
            response = client.search(body=body)
            page = response["hits"]["hits"]
            cost.hits += len(page)
            for hit in page:
                yield with_dataset(hit), tuple(hit["sort"])
            if len(page) < page_size:
                return
            body["search_after"] = page[-1]["sort"]
            body["pit"]["id"] = response.get("pit_id") or pit_id
    finally:
        _delete_pit(client, pit_id)


def _delete_pit(client: OpenSearch, pit_id: str) -> None:
    try:
        client.delete_pit(body={"pit_id": [pit_id]})
    except OpenSearchException as error:  # it expires after PIT_KEEP_ALIVE anyway
        LOGGER.warning("could not delete a point in time: %s", error)


def documents(
    client: OpenSearch, index: str, filters: list[dict[str, Any]], size: int, cost: Cost, field: str
) -> list[dict[str, Any]]:
    """Up to ``size`` documents matching ``filters``, oldest ``field`` first (an alert's events)."""
    body = {"size": size, "query": {"bool": {"filter": filters}}, "sort": [{field: "asc"}]}
    return [with_dataset(hit) for hit in search(client, index, body, cost)["hits"]["hits"]]


def with_dataset(hit: Mapping[str, Any]) -> dict[str, Any]:
    """The hit's ``_source`` with its ``event.dataset``: from ``_source`` if present, else from
    the hit's index via the registry (a ``constant_keyword`` of the index, such as CloudTrail's,
    is not in ``_source``: docs/sources/cloudtrail.md, "Document size")."""
    source: dict[str, Any] = hit.get("_source", {})
    event = source.get("event")
    if isinstance(event, dict) and "dataset" in event:
        return source
    spec = source_of_index(str(hit.get("_index", "")))
    if spec is not None and event is None:
        source["event"] = {"dataset": spec.dataset}
    elif spec is not None and isinstance(event, dict):
        event["dataset"] = spec.dataset
    return source


def earliest(client: OpenSearch, index: str, field: str, cost: Cost) -> datetime | None:
    """The smallest value of a date field over a whole index (``None``: empty or absent)."""
    body = {"size": 0, "aggs": {"earliest": {"min": {"field": field}}}}
    value = search(client, index, body, cost).get("aggregations", {}).get("earliest", {}).get("value")
    return from_ms(value) if value is not None else None
