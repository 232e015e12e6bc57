"""``siem rules``: test the rules' inline tests, export Alerting monitors, convert SigmaHQ rules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from detections import coverage, monitors
from detections.rules import RULE_DIRS, SIGMA_DIR, Rule, RuleError, load_rules, parse_duration
from detections.testing import run_tests
from opensearch_assets.templates import install_templates
from opensearch_client import ConnectionSettings, make_client
from siem_cli.options import UsageError, add_connection_options, add_index_prefix_option, connection_from

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_SIGMA_DIR = PROJECT.parent / "shared" / "samples" / "sigma" / "cloudtrail"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="detection rules: inline tests, monitor export, Sigma conversion",
        description="Detection rules as code (docs/detections.md).",
    )
    commands = parser.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")

    test = commands.add_parser(
        "test",
        help="run every rule's inline tests",
        description="Normalize each rule's inline test events with the real normalizers, index them "
        "(index templates installed first), run the rule's query over them and compare with the expected "
        "result. Without --endpoint an embedded engine is started. Disabled rules are tested too. "
        "Exit status 1 when a test fails.",
    )
    add_connection_options(
        test,
        endpoint_help="engine to write the test events to (default: an embedded engine; never "
        "$OPENSEARCH_ENDPOINT)",
        endpoint_from_environment=False,
    )
    test.add_argument("--rule", action="append", metavar="ID", help="test only this rule (repeatable)")
    test.add_argument("--verbose", "-v", action="store_true", help="print passing tests too")
    test.set_defaults(func=test_command)

    export = commands.add_parser(
        "export-monitors",
        help="write OpenSearch Alerting monitors (managed domains)",
        description="Write one OpenSearch Alerting monitor per rule (<out>/<rule id>.json, the body of "
        "POST _plugins/_alerting/monitors): query-level for event rules (a window on event.ingested), "
        "bucket-level for threshold rules (a window on @timestamp), with concrete index names. "
        "New-terms and sequence rules have no monitor form: they are listed as skipped, with the reason.",
    )
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    add_index_prefix_option(export)
    export.add_argument(
        "--interval",
        type=parse_duration,
        metavar="DURATION",
        default=parse_duration("5m"),
        help="schedule of query-level monitors, e.g. 5m (default: 5m)",
    )
    export.add_argument(
        "--lag",
        type=parse_duration,
        metavar="DURATION",
        default=parse_duration("2m"),
        help="how far behind now each window ends (default: 2m)",
    )
    export.add_argument(
        "--channel-id",
        metavar="ID",
        help="notification channel id to add as each trigger's action (default: none)",
    )
    export.add_argument(
        "--include-disabled", action="store_true", help="export disabled rules too (as disabled monitors)"
    )
    export.set_defaults(func=export_command)

    convert = commands.add_parser(
        "convert-sigma",
        help="convert the SigmaHQ CloudTrail rules into detections/sigma",
        description="Convert every Sigma rule of --sigma-dir with pySigma's OpenSearch Lucene backend "
        "through our field-mapping pipeline; rewrite detections/sigma/*.yml (attribution and generated "
        "inline tests included) and detections/sigma/CONVERSION.md, which lists every rule that could not "
        "be converted and why.",
    )
    convert.add_argument(
        "--sigma-dir",
        type=Path,
        default=DEFAULT_SIGMA_DIR,
        metavar="DIR",
        help="Sigma rules (default: ../shared/samples/sigma/cloudtrail)",
    )
    convert.add_argument(
        "--out",
        type=Path,
        default=SIGMA_DIR,
        metavar="DIR",
        help="output directory (default: detections/sigma)",
    )
    convert.set_defaults(func=convert_command)

    cover = commands.add_parser(
        "coverage",
        help="techniques each rule covers; catalogue techniques no rule covers",
        description="For each rule, the Stratus Red Team techniques and MITRE ATT&CK ids it covers, then the "
        "techniques of the catalogue (detections/catalogue.yml) that no enabled rule covers. "
        "Exit status 1 when one is uncovered.",
    )
    cover.add_argument("--markdown", action="store_true", help="print the docs' coverage table instead")
    cover.set_defaults(func=coverage_command)


@contextmanager
def _engine(args: argparse.Namespace) -> Iterator[OpenSearch]:
    if args.endpoint:
        yield make_client(connection_from(args))
        return
    from osmem_server import OsmemServer  # a dev dependency: only needed without --endpoint

    server = OsmemServer.start(japanese=False)
    try:
        yield make_client(ConnectionSettings(server.url, auth="none", timeout=60))
    finally:
        server.close()


def chosen(rules: list[Rule], wanted: list[str] | None, kind: str) -> list[Rule]:
    """The rules ``--rule`` names (all without it); a :class:`UsageError` for an id that names
    none of ``rules`` (a ``kind``: "rule", "enabled rule"), rather than a run of nothing that passes."""
    if not wanted:
        return rules
    known = {rule.id for rule in rules}
    unknown = [rule_id for rule_id in dict.fromkeys(wanted) if rule_id not in known]
    if unknown:
        raise UsageError(f"no {kind} {', '.join(unknown)} (`siem rules coverage` lists the rules)")
    return [rule for rule in rules if rule.id in set(wanted)]


def test_command(args: argparse.Namespace) -> int:
    try:
        rules = load_rules(RULE_DIRS, include_disabled=True)
    except RuleError as error:
        print(f"siem rules test: {error}", file=sys.stderr)
        return 1
    rules = chosen(rules, args.rule, "rule")
    passed = failed = skipped = 0
    with _engine(args) as client:
        install_templates(client, args.index_prefix)
        for result in run_tests(client, rules, args.index_prefix):
            if result.skipped is not None:
                skipped += 1
            else:
                passed, failed = passed + result.passed, failed + (not result.passed)
            if args.verbose or not result.passed:
                print(result.describe())
    print(
        f"{len(rules)} rules: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
    )
    return 1 if failed else 0


def export_command(args: argparse.Namespace) -> int:
    try:
        rules = load_rules(RULE_DIRS, include_disabled=args.include_disabled)
    except RuleError as error:
        print(f"siem rules export-monitors: {error}", file=sys.stderr)
        return 1
    exported = monitors.export(rules, args.out, args.index_prefix, args.interval, args.lag, args.channel_id)
    print(f"{len(exported.paths)} monitors written to {args.out}; {len(exported.skipped)} rules skipped")
    for rule_id, reason in exported.skipped.items():
        print(f"  skipped {rule_id}: {reason}")
    return 0


def convert_command(args: argparse.Namespace) -> int:
    # pySigma is a development dependency: only this subcommand needs it.
    from detections.convert import convert_directory

    if not args.sigma_dir.is_dir():
        raise UsageError(f"{args.sigma_dir}: no such directory")
    report = convert_directory(args.sigma_dir, args.out)
    for conversion in report.failed:
        print(f"not convertible: {conversion.source.name}: {conversion.error}")
    print(
        f"{len(report.conversions)} Sigma rules: {len(report.converted)} converted to {args.out}, "
        f"{len(report.failed)} not convertible (listed in {args.out / 'CONVERSION.md'})"
    )
    return 0


def coverage_command(args: argparse.Namespace) -> int:
    try:
        report = coverage.coverage(load_rules(RULE_DIRS, include_disabled=True))
    except RuleError as error:
        print(f"siem rules coverage: {error}", file=sys.stderr)
        return 1
    print(coverage.markdown_table(report) if args.markdown else coverage.format_report(report))
    return 1 if report.uncovered else 0
