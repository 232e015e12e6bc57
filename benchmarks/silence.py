"""Silence benchmark: what a run of ``siem-cloudtrail-account-silent`` costs at 500 accounts.

The silence part of the detections benchmark, on its own (``benchmarks.detections`` runs every
typed rule on 100,000 events and takes 4 GB; a silence rule needs days of runs instead). An
embedded engine (osmem-server) gets the index templates and CloudTrail from ``--accounts``
accounts (default 500, the largest organization the docs state), one record per account and
hour, each account delivering at its own minute of the hour (``event.ingested``), for 8 days
before T and the 18 hours after it:

- one account (``ALONE``) stops at T: it alerts alone, 3 hours later;
- every account stops at T + 6h (the pipeline): one wide alert;
- delivery is back at T + 12h for every account but one (``CUT``): it alerts alone 3 hours
  after the run that saw delivery back.

The rule runs as the detection function runs it, through :func:`detections.matching.find_matches`
with its state on the engine: every hour for the 8 days (it learns), then every 5 minutes
(20-minute windows: 5 minutes and 15 of overlap) for the 18 hours. Per run: searches,
aggregation buckets, events read, alerts; the runs that raised an alert, a steady run and the
totals are printed, with the state document's size. One record an account and hour is the
least a regular account sends: the buckets follow the accounts and hour slots, not the volume.

Run: ``python -m benchmarks.silence [--accounts N]``.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from demo.records import cloudtrail as ct
from detections.matching import Sources, find_matches
from detections.new_terms import TermsStore
from detections.rules import RULES_DIR, Rule, load_rules
from detections.runner import RunSettings, rule_window
from detections.silence import rule_key
from detections.windows import Checkpoint, iso
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates

RULE = "siem-cloudtrail-account-silent"
T = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
START = T - timedelta(days=8)
END = T + timedelta(hours=18)
ALONE, CUT = 0, 1
"""The account that stops alone at T, and the one that stays silent after the outage."""
OUTAGE = (T + timedelta(hours=6), T + timedelta(hours=12))
HOUR = timedelta(hours=1)
RATE = timedelta(minutes=5)


def account_id(number: int) -> str:
    return f"{300000000000 + number}"


def sends(number: int, moment: datetime) -> bool:
    if number == ALONE and moment >= T:
        return False
    if number == CUT and moment >= OUTAGE[0]:
        return False
    return not OUTAGE[0] <= moment < OUTAGE[1]


def deliveries(accounts: int) -> Iterator[tuple[datetime, list[dict[str, Any]]]]:
    """Per delivery moment (account ``n`` at minute ``7n mod 60`` of each hour), its records."""
    hour = START
    while hour < END:
        by_minute: dict[int, list[dict[str, Any]]] = {}
        for number in range(accounts):
            minute = (7 * number) % 60
            moment = hour + timedelta(minutes=minute)
            if not sends(number, moment):
                continue
            account = account_id(number)
            caller = ct.role_session(account, "app", "i-0abc", "ASIAEXAMPLEAPP00001", "AROAEXAMPLEAPP00001")
            record = ct.api_call(
                ct.assumed_role(caller), time=moment - timedelta(minutes=10), recipient_account=account
            )
            by_minute.setdefault(minute, []).append(record)
        for minute, records in sorted(by_minute.items()):
            yield hour + timedelta(minutes=minute), records
        hour += HOUR


def populate(client: OpenSearch, accounts: int) -> int:
    body: list[dict[str, Any]] = []
    loaded = 0
    for moment, records in deliveries(accounts):
        raw = orjson.dumps({"Records": records})
        origin = Origin(object=f"bench/{iso(moment)}", ingested=iso(moment))
        for item in normalize_object(io.BytesIO(raw), origin, "cloudtrail"):
            if not isinstance(item, DeadLetter):
                body += [{"create": {"_index": "siem-cloudtrail"}}, item]
        if len(body) >= 20_000:
            loaded += _bulk(client, body)
            body = []
    loaded += _bulk(client, body)
    while client.count(index="siem-cloudtrail")["count"] < loaded:
        time.sleep(0.5)
    return loaded


def _bulk(client: OpenSearch, body: list[dict[str, Any]]) -> int:
    if body:
        response = client.bulk(body=body)
        assert not response["errors"], "bench documents refused"
    return len(body) // 2


def moments() -> Iterator[datetime]:
    """The runs: every hour at 30 past for the 8 days, then every 5 minutes."""
    moment = START + timedelta(minutes=30)
    while moment < T:
        yield moment
        moment += HOUR
    moment = T + RATE
    while moment < END:
        yield moment
        moment += RATE


def measure(accounts: int) -> dict[str, Any]:
    rule: Rule = next(rule for rule in load_rules([RULES_DIR]) if rule.id == RULE)
    with OsmemServer.start(japanese=False) as server:
        client = OpenSearch(hosts=[server.url], timeout=120)
        install_templates(client, "siem-")
        loaded = populate(client, accounts)
        settings = RunSettings()
        terms = TermsStore(client, "siem-alerts-terms")
        checkpoint: Checkpoint | None = None
        rows: list[dict[str, Any]] = []
        for now in moments():
            window = rule_window(rule, now, checkpoint, settings)
            started = time.perf_counter()
            found = find_matches(client, rule, Sources(), window, terms)
            if found.commit is not None:
                found.commit()
            elapsed = time.perf_counter() - started
            checkpoint = Checkpoint(window.end)
            rows.append(
                {
                    "run": iso(now),
                    "window_minutes": int((window.end - window.start) / timedelta(minutes=1)),
                    "searches": found.cost.searches,
                    "buckets": found.cost.buckets,
                    "hits": found.cost.hits,
                    "alerts": [match.what or "" for match in found.matches],
                    "ms": round(elapsed * 1000),
                }
            )
        state = terms.rule_state(rule_key(rule)) or {}
    return {"accounts": accounts, "documents": loaded, "state_bytes": len(json.dumps(state)), "rows": rows}


def run(accounts: int = 500) -> list[dict[str, Any]]:
    """``make bench``'s rows: a steady run, each run that raised an alert, and the totals."""
    result = measure(accounts)
    rows, after = result["rows"], [row for row in result["rows"] if row["run"] >= iso(T)]
    quiet = [row for row in after if row["window_minutes"] == 20 and not row["alerts"]]
    outage = [row for row in after if iso(OUTAGE[0]) <= row["run"] < iso(OUTAGE[1] + 3 * HOUR)]
    out = [
        {
            "name": f"silence {RULE} ({accounts} accounts, runs raising nothing)",
            "runs": len(quiet),
            "searches_max": max(row["searches"] for row in quiet),
            "buckets_min": min(row["buckets"] for row in quiet),
            "buckets_max": max(row["buckets"] for row in quiet),
            "state_bytes": result["state_bytes"],
        }
    ]
    out += [
        {
            "name": f"silence {RULE} (run at {row['run']}: {len(row['alerts'])} alert)",
            "searches": row["searches"],
            "buckets": row["buckets"],
            "hits": row["hits"],
            "what": row["alerts"][0][:160],
        }
        for row in after
        if row["alerts"]
    ]
    out.append(
        {
            "name": f"silence {RULE} (18 hours of 5-minute runs)",
            "runs": len(after),
            "searches": sum(row["searches"] for row in after),
            "buckets": sum(row["buckets"] for row in after),
            "alerts": sum(len(row["alerts"]) for row in after),
            "outage_runs": len(outage),
            "outage_searches": sum(row["searches"] for row in outage),
            "outage_alerts": sum(len(row["alerts"]) for row in outage),
            "learning_runs": len(rows) - len(after),
        }
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    args = parser.parse_args()
    for row in run(args.accounts):
        print("  ".join(f"{key}={value}" for key, value in row.items()))


if __name__ == "__main__":
    main()
