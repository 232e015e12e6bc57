#!/usr/bin/env python3
"""Extract Panther's CloudTrail rule tests from a pypanther wheel into a labelled JSON Lines corpus.

Panther Labs' ``pypanther`` wheel (Apache-2.0) ships its detection rules as Python classes, each
with unit tests: ``RuleTest(name=..., expected_result=..., log={...})``. A test whose
``expected_result`` is true is a record the rule must alert on (an *attack* for that rule's
intent); false, one it must not (*benign*). ``benchmarks/labelled.py`` runs our rules on those
records (docs/detections.md, "Measured on a labelled corpus").

Get the wheel (the only step that needs the network; the corpus is committed, so this is only
needed to re-extract or to move to another version)::

    pip download pypanther==0.1.1a62 --no-deps -d /tmp/pypanther
    python -m scripts.panther_corpus /tmp/pypanther/pypanther-0.1.1a62-py3-none-any.whl \\
        benchmarks/labelled/panther-cloudtrail.jsonl

The wheel is read as a zip and its rule modules are parsed with :mod:`ast`; values are read
with :func:`ast.literal_eval`. Nothing of pypanther is imported or executed. Kept: every test of
every rule class whose ``log_types`` names ``AWS.CloudTrail`` (``LogType`` members are resolved
from the wheel's own ``pypanther/log_types.py``). Dropped, and counted on standard error:

- a test whose log carries a ``p_log_type`` other than ``AWS.CloudTrail`` (the multi-source
  ``Standard`` rules also test on Okta, OneLogin, GSuite... logs, which are not CloudTrail);
- a test that cannot be read as literals (a log built by code, not written out).

One output line per kept test, in the wheel's file order then the class's test order:
``{"rule", "title", "file", "test", "attack", "mitre", "log"}`` (Panther's rule id, display
name, module path inside the wheel, test name, ``expected_result``, its MITRE ATT&CK report
entries, the log exactly as written).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLOUDTRAIL = "AWS.CloudTrail"
RULES_PREFIX = "pypanther/rules/"
LOG_TYPES_MODULE = "pypanther/log_types.py"


@dataclass
class Extraction:
    """What was kept and what was dropped, and why."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rules: int = 0
    rules_without_tests: list[str] = field(default_factory=list)
    other_log_type: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        dropped = sum(self.other_log_type.values())
        lines = [
            f"{len(self.records)} records kept from {self.rules} rules whose log_types include {CLOUDTRAIL}",
            f"{dropped} records dropped: their p_log_type is not {CLOUDTRAIL}"
            + (
                " (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.other_log_type.items())) + ")"
                if dropped
                else ""
            ),
            f"{len(self.unreadable)} tests unreadable by ast.literal_eval",
            f"{len(self.rules_without_tests)} rules with no CloudTrail test: "
            + ", ".join(self.rules_without_tests),
        ]
        lines += [f"  unreadable: {where}" for where in self.unreadable]
        return "\n".join(lines)


def log_type_names(source: str) -> dict[str, str]:
    """``LogType`` member name -> log type string, from ``pypanther/log_types.py``."""
    names: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == "LogType":
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)
                    and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)
                ):
                    names[statement.targets[0].id] = statement.value.value
    return names


def _log_types(node: ast.expr, members: dict[str, str]) -> list[str]:
    """A ``log_types`` value: a list of ``LogType.X`` attributes or of strings."""
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    found: list[str] = []
    for element in node.elts:
        if (
            isinstance(element, ast.Attribute)
            and isinstance(element.value, ast.Name)
            and element.value.id == "LogType"
        ):
            found.append(members.get(element.attr, element.attr))
        elif isinstance(element, ast.Constant) and isinstance(element.value, str):
            found.append(element.value)
    return found


def _class_attributes(node: ast.ClassDef) -> dict[str, ast.expr]:
    attributes: dict[str, ast.expr] = {}
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    attributes[target.id] = statement.value
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.value
        ):
            attributes[statement.target.id] = statement.value
    return attributes


def _literal(node: ast.expr | None, default: Any = None) -> Any:
    if node is None:
        return default
    try:
        return ast.literal_eval(node)
    except ValueError:
        return default


def _rule_tests(node: ast.expr) -> Iterator[ast.Call | ast.expr]:
    """The elements of a ``tests = [...]`` list (``RuleTest(...)`` calls, normally)."""
    if isinstance(node, ast.List | ast.Tuple):
        yield from node.elts


def _test_arguments(call: ast.Call) -> dict[str, ast.expr]:
    """``RuleTest``'s arguments by name (its positional order is name, expected_result, log)."""
    arguments = dict(zip(("name", "expected_result", "log"), call.args, strict=False))
    arguments.update({keyword.arg: keyword.value for keyword in call.keywords if keyword.arg})
    return arguments


def extract_module(path: str, source: str, members: dict[str, str], extraction: Extraction) -> None:
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.ClassDef):
            continue
        attributes = _class_attributes(node)
        if "log_types" not in attributes or CLOUDTRAIL not in _log_types(attributes["log_types"], members):
            continue
        rule_id = _literal(attributes.get("id"))
        if not isinstance(rule_id, str):
            extraction.unreadable.append(f"{path}: class {node.name}: id")
            continue
        extraction.rules += 1
        title = _literal(attributes.get("display_name"), rule_id)
        reports = _literal(attributes.get("reports"), {}) or {}
        mitre = reports.get("MITRE ATT&CK", []) if isinstance(reports, dict) else []
        kept = len(extraction.records)
        for position, element in enumerate(_rule_tests(attributes.get("tests", ast.List(elts=[])))):
            where = f"{path}: {rule_id} test {position}"
            if not (isinstance(element, ast.Call) and getattr(element.func, "id", None) == "RuleTest"):
                extraction.unreadable.append(f"{where}: not a RuleTest(...) call")
                continue
            arguments = _test_arguments(element)
            try:
                name = ast.literal_eval(arguments["name"])
                attack = ast.literal_eval(arguments["expected_result"])
                log = ast.literal_eval(arguments["log"])
            except (KeyError, ValueError, SyntaxError, TypeError) as error:
                extraction.unreadable.append(f"{where}: {type(error).__name__}: {error}")
                continue
            if not (isinstance(name, str) and isinstance(attack, bool) and isinstance(log, dict)):
                extraction.unreadable.append(f"{where}: name, expected_result or log of an unexpected type")
                continue
            log_type = log.get("p_log_type", CLOUDTRAIL)
            if log_type != CLOUDTRAIL:
                extraction.other_log_type[str(log_type)] = extraction.other_log_type.get(str(log_type), 0) + 1
                continue
            extraction.records.append(
                {
                    "rule": rule_id,
                    "title": title,
                    "file": path.removeprefix("pypanther/"),
                    "test": name,
                    "attack": attack,
                    "mitre": mitre,
                    "log": log,
                }
            )
        if len(extraction.records) == kept:
            extraction.rules_without_tests.append(rule_id)


def extract(wheel: Path) -> Extraction:
    extraction = Extraction()
    with zipfile.ZipFile(wheel) as archive:
        members = log_type_names(archive.read(LOG_TYPES_MODULE).decode("utf-8"))
        for path in sorted(archive.namelist()):
            if path.startswith(RULES_PREFIX) and path.endswith(".py"):
                extract_module(path, archive.read(path).decode("utf-8"), members, extraction)
    return extraction


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "wheel", type=Path, help="pypanther wheel (pip download pypanther==0.1.1a62 --no-deps)"
    )
    parser.add_argument("out", type=Path, help="JSON Lines corpus to write")
    args = parser.parse_args(argv)
    try:
        extraction = extract(args.wheel)
        with args.out.open("w", encoding="utf-8") as out:
            for record in extraction.records:
                out.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
    except (OSError, zipfile.BadZipFile) as error:  # a wrong path or a file that is no wheel
        print(f"panther_corpus: {error}", file=sys.stderr)
        return 2
    print(extraction.summary(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
