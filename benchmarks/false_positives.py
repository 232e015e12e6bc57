"""False-positive budget: every enabled rule over the benign corpus, alerts per 100,000 records.

The corpus (``demo.benign``: a week of routine activity of a 40-account organization, 100,000
CloudTrail records by default) goes through the real normalizer into an embedded engine
(osmem-server, behind the Serverless guard), and every enabled rule runs over all of it as
the runner would (``detections.false_positives``), with the exceptions the corpus's organization
deploys (``detections/fp_exceptions.yml``) and its accounts directory (``Corpus.directory``,
what the detection run loads from ``ACCOUNTS_LOCATION``: grants to its own accounts are
inside). Prints one line per rule (alerts, alerts
per 100,000 records, budget, status) and, for each rule that alerts, the benign activities
that tripped it. Exit status 1 when a rule is over its budget and not listed in
``known_over_budget`` of ``detections/fp_budgets.yml``.

Run: ``python -m benchmarks.false_positives [--records N] [--seed S] [--rule ID]
[--exceptions FILE | --no-exceptions] [--no-directory] [--json]`` (100,000 records: about 3 minutes on 2 cores, most of it
indexing). ``make bench`` runs it too.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from demo.benign import CORPUS_SIZE, DEFAULT_SEED, Corpus, generate
from detections.exceptions import NO_EXCEPTIONS, Exceptions, load_exceptions
from detections.false_positives import (
    CORPUS_EXCEPTIONS_FILE,
    FalsePositiveReport,
    index_records,
    load_budgets,
    measure,
)
from detections.organization import organization_of
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import Rule, load_rules
from ingest.serverless_guard import ServerlessGuard
from opensearch_assets.templates import install_templates

PREFIX = "siem-"
INDEX = f"{PREFIX}cloudtrail-benign"


def measure_corpus(
    corpus: Corpus,
    rules: Sequence[Rule],
    exceptions: Exceptions = NO_EXCEPTIONS,
    organization: Organization = NO_ORGANIZATION,
) -> tuple[FalsePositiveReport, dict[str, float]]:
    """The report, and the seconds spent indexing and querying."""
    guard = ServerlessGuard()
    with OsmemServer.start(japanese=False) as server:
        client = guard.wrap(OpenSearch(hosts=[server.url], timeout=300))
        install_templates(client, PREFIX)
        started = time.perf_counter()
        index_records(client, INDEX, corpus.records)
        indexed = time.perf_counter()
        report = measure(
            client,
            rules,
            INDEX,
            len(corpus.records),
            exceptions=exceptions,
            organization=organization,
            budgets=load_budgets(),
        )
        queried = time.perf_counter()
    if guard.violations:
        raise RuntimeError(f"requests Serverless would reject: {guard.violations}")
    return report, {"index_s": round(indexed - started, 1), "rules_s": round(queried - indexed, 1)}


def tripped_by(report: FalsePositiveReport, corpus: Corpus) -> dict[str, Counter[str]]:
    """Rule id -> how many of its alerts each benign activity raised."""
    activity = corpus.activity_by_event_id()
    return {
        result.rule_id: Counter(activity.get(event_id, "?") for event_id in result.alert_event_ids)
        for result in report.results
        if result.alerts
    }


def run(records: int = CORPUS_SIZE, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """``make bench``: one row per enabled CloudTrail rule that alerts, then one for the total."""
    corpus = generate(records, seed)
    exceptions = load_exceptions(CORPUS_EXCEPTIONS_FILE)
    report, seconds = measure_corpus(corpus, load_rules(), exceptions, organization_of(corpus.directory))
    causes = tripped_by(report, corpus)
    rows: list[dict[str, Any]] = [
        {
            "name": result.rule_id,
            "alerts": result.alerts,
            "per_100k": round(report.per_100k(result), 1),
            "budget": report.budgets.budget(result.rule_id),
            "status": report.status(result),
            "tripped_by": ",".join(name for name, _ in causes[result.rule_id].most_common(3)),
        }
        for result in sorted(report.results, key=lambda r: -r.alerts)
        if result.alerts or result.error
    ]
    rows.append(
        {
            "name": "all rules",
            "records": len(corpus.records),
            "rules": len(report.results),
            "alerting": sum(1 for r in report.results if r.alerts),
            "over_budget": len(report.over_budget),
            **seconds,
        }
    )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--records", type=int, default=CORPUS_SIZE, help=f"corpus size (default {CORPUS_SIZE:,})"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"corpus seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--rule", action="append", metavar="ID", help="only this rule (repeatable)")
    parser.add_argument(
        "--exceptions",
        type=Path,
        metavar="FILE",
        default=CORPUS_EXCEPTIONS_FILE,
        help="apply these rule exceptions (default: the corpus organization's, detections/fp_exceptions.yml)",
    )
    parser.add_argument("--no-exceptions", action="store_true", help="apply no rule exceptions")
    parser.add_argument(
        "--no-directory",
        action="store_true",
        help="run without the organization's accounts directory (only a record's own account is inside)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    rules = [rule for rule in load_rules() if not args.rule or rule.id in args.rule]
    exceptions = NO_EXCEPTIONS if args.no_exceptions else load_exceptions(args.exceptions)
    corpus = generate(args.records, args.seed)
    organization = NO_ORGANIZATION if args.no_directory else organization_of(corpus.directory)
    report, seconds = measure_corpus(corpus, rules, exceptions, organization)
    causes = tripped_by(report, corpus)
    if args.json:
        print(orjson.dumps(_as_json(report, corpus, causes, seconds), option=orjson.OPT_INDENT_2).decode())
    else:
        print(_text(report, corpus, causes, seconds))
    return 1 if report.over_budget else 0


def _text(
    report: FalsePositiveReport, corpus: Corpus, causes: dict[str, Counter[str]], seconds: dict[str, float]
) -> str:
    lines = [
        f"{len(corpus.records):,} benign CloudTrail records, {len(report.results)} rules ({seconds})",
        "",
    ]
    lines.append(report.table())
    lines += ["", "tripped by (alerts per benign activity):"]
    for rule_id, counter in sorted(causes.items(), key=lambda item: -sum(item[1].values())):
        lines.append(f"  {rule_id}: " + ", ".join(f"{name} {count}" for name, count in counter.most_common()))
    lines += ["", "corpus composition (records per activity):"]
    lines += [f"  {name:<26} {count:>7,}" for name, count in corpus.composition.most_common()]
    if report.over_budget:
        lines += ["", "OVER BUDGET: " + ", ".join(result.rule_id for result in report.over_budget)]
    if report.known_within:
        lines += [
            "",
            "listed as over budget but within it (unlist them): "
            + ", ".join(r.rule_id for r in report.known_within),
        ]
    return "\n".join(lines)


def _as_json(
    report: FalsePositiveReport, corpus: Corpus, causes: dict[str, Counter[str]], seconds: dict[str, float]
) -> dict[str, Any]:
    return {
        "records": len(corpus.records),
        "seconds": seconds,
        "composition": dict(corpus.composition.most_common()),
        "rules": [
            {
                "id": result.rule_id,
                "alerts": result.alerts,
                "events": result.events,
                "per_100k": report.per_100k(result),
                "budget": report.budgets.budget(result.rule_id),
                "status": report.status(result),
                "tripped_by": dict(causes.get(result.rule_id, Counter()).most_common()),
                "error": result.error,
            }
            for result in report.results
        ],
        "over_budget": [result.rule_id for result in report.over_budget],
        "known_within": [result.rule_id for result in report.known_within],
    }


if __name__ == "__main__":
    sys.exit(main())
