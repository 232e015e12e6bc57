"""SigmaHQ CloudTrail rules -> our rule files, through pySigma's OpenSearch Lucene backend.

``convert_directory`` reads every Sigma rule, applies the recorded local fixes
(``detections/sigma_overrides.yml``) and the success requirement for changes, maps Sigma's
CloudTrail field names (the raw record's JSON paths) onto our schema with a pySigma
processing pipeline, converts the detection to pySigma's Lucene (shown in the report) and to
the query DSL the rule runs (case-insensitive where Sigma means it: detections/sigma_dsl.py),
and writes ``detections/sigma/<rule file>.yml`` with the Sigma attribution (DRL 1.1) and
generated inline tests; a rule that cannot be converted is listed in
``detections/sigma/CONVERSION.md`` with the reason, never dropped silently.

Inline tests come from the Sigma rule itself: since Sigma's field names *are* the raw
CloudTrail paths, a test event is a raw CloudTrail record with the selection's values set.
The expected result is what Sigma's semantics (evaluated here on the raw record) say; the
test then runs the record through our normalizer, the index template and the converted
query, so a wrong mapping or a query the engine reads differently fails the test.
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
import re
import textwrap
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.backends.opensearch import OpensearchLuceneBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
)
from sigma.exceptions import SigmaError
from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.conditions.base import ValueProcessingCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    FieldMappingTransformation,
    FieldPrefixMappingTransformation,
    MapStringTransformation,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaType,
    SpecialChars,
)

from detections.rules import SIGMA_DIR
from detections.sigma_dsl import CASE_INSENSITIVE_FIELDS, to_dsl
from detections.sigma_overrides import OVERRIDES_FILE, Override, load_overrides
from normalizers.cloudtrail.spec import SPEC as CLOUDTRAIL
from normalizers.fields import Field, raw_names


def _searched(item: Field) -> str:
    """The field a Sigma condition on it queries: for full text, its keyword sub-field, since
    Sigma's equality and wildcards are on the whole value, not on words."""
    return f"{item.path}.keyword" if item.kind == "text" else item.path


SIGMA_LICENSE = "DRL-1.1"
SIGMA_LINK = "https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/{name}"
REPORT = "CONVERSION.md"
DEDUP_KEY = ["aws.cloudtrail.user_identity.arn", "event.action"]
"""Converted rules raise one alert per identity and API action per suppression bucket."""
SUPPRESSION = "1h"
DISABLED_LEVELS = {"informational", "low"}
"""Converted but off by default: in any real account they match routine activity."""

CLOUDTRAIL_FIELDS = raw_names(CLOUDTRAIL.fields)
"""Sigma's CloudTrail field names are the raw record's paths: the fields definition says
which field of ours holds each (normalizers/cloudtrail/fields.py)."""
FIELD_MAPPING: dict[str, str] = {
    **{raw: _searched(item) for raw, item in CLOUDTRAIL_FIELDS.items() if item.kind != "flat_object"},
    # Not a CloudTrail attribute: SigmaHQ uses it for the call's outcome.
    "status": "event.outcome",
}
PREFIX_MAPPING: dict[str, str] = {
    raw: item.path for raw, item in CLOUDTRAIL_FIELDS.items() if item.kind == "flat_object"
}
"""Objects kept whole (flat_object): any key path below the raw name is the same below ours."""
_YES_NO = {"YES": "true", "Yes": "true", "yes": "true", "NO": "false", "No": "false", "no": "false"}
YES_NO_FIELDS = tuple(
    raw
    for raw, item in CLOUDTRAIL_FIELDS.items()
    if item.kind == "boolean" and raw.startswith("additionalEventData.")
)
"""Booleans written "Yes"/"No" in the record (console sign-in details)."""

# A string that matches each regular expression used by a Sigma rule (for test events).
REGEX_EXAMPLES: dict[str, str] = {
    ".+:assumed-role/aws:.+": "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc1234def567890",
    ".+:assumed-role/[^/]+/i-[0-9a-zA-Z]{8,17}": "arn:aws:sts::111122223333:assumed-role/web-instance-role/i-0abc1234def567890",
}


def pipeline() -> ProcessingPipeline:
    """Sigma CloudTrail field names -> our schema (docs/detections.md, "Sigma conversion")."""
    return ProcessingPipeline(
        name="aws-siem CloudTrail",
        priority=20,
        items=[
            ProcessingItem(
                identifier="aws_siem_mfa_used_boolean",
                transformation=MapStringTransformation(_YES_NO),  # type: ignore[arg-type]
                field_name_conditions=[IncludeFieldCondition(list(YES_NO_FIELDS))],
            ),
            # docs/schema.md, "Addresses": an IP is in source.ip only, anything else in source.address.
            ProcessingItem(
                identifier="aws_siem_source_ip",
                transformation=FieldMappingTransformation({"sourceIPAddress": "source.ip"}),
                field_name_conditions=[IncludeFieldCondition(["sourceIPAddress"])],
                detection_item_conditions=[_IsAddress(cond="all")],
            ),
            ProcessingItem(
                identifier="aws_siem_fields",
                transformation=FieldMappingTransformation(dict(FIELD_MAPPING)),  # type: ignore[arg-type]
            ),
            ProcessingItem(
                identifier="aws_siem_prefixes",
                transformation=FieldPrefixMappingTransformation(dict(PREFIX_MAPPING)),  # type: ignore[arg-type]
            ),
        ],
    )


_IP_LIKE = re.compile(r"\A(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)\Z")


@dataclass
class _IsAddress(ValueProcessingCondition):
    """A CIDR or a string that is an IPv4/IPv6 address (what lands in an ``ip`` field)."""

    def match_value(self, value: SigmaType) -> bool:
        if isinstance(value, SigmaCIDRExpression):
            return True
        return (
            isinstance(value, SigmaString)
            and not value.contains_special()
            and bool(_IP_LIKE.match(str(value)))
        )


def is_mapped(name: str) -> bool:
    return name in FIELD_MAPPING or any(
        name == prefix or name.startswith(prefix + ".") for prefix in PREFIX_MAPPING
    )


SUCCESS_NOTE = (
    "A failed call matches only when it is read-only or a console sign-in: a change that failed,"
    " denied or not, changed nothing (denials are counted by siem-access-denied-burst)."
)
FAILED_CHANGE = "local_failed_change"
"""The selection added to rules about a change: a failed call..."""
READ_OR_SIGN_IN = "local_read_only_or_sign_in"
"""...unless it is read-only (enumeration) or a console sign-in (no change: a failed sign-in
keeps the meaning the Sigma rule gives it)."""
FAILED_EXAMPLE = "ValidationException"
"""The error of the generated test's failed change that was not denied (a bad parameter; the
generated exclusion test of ``local_failed_change`` is a denial)."""
OUTCOME_FIELDS = ("errorCode", "errorMessage", "status", "responseElements")
"""A rule naming one of these already says which outcome it wants."""


@dataclass(slots=True)
class Conversion:
    source: Path
    rule_id: str | None = None
    title: str | None = None
    output: Path | None = None
    query: str | None = None
    """pySigma's Lucene rendering (for the report)."""
    dsl: dict[str, Any] | None = None
    """The query the rule runs."""
    error: str | None = None
    enabled: bool = True
    tests: int = 0
    sigma: dict[str, Any] = field(default_factory=dict)
    """The Sigma rule as converted: the file's YAML with the local fix and success requirement."""
    success_required: bool = False
    override: Override | None = None


@dataclass(slots=True)
class ConversionReport:
    conversions: list[Conversion] = field(default_factory=list)

    @property
    def converted(self) -> list[Conversion]:
        return [c for c in self.conversions if c.error is None]

    @property
    def failed(self) -> list[Conversion]:
        return [c for c in self.conversions if c.error is not None]


def convert_directory(
    sigma_dir: Path, out_dir: Path = SIGMA_DIR, overrides_file: Path | None = OVERRIDES_FILE
) -> ConversionReport:
    """Convert every ``*.yml`` under ``sigma_dir`` with the recorded local fixes
    (``overrides_file``; ``None``: none); (re)write ``out_dir`` and its report."""
    overrides = load_overrides(overrides_file)
    unknown = sorted(set(overrides) - {path.name for path in sigma_dir.glob("*.yml")})
    if unknown:
        raise ValueError(f"{overrides_file}: fixes for Sigma rules that are not in {sigma_dir}: {unknown}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.yml"):
        stale.unlink()
    backend = OpensearchLuceneBackend(pipeline())
    report = ConversionReport()
    for path in sorted(sigma_dir.glob("*.yml")):
        conversion = convert_file(path, backend, overrides.get(path.name))
        if conversion.error is None:
            conversion.output = out_dir / path.name
            conversion.output.write_text(rule_text(conversion), encoding="utf-8")
        report.conversions.append(conversion)
    (out_dir / REPORT).write_text(report_text(report), encoding="utf-8")
    return report


def convert_file(
    path: Path, backend: OpensearchLuceneBackend, override: Override | None = None
) -> Conversion:
    conversion = Conversion(path, override=override)
    try:
        sigma = yaml.safe_load(path.read_text(encoding="utf-8"))
        conversion.sigma = sigma = override.apply(sigma) if override else sigma
        conversion.success_required = require_success(
            sigma, keep_failures=bool(override and override.keep_failures)
        )
        rule = SigmaRule.from_dict(sigma)
        conversion.rule_id, conversion.title = f"sigma-{rule.id}", rule.title
        unmapped = sorted({name for name in _fields(rule) if not is_mapped(name)})
        if unmapped:
            raise ValueError(f"no mapping onto our schema for field(s) {', '.join(unmapped)}")
        queries = backend.convert_rule(rule)
        if len(queries) != 1:
            raise ValueError(f"the backend produced {len(queries)} queries, expected one")
        conversion.query = str(queries[0])
        conversion.dsl = to_dsl(rule.detection.parsed_condition[0].parsed)
        conversion.enabled = str(rule.level) not in DISABLED_LEVELS if rule.level else True
        if override and override.superseded_by:
            conversion.enabled = False
    except (SigmaError, ValueError) as error:
        conversion.error = f"{type(error).__name__}: {_one_line(str(error))}"
    return conversion


def require_success(sigma: dict[str, Any], keep_failures: bool = False) -> bool:
    """Add ``and not (local_failed_change and not local_read_only_or_sign_in)`` to a rule that
    does not say which outcome it wants: a change that failed, denied or not, changed nothing
    (the policy of our change rules, ``outcomes: [success]``; denials are counted by
    siem-access-denied-burst), while failed read-only calls (enumeration) and failed console
    sign-ins (no change) still match. ``readOnly`` absent is not read-only. Returns whether the
    requirement was added."""
    detection = sigma.get("detection") or {}
    condition = detection.get("condition")
    named = set(_field_names(detection))
    if (
        keep_failures
        or not isinstance(condition, str)
        or any(name.split(".")[0] in OUTCOME_FIELDS for name in named)
    ):
        return False
    detection[FAILED_CHANGE] = {"status": "failure"}
    detection[READ_OR_SIGN_IN] = [{"readOnly": True}, {"eventType": "AwsConsoleSignIn"}]
    detection["condition"] = f"({condition}) and not ({FAILED_CHANGE} and not {READ_OR_SIGN_IN})"
    return True


def _field_names(node: Any) -> Iterator[str]:
    """The raw field names of a Sigma detection (as YAML), modifiers stripped."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "condition":
                yield str(key).split("|")[0]
                yield from _field_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _field_names(item)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fields(rule: SigmaRule) -> Iterator[str]:
    for detection in rule.detection.detections.values():
        yield from _detection_fields(detection)


def _detection_fields(detection: SigmaDetection) -> Iterator[str]:
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from _detection_fields(item)
        elif item.field:
            yield item.field


# --- the converted rule file -------------------------------------------------------------


def rule_text(conversion: Conversion) -> str:
    path, sigma, override = conversion.source, conversion.sigma, conversion.override
    rule = SigmaRule.from_dict(sigma)
    tests = generate_tests(rule)
    if conversion.success_required:
        tests += outcome_tests(rule, tests)
    tests += [dict(test) for test in (override.tests if override else ())]
    conversion.tests = len(tests)
    document: dict[str, Any] = {
        "id": conversion.rule_id,
        "title": sigma["title"],
        "description": str(sigma.get("description", "")).strip(),
        "severity": sigma.get("level", "medium"),
        "index": "cloudtrail",
        "query": {"dsl": conversion.dsl},
        "dedup_key": DEDUP_KEY,
        "suppression": SUPPRESSION,
        "enabled": conversion.enabled,
        "tags": sigma.get("tags", []),
        "references": sigma.get("references", []),
        "author": sigma.get("author"),
        "license": SIGMA_LICENSE,
        "status": sigma.get("status"),
        "falsepositives": sigma.get("falsepositives", []),
        "sigma": {
            "id": sigma["id"],
            "title": sigma["title"],
            "author": sigma.get("author"),
            "date": str(sigma.get("date", "")) or None,
            "modified": str(sigma.get("modified", "")) or None,
            "license": SIGMA_LICENSE,
            "link": SIGMA_LINK.format(name=path.name),
            "file": path.name,
        },
        "tests": tests,
    }
    if override and override.where:
        document["where"] = [dict(item) for item in override.where]
    if override and override.superseded_by:
        document["superseded_by"] = list(override.superseded_by)
    header = (
        f"# Converted from SigmaHQ rule {path.name} (id {sigma['id']}) by `siem rules convert-sigma`:\n"
        f"# do not edit, regenerate. Author: {sigma.get('author')}. Licence: Detection Rule License 1.1\n"
        f"# (https://github.com/SigmaHQ/Detection-Rule-License); see NOTICE.md in this folder.\n"
    )
    for change in changes(conversion):
        header += "\n".join(
            textwrap.wrap(f"Modified locally: {change}", 96, initial_indent="# ", subsequent_indent="#   ")
        )
        header += "\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def changes(conversion: Conversion) -> list[str]:
    """What the conversion changed in the Sigma rule's meaning (CONVERSION.md, file headers)."""
    found = []
    if conversion.override:
        found.append(conversion.override.reason)
        if conversion.override.superseded_by:
            found.append(f"Disabled: superseded by {', '.join(conversion.override.superseded_by)}.")
    if conversion.success_required:
        found.append(SUCCESS_NOTE)
    return found


def report_text(report: ConversionReport) -> str:
    lines = [
        "# SigmaHQ CloudTrail conversion report",
        "",
        "Generated by `siem rules convert-sigma` (detections/convert.py); do not edit.",
        "",
        f"{len(report.conversions)} rules read, {len(report.converted)} converted, "
        f"{len(report.failed)} not convertible.",
        "",
        "## Not convertible",
        "",
        "| Sigma rule | title | reason |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.source.name}` | {c.title or ''} | {c.error} |" for c in report.failed] or [
        "| - | - | - |"
    ]
    lines += [
        "",
        "## Converted",
        "",
        "The rules run the query DSL built from the (fixed) Sigma condition, case-insensitive on the",
        "fields listed in docs/detections.md; the Lucene column is pySigma's rendering of the same",
        "condition, for reading. *success*: a failed call matches only when it is read-only or a",
        "console sign-in (a denied change is counted by siem-access-denied-burst).",
        "",
        "| Sigma rule | our rule id | enabled | tests | success | Lucene query |",
        "|---|---|---|---|---|---|",
    ]
    for c in report.converted:
        query = (c.query or "").replace("|", "\\|")
        lines.append(
            f"| `{c.source.name}` | `{c.rule_id}` | {'yes' if c.enabled else 'no'} | {c.tests} "
            f"| {'yes' if c.success_required else ''} | `{query}` |"
        )
    lines += [
        "",
        "## Local fixes and superseded rules",
        "",
        "Recorded in `detections/sigma_overrides.yml` and applied by every conversion.",
        "",
        "| Sigma rule | our rule id | change |",
        "|---|---|---|",
    ]
    for c in report.converted:
        if c.override:
            change = " ".join(change for change in changes(c) if change != SUCCESS_NOTE)
            lines.append(f"| `{c.source.name}` | `{c.rule_id}` | {change.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"


# --- inline tests generated from the Sigma detection ----------------------------------------

BASE_RECORD: dict[str, Any] = {
    "eventVersion": "1.09",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDACKCEVSQ6C2EXAMPLE",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": "111122223333",
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": "alice",
    },
    "eventTime": "2025-12-31T23:55:00Z",
    "eventSource": "example.amazonaws.com",
    "eventName": "DescribeExampleThings",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "203.0.113.50",
    "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22",
    "requestParameters": {"exampleName": "example"},
    "responseElements": None,
    "eventType": "AwsApiCall",
    "recipientAccountId": "111122223333",
}
# Console sign-in events come from signin.amazonaws.com with their own event type (the
# normalizer reads additionalEventData.MFAUsed only there): test records follow AWS.
SIGN_IN_EVENTS = {"ConsoleLogin", "GetSigninToken", "CheckMfa", "ExitRole", "RenewRole", "SwitchRole"}
MAX_TESTS = 5
ROOT_VALUE_KEY = "sigmaTestValue"
"""Where a value Sigma matches anywhere under ``requestParameters`` (no sub-path) is put."""


def generate_tests(rule: SigmaRule) -> list[dict[str, Any]]:
    """One matching record, the same with its case-insensitive values in another case, then
    records that must not match (up to MAX_TESTS in all): the match plus a filter's values
    ("excluded by", the success requirement's failed call among them), or the match with one
    of its values taken away ("near miss")."""
    condition = rule.detection.parsed_condition[0].parse()
    detections = rule.detection.detections
    found = _positive(condition, detections)
    if found is None:
        return []
    subset, assignments = found
    tests = [_case(rule, "matches the Sigma selection", True, _record(assignments))]
    other_case = [
        (path, value.swapcase() if isinstance(value, str) and is_case_insensitive(path) else value)
        for path, value in assignments
    ]
    if other_case != assignments:
        record = _record(other_case)
        tests.append(_case(rule, "matches in another case", evaluate(condition, record), record))
    candidates = [
        (f"excluded by {name}", assignments + _fragment(detections[name]))
        for name in detections
        if name not in subset
    ]
    candidates += [
        (f"near miss: without {path}", [pair for pair in assignments if pair[0] != path])
        for path, _ in assignments
    ]
    for name, variant in candidates:
        record = _record(variant)
        if len(tests) < MAX_TESTS and not evaluate(condition, record):
            tests.append(_case(rule, name, False, record))
    return tests


def outcome_tests(rule: SigmaRule, tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a rule given the success requirement: its matching record as a change that failed
    with a bad parameter, which may not match (a denied one is the generated exclusion test)."""
    if not tests or not tests[0]["match"]:
        return []
    condition = rule.detection.parsed_condition[0].parse()
    record = {key: value for key, value in tests[0]["records"][0].items() if key != "eventID"}
    variant = {**record, "errorCode": FAILED_EXAMPLE, "readOnly": False}
    if evaluate(condition, variant):
        return []
    return [_case(rule, f"a change that failed with {FAILED_EXAMPLE}: changed nothing", False, variant)]


def _positive(
    condition: Any, detections: Mapping[str, SigmaDetection]
) -> tuple[tuple[str, ...], list[tuple[str, Any]]] | None:
    """The smallest set of selections whose values, set on the base record, satisfy the condition."""
    names = list(detections)
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            assignments = [pair for name in subset for pair in _fragment(detections[name])]
            if evaluate(condition, _record(assignments)):
                return subset, assignments
    return None


def _case(rule: SigmaRule, name: str, match: bool, record: dict[str, Any]) -> dict[str, Any]:
    record = copy.deepcopy(record)
    record["eventID"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sigma/{rule.id}/{name}"))
    return {"name": name, "match": match, "records": [record]}


def _fragment(detection: SigmaDetection) -> list[tuple[str, Any]]:
    """(path, value) pairs that make a selection true: its first alternative, first values."""
    items = detection.detection_items
    if items and all(isinstance(item, SigmaDetection) for item in items):
        return _fragment(items[0])  # type: ignore[arg-type]
    pairs: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, SigmaDetectionItem) and item.field:
            pairs.append((item.field, _example(item)))
    return pairs


def _example(item: SigmaDetectionItem) -> Any:
    values = item.value
    if item.value_linking is ConditionAND and len(values) > 1:  # |all: one string holding every value
        return " ".join(str(_value_example(value)) for value in values)
    return _value_example(values[0])


def _value_example(value: Any) -> Any:
    if isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists):
        return None
    if isinstance(value, SigmaExists):
        return "x"
    if isinstance(value, SigmaCIDRExpression):
        return str(next(value.network.hosts(), value.network.network_address))
    if isinstance(value, SigmaRegularExpression):
        return REGEX_EXAMPLES[str(value.regexp)]
    if isinstance(value, SigmaBool):
        return value.boolean
    if isinstance(value, SigmaNumber):
        return value.number
    if isinstance(value, SigmaString):
        text = "".join(
            part if isinstance(part, str) else ("x" if part == SpecialChars.WILDCARD_SINGLE else "")
            for part in value.s
        )
        return text or "x"
    raise ValueError(f"no example for {value!r}")


def _record(assignments: list[tuple[str, Any]]) -> dict[str, Any]:
    record = copy.deepcopy(BASE_RECORD)
    if any(path == "eventName" and value in SIGN_IN_EVENTS for path, value in assignments):
        record.update(eventSource="signin.amazonaws.com", eventType="AwsConsoleSignIn")
    for path, value in assignments:
        if path == "status":  # not a CloudTrail attribute: an outcome is made by an error code
            if str(value).lower() == "failure":
                record["errorCode"] = "AccessDenied"
            continue
        _assign(record, path, value)
    return record


def _assign(record: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if parts[0] in PREFIX_MAPPING and len(parts) == 1 and value is not None:
        parts.append(ROOT_VALUE_KEY)
    node = record
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def evaluate(condition: Any, record: Mapping[str, Any]) -> bool:
    """Sigma's meaning of a parsed condition on a raw record (case-insensitive, whole value)."""
    if isinstance(condition, ConditionAND):
        return all(evaluate(arg, record) for arg in condition.args)
    if isinstance(condition, ConditionOR):
        return any(evaluate(arg, record) for arg in condition.args)
    if isinstance(condition, ConditionNOT):
        return not evaluate(condition.args[0], record)
    if isinstance(condition, ConditionFieldEqualsValueExpression):
        return _leaf(condition, record)
    if isinstance(condition, ConditionItem):
        raise ValueError(f"unsupported condition {type(condition).__name__}")
    raise ValueError(f"unsupported condition {condition!r}")


def _leaf(condition: ConditionFieldEqualsValueExpression, record: Mapping[str, Any]) -> bool:
    if condition.field == "status":  # mapped onto event.outcome: derived the normalizer's way
        found: list[Any] = ["failure" if record.get("errorCode") else "success"]
    else:
        found = list(_values_at(record, condition.field.split(".")))
    value = condition.value
    if isinstance(value, SigmaNull):
        return not found
    if isinstance(value, SigmaExists):
        return bool(found) is value.exists
    if isinstance(value, SigmaCIDRExpression):
        return any(_in_network(item, value.network) for item in found)
    if isinstance(value, SigmaRegularExpression):
        pattern = re.compile(str(value.regexp))
        return any(pattern.fullmatch(_text(item)) for item in found)
    if isinstance(value, SigmaString):
        flags = re.DOTALL
        if is_case_insensitive(condition.field) and not isinstance(value, SigmaCasedString):
            flags |= re.IGNORECASE
        pattern = re.compile(value.to_regex().regexp.to_plain(), flags)
        return any(pattern.fullmatch(_text(item)) for item in found)
    return any(
        _text(item).lower() == _text(getattr(value, "boolean", getattr(value, "number", value))).lower()
        for item in found
    )


def is_case_insensitive(sigma_field: str) -> bool:
    """Whether our rules match this Sigma (raw CloudTrail) field's strings in any case."""
    return FIELD_MAPPING.get(sigma_field) in CASE_INSENSITIVE_FIELDS


def _in_network(value: Any, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(str(value)) in network
    except ValueError:
        return False


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values_at(node: Any, parts: list[str]) -> Iterator[Any]:
    """Leaf values at a path; a path ending on an object yields every leaf below it."""
    if isinstance(node, list):
        for item in node:
            yield from _values_at(item, parts)
        return
    if not parts:
        if isinstance(node, dict):
            for item in node.values():
                yield from _values_at(item, [])
        elif node is not None:
            yield node
        return
    if isinstance(node, dict) and parts[0] in node:
        yield from _values_at(node[parts[0]], parts[1:])
