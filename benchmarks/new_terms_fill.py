"""New-terms fill benchmark: what filling a rule's history from the logs costs, by page size.

An embedded engine (osmem-server) gets the index templates and ``--roles`` roles (default
2,000) that each called 5 of 10 discovery APIs twice over the 14 days before (10,000 terms
of ``siem-role-new-discovery-api``, 20,000 CloudTrail records). The rule's fill then runs,
run after run until done, with the pages it reads today (10,000 terms, up to 10 a run) and
with the earlier 1,000 terms, up to 100 a run. Per layout: runs, searches, seconds spent
reading (the fill's composite pages, each one pass over the history's documents) and writing
(the terms state). Times on the embedded engine say nothing about Serverless's; the number
of passes is what carries over.

Run: ``python -m benchmarks.new_terms_fill [--roles N]``.
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from demo.records import cloudtrail as ct
from detections import new_terms
from detections.matching import Sources, find_matches
from detections.new_terms import TermsStore
from detections.rules import RULES_DIR, load_rules
from detections.windows import Window, iso
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
RULE = "siem-role-new-discovery-api"
ACTIONS = (
    "ListUsers",
    "ListRoles",
    "ListGroups",
    "ListPolicies",
    "ListAccessKeys",
    "GetAccountSummary",
    "ListBuckets",
    "DescribeTrails",
    "ListDetectors",
    "ListSecrets",
)
LAYOUTS = ((10_000, 10, "now"), (1_000, 100, "before"))
"""(terms a page, pages a run, label)."""
DEFAULT_ROLES = 2000
BATCH = 2000


def calls(roles: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(roles):
        session = ct.RoleSession(
            f"{100000000000 + number % 500:012d}",
            f"role-{number}",
            f"AROA{number:016d}",
            f"session-{number}",
            f"ASIA{number:016d}",
            T0,
        )
        for action in rng.sample(ACTIONS, 5):
            for _ in range(2):
                when = T0 - timedelta(seconds=rng.random() * 14 * 86400)
                yield ct.api_call(
                    ct.assumed_role(session), event_name=action, event_source="iam.amazonaws.com", time=when
                )


def populate(client: OpenSearch, roles: int) -> int:
    records = list(calls(roles))
    origin = Origin(object="history", ingested=iso(T0 - timedelta(days=1)))
    for start in range(0, len(records), BATCH):
        raw = orjson.dumps({"Records": records[start : start + BATCH]})
        body: list[dict[str, Any]] = []
        for document in normalize_object(io.BytesIO(raw), origin, "cloudtrail"):
            assert not isinstance(document, DeadLetter), document
            body += [{"create": {"_index": "siem-cloudtrail"}}, document]
        response = client.bulk(body=body)
        assert not response["errors"]
    client.indices.refresh(index="siem-cloudtrail")
    return len(records)


def run(roles: int = DEFAULT_ROLES) -> list[dict[str, Any]]:
    rule = next(rule for rule in load_rules([RULES_DIR]) if rule.id == RULE)
    window = Window(T0, T0 + timedelta(minutes=20))
    rows = []
    saved = new_terms.FILL_PAGE, new_terms.FILL_PAGES
    with OsmemServer.start(japanese=False) as server:
        client = OpenSearch(hosts=[server.url], timeout=300)
        install_templates(client, "siem-")
        records = populate(client, roles)
        try:
            for page, pages, label in LAYOUTS:
                new_terms.FILL_PAGE, new_terms.FILL_PAGES = page, pages
                store = TermsStore(client, f"siem-alerts-terms-{page}")
                runs = searches = written = 0
                read_seconds = write_seconds = 0.0
                filling = True
                while filling:
                    started = time.perf_counter()
                    found = find_matches(client, rule, Sources(), window, store)
                    read_seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    if found.commit is not None:
                        found.commit()
                    write_seconds += time.perf_counter() - started
                    runs, searches = runs + 1, searches + found.cost.searches
                    written += found.cost.state_writes
                    filling = found.filling
                rows.append(
                    {
                        "name": f"fill of {roles * 5:,} terms, pages of {page:,} x {pages} ({label})",
                        "records": records,
                        "runs": runs,
                        "searches": searches,
                        "terms_written": written,
                        "read_s": round(read_seconds, 1),
                        "write_s": round(write_seconds, 1),
                    }
                )
        finally:
            new_terms.FILL_PAGE, new_terms.FILL_PAGES = saved
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", type=int, default=DEFAULT_ROLES)
    args = parser.parse_args()
    for row in run(args.roles):
        print(row)


if __name__ == "__main__":
    main()
