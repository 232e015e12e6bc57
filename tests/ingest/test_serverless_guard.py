"""The guard refuses what Amazon OpenSearch Serverless refuses, and lets the rest through."""

from __future__ import annotations

import orjson
import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError

from ingest.serverless_guard import MAX_BULK_BYTES, ServerlessGuard

DOC = {"@timestamp": "2026-01-01T00:00:00Z", "event": {"id": "a"}}


def _bulk(*lines: dict) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def test_allowed_requests_reach_the_engine(engine: OpenSearch) -> None:
    engine.bulk(body=_bulk({"create": {"_index": "siem-cloudtrail"}}, DOC))
    engine.index(index="siem-cloudtrail", body=DOC)
    engine.index(index="siem-alerts", id="dedup-1", body={"rule": "x"})
    hits = engine.search(index="siem-cloudtrail", body={"query": {"term": {"event.id": "a"}}})
    assert hits["hits"]["total"]["value"] == 2
    # What siem assets install does to an existing index (docs/assets.md).
    rows = engine.cat.indices(index="siem-*", format="json", h="index")
    assert sorted(row["index"] for row in rows) == ["siem-alerts", "siem-cloudtrail"]
    engine.indices.put_mapping(
        index="siem-cloudtrail", body={"properties": {"file": {"type": "flat_object"}}}
    )
    mapping = engine.indices.get_mapping(index="siem-cloudtrail")["siem-cloudtrail"]["mappings"]
    assert mapping["properties"]["file"] == {"type": "flat_object"}


@pytest.mark.parametrize(
    ("call", "error", "reason"),
    [
        (
            lambda c: c.bulk(body=_bulk({"create": {"_index": "siem-vpcflow", "_id": "x"}}, DOC)),
            RequestError,
            "Document ID is not supported",
        ),
        (lambda c: c.index(index="siem-vpcflow", id="x", body=DOC), RequestError, "Document ID"),
        (
            lambda c: c.bulk(body=_bulk({"create": {"_index": "siem-vpcflow"}}, {"a": 1})),
            RequestError,
            "@timestamp",
        ),
        (
            lambda c: c.bulk(body=_bulk({"create": {"_index": "siem-vpcflow"}}, DOC), refresh="true"),
            RequestError,
            "refresh",
        ),
        (lambda c: c.indices.refresh(index="siem-vpcflow"), NotFoundError, "_refresh"),
        (lambda c: c.search(index="siem-vpcflow", scroll="1m", body={}), RequestError, "scroll"),
        (
            lambda c: c.delete_by_query(index="siem-vpcflow", body={"query": {"match_all": {}}}),
            NotFoundError,
            "_delete_by_query",
        ),
        (lambda c: c.index(index="siem-vpcflow", body=DOC, pipeline="p"), RequestError, "pipeline"),
        (lambda c: c.indices.create(index=".hidden"), RequestError, "'.'"),
        (lambda c: c.info(), NotFoundError, "GET /"),
        (
            lambda c: c.indices.put_mapping(index="siem-*", body={"properties": {}}),
            RequestError,
            "a mapping update names one index",
        ),
        (
            lambda c: c.bulk(
                body=_bulk({"create": {"_index": "siem-vpcflow"}}, {**DOC, "pad": "x" * MAX_BULK_BYTES})
            ),
            RequestError,
            "exceeds",
        ),
    ],
)
def test_rejects_what_serverless_rejects(
    engine: OpenSearch, serverless_guard: ServerlessGuard, call, error, reason
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as raised:
        call(engine)
    assert raised.value.status_code == (404 if error is NotFoundError else 400)
    assert [v for v in serverless_guard.violations if reason in v.reason]
    serverless_guard.violations.clear()


def test_a_document_holding_an_immense_term_is_refused_alone_as_lucene_refuses_it(engine: OpenSearch) -> None:
    # Lucene refuses a document holding one indexed term over 32,766 UTF-8 bytes; the embedded
    # engine takes it. The other items of the request are indexed.
    engine.indices.create(
        index="terms",
        body={
            "mappings": {
                "properties": {
                    "params": {"type": "flat_object"},
                    "guarded": {"type": "keyword", "ignore_above": 1024},
                    "bare": {"type": "keyword"},
                    "copied": {"type": "text", "copy_to": "bare"},
                    "words": {"type": "text"},
                    "kept": {"type": "keyword", "index": False, "doc_values": False},
                }
            }
        },
    )
    huge = "x" * 33_000
    near = "é" * 16_000  # 32,000 bytes: "params.a=" + it is under the limit
    documents = [
        {"params": {"a": {"b": huge}}},
        {"guarded": huge, "words": huge, "kept": huge, "unmapped": huge, "params": {"a": near}},
        {"bare": "é" * 16_384},  # 32,768 bytes in 16,384 characters
        {"params": {"list": ["short", huge]}},
        {"bare": "ok"},
    ]
    answer = engine.bulk(
        index="terms", body=_bulk(*(line for doc in documents for line in ({"create": {}}, doc)))
    )
    statuses = [item["create"]["status"] for item in answer["items"]]
    assert answer["errors"] is True
    assert statuses == [400, 201, 400, 400, 201]
    error = answer["items"][0]["create"]["error"]
    assert error["type"] == "illegal_argument_exception"
    assert 'immense term in field="params._valueAndPath"' in error["reason"]
    assert (
        error["caused_by"]["reason"] == "bytes can be at most 32766 in length; got 33011"
    )  # params.a.b=x...
    assert 'field="bare"' in answer["items"][2]["create"]["error"]["reason"]
    with pytest.raises(RequestError, match="illegal_argument_exception"):
        engine.index(index="terms", body={"bare": huge})
    with pytest.raises(RequestError, match="illegal_argument_exception"):
        engine.index(index="terms", body={"copied": huge})  # text, but copied into a bare keyword
