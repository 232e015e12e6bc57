"""Make a permissive OpenSearch engine answer like Amazon OpenSearch Serverless.

The embedded test engine accepts things Serverless rejects (custom ``_id`` on a TIMESERIES
collection, ``refresh``, scroll, delete-by-query, ingest pipelines...). Wrapping a client's
transport with :class:`ServerlessGuard` rejects those requests the way Serverless does
(an HTTP error with Serverless's message) and records each one, so a test fails on any
request that production would refuse. Rules: ../shared/reference/opensearch-serverless.md.

Not in that reference, decided from AWS's "Supported operations and plugins in Amazon
OpenSearch Serverless" page, which lists the mapping APIs among the index operations (not
verified on a real collection): ``GET``/``PUT <index>/_mapping`` are served. The guard takes
the stricter reading for a mapping update: it names one index, never a wildcard nor a list
(``siem assets install`` updates each index on its own, docs/assets.md).

Serverless is Lucene underneath, and Lucene refuses a document holding one indexed term longer
than :data:`MAX_TERM_BYTES` (UTF-8): that ``_bulk`` item fails with a 400
``illegal_argument_exception`` ("Document contains at least one immense term") while the others
are indexed. The embedded engine does not check it; the guard refuses such an item the same way
(:mod:`ingest.immense_terms` says which values of a mapping are single terms), so every
integration test sees what production would do. It is not a violation of the request: the
writer dead-letters the item, as it would the engine's answer.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError

from ingest.immense_terms import immense_term, lucene_error
from normalizers.terms import MAX_TERM_BYTES

MAX_BULK_BYTES = 10 * 1024 * 1024

# Paths Serverless does not serve at all (first path segment, or the segment after an index).
_UNSUPPORTED_APIS = {
    "_refresh",
    "_delete_by_query",
    "_update_by_query",
    "_reindex",
    "_cluster",
    "_nodes",
    "_stats",
    "_ingest",
    "_tasks",
    "_flush",
    "_forcemerge",
    "_cache",
    "_snapshot",
    "_shrink",
    "_split",
    "_clone",
    "_open",
    "_close",
    "_rollover",
}
_UNSUPPORTED_PARAMS = {"refresh": "refresh", "scroll": "scroll", "pipeline": "ingest pipelines"}
_CAT_ALLOWED = {"indices", "aliases", "templates"}
_DOC_APIS = {"_doc", "_create", "_update"}


@dataclass(frozen=True, slots=True)
class Violation:
    method: str
    path: str
    reason: str


@dataclass
class ServerlessGuard:
    """Rules of one Serverless deployment: which indices live in a TIMESERIES collection."""

    timeseries: tuple[str, ...] = ("siem-*",)
    """Index patterns in the TIMESERIES collection (logs)."""
    search: tuple[str, ...] = ("siem-alerts*", "siem-incidents")
    """Index patterns in a SEARCH collection (alerts, incidents): custom ``_id`` allowed."""
    violations: list[Violation] = field(default_factory=list)

    def wrap(self, client: OpenSearch) -> OpenSearch:
        """Route ``client``'s requests through the guard (in place) and return it."""
        client.transport = _GuardedTransport(client.transport, self)  # type: ignore[assignment]
        return client

    def is_timeseries(self, index: str) -> bool:
        if any(fnmatch.fnmatchcase(index, p) for p in self.search):
            return False
        return any(fnmatch.fnmatchcase(index, p) for p in self.timeseries)

    def check(self, method: str, url: str, params: Mapping[str, Any] | None, body: Any) -> None:
        """Raise the error Serverless would answer, after recording it; return if allowed."""
        path = urlsplit(url).path
        segments = [unquote(s) for s in path.split("/") if s]
        reason, error = self._find_violation(method.upper(), segments, dict(params or {}), body)
        if reason:
            self.violations.append(Violation(method.upper(), path, reason))
            status = 404 if issubclass(error, NotFoundError) else 400
            raise error(status, "serverless_guard", {"error": {"type": "serverless_guard", "reason": reason}})

    def _find_violation(
        self, method: str, segments: list[str], params: dict[str, Any], body: Any
    ) -> tuple[str | None, type[TransportError]]:
        if not segments:
            return "GET / (cluster info) is not supported", NotFoundError
        for param, what in _UNSUPPORTED_PARAMS.items():
            if param in params and str(params[param]).lower() not in ("false", ""):
                return f"{what} is not supported (?{param}={params[param]})", RequestError
        if segments[0] == "_search" and len(segments) > 1 and segments[1] == "scroll":
            return "scroll is not supported", NotFoundError
        if segments[0] == "_cat" and (len(segments) < 2 or segments[1] not in _CAT_ALLOWED):
            return f"_cat/{'/'.join(segments[1:])} is not supported", NotFoundError
        for segment in segments:
            if segment in _UNSUPPORTED_APIS:
                return f"{segment} is not supported", NotFoundError
        index = segments[0]
        if not index.startswith("_"):
            for name in index.split(","):
                if name.startswith("."):
                    return f"index names starting with '.' are not supported: {name}", RequestError
            if len(segments) >= 2 and segments[1] in _DOC_APIS:
                return self._check_document_api(method, index, segments, body), RequestError
            if len(segments) >= 2 and segments[1] == "_bulk":
                return self._check_bulk(body, default_index=index), RequestError
            if len(segments) == 2 and segments[1] == "_mapping" and method in ("PUT", "POST"):
                return _check_mapping_update(index), RequestError
            if method == "PUT" and len(segments) == 1:
                return None, RequestError  # create index
        if segments[0] == "_bulk":
            return self._check_bulk(body, default_index=None), RequestError
        if segments[0] == "_mapping" and method in ("PUT", "POST"):
            return _check_mapping_update(""), RequestError
        return None, RequestError

    def _check_document_api(self, method: str, index: str, segments: list[str], body: Any) -> str | None:
        if not self.is_timeseries(index):
            return None
        api = segments[1]
        if api == "_update" or (method == "DELETE"):
            return "Update and delete by id are not supported on a TIMESERIES collection"
        if len(segments) >= 3 or api == "_create":
            return "Document ID is not supported in create/index operation request"
        return _missing_timestamp(_as_dict(body))

    def _check_bulk(self, body: Any, default_index: str | None) -> str | None:
        data = _as_bytes(body)
        if len(data) > MAX_BULK_BYTES:
            return f"bulk body of {len(data)} bytes exceeds {MAX_BULK_BYTES}"
        lines = iter(line for line in data.split(b"\n") if line.strip())
        for line in lines:
            action_line = orjson.loads(line)
            ((action, meta),) = action_line.items()
            index = meta.get("_index", default_index) or ""
            if index.startswith("."):
                return f"index names starting with '.' are not supported: {index}"
            if "pipeline" in meta:
                return "ingest pipelines are not supported"
            if action == "delete":
                if self.is_timeseries(index):
                    return "Update and delete by id are not supported on a TIMESERIES collection"
                continue
            source = next(lines, None)
            if not self.is_timeseries(index):
                continue
            if action == "update":
                return "Update and delete by id are not supported on a TIMESERIES collection"
            if "_id" in meta:
                return "Document ID is not supported in create/index operation request"
            missing = _missing_timestamp(orjson.loads(source) if source else {})
            if missing:
                return missing
        return None


def _check_mapping_update(index: str) -> str | None:
    if not index or "," in index or "*" in index or index.startswith("_"):
        return f"a mapping update names one index (not {index or 'all'!r}): the stricter reading"
    return None


def _missing_timestamp(document: Any) -> str | None:
    if not isinstance(document, dict) or "@timestamp" not in document:
        return "every document of a TIMESERIES collection needs @timestamp"
    return None


def _as_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, Iterable) and not isinstance(body, Mapping):
        return (
            b"\n".join(
                _as_bytes(part) if isinstance(part, bytes | str) else orjson.dumps(part) for part in body
            )
            + b"\n"
        )
    return orjson.dumps(body)


def _bulk_items(data: bytes, default_index: str | None) -> list[tuple[str, str, list[bytes]]]:
    """``(action, index, lines)`` of each item of a ``_bulk`` body (a delete has no source)."""
    lines = iter(line for line in data.split(b"\n") if line.strip())
    items = []
    for line in lines:
        ((action, meta),) = orjson.loads(line).items()
        index = meta.get("_index", default_index) or ""
        source = [] if action == "delete" else [next(lines, b"{}")]
        items.append((action, index, [line, *source]))
    return items


def _read(answer: Any) -> Any:
    """An answer the client may have left as text (``opensearch_client.raw_answers``), read."""
    return orjson.loads(answer) if isinstance(answer, str | bytes) else answer


def _as_dict(body: Any) -> Any:
    if isinstance(body, bytes | str):
        return orjson.loads(body)
    return body


class _GuardedTransport:
    """Delegates to the real transport after the guard's check."""

    def __init__(self, inner: Any, guard: ServerlessGuard) -> None:
        self._inner = inner
        self._guard = guard

    def perform_request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = None,
    ) -> Any:
        self._guard.check(method, url, params, body)
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if timeout is not None:
            kwargs["timeout"] = timeout
        segments = [unquote(s) for s in urlsplit(url).path.split("/") if s]
        if method.upper() in ("POST", "PUT") and segments and segments[-1] == "_bulk":
            return self._bulk(method, url, segments, body, kwargs)
        if len(segments) >= 2 and segments[1] in ("_doc", "_create") and method.upper() in ("POST", "PUT"):
            self._refuse_immense(segments[0], _as_dict(body))
        return self._inner.perform_request(method, url, body=body, **kwargs)

    def _bulk(self, method: str, url: str, segments: list[str], body: Any, kwargs: dict[str, Any]) -> Any:
        """Send the items Lucene would take; answer for the others as it does (module doc)."""
        items = _bulk_items(_as_bytes(body), segments[0] if len(segments) == 2 else None)
        refused = {
            number: {action: {"_index": index, "status": 400, "error": lucene_error(found)}}
            for number, (action, index, lines) in enumerate(items)
            if len(lines) == 2
            and len(lines[1]) > MAX_TERM_BYTES  # a shorter one cannot hold such a term
            and (found := immense_term(orjson.loads(lines[1]), self._properties(index)))
        }
        if not refused:
            return self._inner.perform_request(method, url, body=body, **kwargs)
        kept = [lines for number, (_, _, lines) in enumerate(items) if number not in refused]
        answered: dict[str, Any] = {"took": 0, "errors": False, "items": []}
        if kept:
            sent = b"".join(line + b"\n" for lines in kept for line in lines)
            answered = _read(self._inner.perform_request(method, url, body=sent, **kwargs))
        taken = iter(answered["items"])
        merged = [refused[number] if number in refused else next(taken) for number in range(len(items))]
        text = orjson.dumps({**answered, "errors": True, "items": merged}).decode()
        return self._inner.deserializer.loads(text, "application/json")

    def _refuse_immense(self, index: str, document: Any) -> None:
        if isinstance(document, Mapping) and len(orjson.dumps(document)) > MAX_TERM_BYTES:
            found = immense_term(document, self._properties(index))
            if found:
                raise RequestError(
                    400, "illegal_argument_exception", {"error": lucene_error(found), "status": 400}
                )

    def _properties(self, index: str) -> Mapping[str, Any]:
        """The index's live mapping, the index created first (from its templates, as the write
        would) when it does not exist yet."""
        try:
            answer = _read(self._inner.perform_request("GET", f"/{index}/_mapping"))
        except NotFoundError:
            self._inner.perform_request("PUT", f"/{index}")
            answer = _read(self._inner.perform_request("GET", f"/{index}/_mapping"))
        index_mapping: dict[str, Any] = next(iter(answer.values()), {})
        properties: Mapping[str, Any] = index_mapping.get("mappings", {}).get("properties", {})
        return properties

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
