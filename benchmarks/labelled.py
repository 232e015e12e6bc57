"""Catch rate and benign-alert rate of our rules on a labelled corpus: Panther's CloudTrail rule tests.

The corpus (``benchmarks/labelled/panther-cloudtrail.jsonl``, extracted from the pypanther wheel by
``scripts/panther_corpus.py``; licence and source in ``benchmarks/labelled/NOTICE.md``) holds one
record per Panther rule test, marked attack (``expected_result`` true) or benign. Which of our
rules share each Panther rule's intent is written by hand in ``benchmarks/labelled/panther_intents.yml``:
``rules`` (a single record can fire them), ``threshold`` (ours needs several records or history)
or ``none`` (no rule of ours has that intent).

Each record is measured alone: its ``eventID`` made unique, normalized by the real normalizer
(a record it refuses is dead-lettered, with the reason), indexed alone in its own index of an
embedded engine (osmem-server, behind the Serverless guard), and the rules run over it as the
false-positive harness runs them (``detections.false_positives.measure_rule``). By default only
the rules the intents name for the record's Panther rule run (fast); ``--all-rules`` runs every
enabled CloudTrail rule on every record as well (slow: the "any rule" column).

Totals:

- catch rate: attack records of ``rules`` entries on which one of the intended rules alerts, over
  all attack records of ``rules`` entries (a dead-lettered attack counts as missed);
- benign-alert rate: benign records of ``rules`` and ``threshold`` entries on which one of the
  intended rules alerts, over those benign records that were indexed (a dead-lettered benign record
  cannot alert either way, so it is left out of this rate and listed with the dead letters);
- dead letters: every dead-lettered record, with its reason, counted and listed apart.

Run: ``python -m benchmarks.labelled [--json] [--all-rules]``. ``make bench`` runs the
intended-rules measurement (``run()``).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from opensearchpy import OpenSearch
from osmem_server import OsmemServer

from detections.false_positives import measure_rule
from detections.rules import Rule, load_rules
from detections.testing import INGESTED
from ingest.serverless_guard import ServerlessGuard
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates

LABELLED_DIR = Path(__file__).resolve().parent / "labelled"
CORPUS_FILE = LABELLED_DIR / "panther-cloudtrail.jsonl"
INTENTS_FILE = LABELLED_DIR / "panther_intents.yml"
PREFIX = "siem-"
SEARCHABLE_TIMEOUT = 30.0

Kind = Literal["rules", "threshold", "none"]
KINDS: tuple[Kind, ...] = ("rules", "threshold", "none")


class IntentsError(ValueError):
    pass


@dataclass(frozen=True)
class Intent:
    """One Panther rule's entry: which of our rules share its intent, or why none does."""

    kind: Kind
    rules: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class LabelledRecord:
    number: int
    panther_rule: str
    test: str
    attack: bool
    log: Mapping[str, Any]


@dataclass
class RecordResult:
    number: int
    panther_rule: str
    test: str
    attack: bool
    dead: str | None = None
    fired: list[str] = field(default_factory=list)
    """Intended rules that alerted."""
    fired_any: list[str] | None = None
    """Every enabled CloudTrail rule that alerted (``--all-rules`` only)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML mapping that names a key twice is an error: the second entry would silently win."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise IntentsError(f"line {key_node.start_mark.line + 1}: {key!r} has more than one entry")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def parse_intents(text: str) -> dict[str, Intent]:
    """``{panther rule id: Intent}``; raises :class:`IntentsError` on any entry not of the form
    ``{rules: [ids]}``, ``{threshold: [ids]}`` or ``{none: "why"}``."""
    data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    if not isinstance(data, dict):
        raise IntentsError("the intents file is a mapping of Panther rule id to entry")
    intents: dict[str, Intent] = {}
    for panther_rule, entry in data.items():
        if not (isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in KINDS):
            raise IntentsError(
                f"{panther_rule}: one of {{rules: [...]}}, {{threshold: [...]}}, {{none: why}}"
            )
        kind, value = next(iter(entry.items()))
        if kind == "none":
            if not (isinstance(value, str) and value.strip()):
                raise IntentsError(f"{panther_rule}: none needs a reason")
            intents[panther_rule] = Intent("none", reason=value)
        else:
            if not (isinstance(value, list) and value and all(isinstance(i, str) for i in value)):
                raise IntentsError(f"{panther_rule}: {kind} needs a list of our rule ids")
            intents[panther_rule] = Intent(kind, rules=tuple(value))
    return intents


def load_intents(path: Path = INTENTS_FILE) -> dict[str, Intent]:
    return parse_intents(path.read_text(encoding="utf-8"))


def load_corpus(path: Path = CORPUS_FILE) -> list[LabelledRecord]:
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            data = json.loads(line)
            records.append(
                LabelledRecord(number, data["rule"], data["test"], bool(data["attack"]), data["log"])
            )
    return records


def cloudtrail_rules(rules: Iterable[Rule]) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules if rule.index == "cloudtrail"}


def measure_record(
    client: OpenSearch, record: LabelledRecord, rules: Sequence[Rule]
) -> tuple[str | None, list[str]]:
    """The record alone in its own index: its dead-letter reason, or the rules that alerted on it."""
    log = dict(record.log)
    log["eventID"] = f"panther-{record.number}"  # Panther's tests reuse ids ("1"): each record its own
    origin = Origin(object=f"labelled/panther/{record.number}", ingested=INGESTED)
    index = _index(record)
    bulk: list[Any] = []
    for item in normalize_object(io.BytesIO(orjson.dumps({"Records": [log]})), origin, "cloudtrail"):
        if isinstance(item, DeadLetter):
            return item.reason, []
        bulk += [{"create": {"_index": index}}, item]
    if not bulk or not rules:
        return None, []
    response = client.bulk(body=bulk)
    if response.get("errors"):
        failed = [i["create"].get("error") for i in response["items"] if i["create"].get("error")]
        return f"not indexed: {failed[:1]}", []
    try:
        deadline = time.monotonic() + SEARCHABLE_TIMEOUT
        while client.count(index=index)["count"] < len(bulk) // 2:  # no refresh on Serverless
            if time.monotonic() > deadline:
                raise TimeoutError(f"{index}: not searchable after {SEARCHABLE_TIMEOUT:.0f} s")
            time.sleep(0.02)
        return None, [rule.id for rule in rules if measure_rule(client, rule, index).alerts]
    finally:
        client.indices.delete(index=index)


def _index(record: LabelledRecord) -> str:
    return f"{PREFIX}cloudtrail-labelled-{record.number}"


def measure_corpus(
    client: OpenSearch,
    records: Sequence[LabelledRecord],
    intents: Mapping[str, Intent],
    rules: Mapping[str, Rule],
    all_rules: bool = False,
    progress: Callable[[RecordResult], None] | None = None,
) -> list[RecordResult]:
    """Every record measured alone, with the rules its Panther rule's intent names (and, with
    ``all_rules``, every rule of ``rules`` as well). An intended id missing from ``rules`` raises."""
    results = []
    for record in records:
        intent = intents.get(record.panther_rule, Intent("none", reason="no intents entry"))
        intended = [rules[rule_id] for rule_id in intent.rules]
        chosen = list(rules.values()) if all_rules else intended
        dead, fired = measure_record(client, record, chosen)
        result = RecordResult(record.number, record.panther_rule, record.test, record.attack, dead)
        result.fired = [rule_id for rule_id in fired if rule_id in intent.rules]
        if all_rules:
            result.fired_any = fired
        results.append(result)
        if progress:
            progress(result)
    return results


@dataclass
class PantherRuleRow:
    panther_rule: str
    kind: Kind
    attacks: int = 0
    caught: int = 0
    benign: int = 0
    benign_alerted: int = 0
    dead: int = 0
    caught_any: int = 0
    benign_alerted_any: int = 0


@dataclass
class Rate:
    hits: int
    records: int

    @property
    def rate(self) -> float:
        return self.hits / self.records if self.records else 0.0

    def __str__(self) -> str:
        return f"{self.hits}/{self.records} = {100 * self.rate:.1f} %"


@dataclass
class Report:
    rows: list[PantherRuleRow]
    catch: Rate
    benign_alert: Rate
    dead_letters: list[RecordResult]
    catch_any: Rate | None = None
    benign_alert_any: Rate | None = None
    intents_counts: dict[str, int] = field(default_factory=dict)

    def table(self) -> str:
        any_rule = self.catch_any is not None
        header = f"{'panther rule':<66} {'intent':<9} {'caught':>8} {'benign alerted':>14} {'dead':>4}"
        header += f" {'any: caught':>11} {'any: benign':>11}" if any_rule else ""
        lines = [header, "-" * len(header)]
        for row in self.rows:
            line = (
                f"{row.panther_rule:<66} {row.kind:<9} {f'{row.caught}/{row.attacks}':>8}"
                f" {f'{row.benign_alerted}/{row.benign}':>14} {row.dead:>4}"
            )
            if any_rule:
                line += (
                    f" {f'{row.caught_any}/{row.attacks}':>11} {f'{row.benign_alerted_any}/{row.benign}':>11}"
                )
            lines.append(line)
        counts = ", ".join(f"{kind} {count}" for kind, count in self.intents_counts.items())
        lines += [
            "",
            f"intents: {counts}",
            f"catch rate (attack records of `rules` entries, dead letters missed): {self.catch}",
            f"benign-alert rate (indexed benign records of `rules` and `threshold` entries): {self.benign_alert}",
        ]
        if self.catch_any is not None and self.benign_alert_any is not None:
            lines += [
                f"any enabled CloudTrail rule, all attack records (dead letters missed): {self.catch_any}",
                f"any enabled CloudTrail rule, all indexed benign records: {self.benign_alert_any}",
            ]
        lines.append(f"dead-lettered records: {len(self.dead_letters)}")
        lines += [
            f"  {r.number:>3} {r.panther_rule} / {r.test} ({'attack' if r.attack else 'benign'}): {r.dead}"
            for r in self.dead_letters
        ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        def rate(value: Rate | None) -> dict[str, Any] | None:
            return (
                None if value is None else {"hits": value.hits, "records": value.records, "rate": value.rate}
            )

        return {
            "catch": rate(self.catch),
            "benign_alert": rate(self.benign_alert),
            "catch_any": rate(self.catch_any),
            "benign_alert_any": rate(self.benign_alert_any),
            "intents": self.intents_counts,
            "dead_letters": [
                {"n": r.number, "rule": r.panther_rule, "test": r.test, "attack": r.attack, "reason": r.dead}
                for r in self.dead_letters
            ],
            "rules": [asdict(row) for row in self.rows],
        }


def report(results: Sequence[RecordResult], intents: Mapping[str, Intent]) -> Report:
    rows: dict[str, PantherRuleRow] = {}
    catch, benign_alert = Rate(0, 0), Rate(0, 0)
    all_rules = any(result.fired_any is not None for result in results)
    catch_any, benign_alert_any = Rate(0, 0), Rate(0, 0)
    for result in results:
        kind = intents[result.panther_rule].kind if result.panther_rule in intents else "none"
        row = rows.setdefault(result.panther_rule, PantherRuleRow(result.panther_rule, kind))
        alerted, alerted_any = bool(result.fired), bool(result.fired_any)
        row.dead += result.dead is not None
        if result.attack:
            row.attacks += 1
            row.caught += alerted
            row.caught_any += alerted_any
            catch_any.records += 1
            catch_any.hits += alerted_any
            if kind == "rules":
                catch.records += 1
                catch.hits += alerted
        elif result.dead is None:
            row.benign += 1
            row.benign_alerted += alerted
            row.benign_alerted_any += alerted_any
            benign_alert_any.records += 1
            benign_alert_any.hits += alerted_any
            if kind in ("rules", "threshold"):
                benign_alert.records += 1
                benign_alert.hits += alerted
    counts: dict[str, int] = {
        kind: sum(1 for intent in intents.values() if intent.kind == kind) for kind in KINDS
    }
    return Report(
        rows=sorted(rows.values(), key=lambda row: (KINDS.index(row.kind), row.panther_rule)),
        catch=catch,
        benign_alert=benign_alert,
        dead_letters=[result for result in results if result.dead is not None],
        catch_any=catch_any if all_rules else None,
        benign_alert_any=benign_alert_any if all_rules else None,
        intents_counts=counts,
    )


def measure_labelled(
    all_rules: bool = False, progress: Callable[[RecordResult], None] | None = None
) -> Report:
    """The whole corpus on a fresh embedded engine, behind the Serverless guard."""
    intents = load_intents()
    records = load_corpus()
    rules = cloudtrail_rules(load_rules())
    guard = ServerlessGuard()
    with OsmemServer.start(japanese=False) as server:
        client = guard.wrap(OpenSearch(hosts=[server.url], timeout=300))
        install_templates(client, PREFIX)
        results = measure_corpus(client, records, intents, rules, all_rules=all_rules, progress=progress)
    if guard.violations:
        raise RuntimeError(f"requests Serverless would reject: {guard.violations[:3]}")
    return report(results, intents)


def run() -> list[dict[str, Any]]:
    """``make bench`` row: the intended rules on the whole corpus."""
    started = time.perf_counter()
    measured = measure_labelled()
    return [
        {
            "name": "panther-cloudtrail",
            "catch_rate": measured.catch.rate,
            "caught": measured.catch.hits,
            "attacks": measured.catch.records,
            "benign_alert_rate": measured.benign_alert.rate,
            "benign_alerted": measured.benign_alert.hits,
            "benign": measured.benign_alert.records,
            "dead_letters": len(measured.dead_letters),
            "seconds": time.perf_counter() - started,
        }
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.labelled",
        description="Catch rate and benign-alert rate of our rules on Panther's CloudTrail rule tests.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--all-rules",
        action="store_true",
        help="also run every enabled CloudTrail rule on every record (slow: the 'any rule' column)",
    )
    args = parser.parse_args(argv)
    measured = measure_labelled(all_rules=args.all_rules)
    print(json.dumps(measured.as_json(), indent=1) if args.json else measured.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
