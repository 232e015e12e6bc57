"""Monitor export, rule validation and window arithmetic."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections.monitors import monitor, unsupported
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import RULE_DIRS, RuleError, load_rule, load_rules, parse_rule
from detections.runner import RunSettings, rule_window
from detections.windows import Checkpoint, next_window
from siem_cli.main import main
from tests.detections.conftest import T0, index_raw, minutes, our_rule, rejected_flows, trail

RULES = load_rules(RULE_DIRS)


def _exported(tmp_path: Path) -> dict[str, dict[str, Any]]:
    assert main(["rules", "export-monitors", "--out", str(tmp_path)]) == 0
    return {path.stem: json.loads(path.read_text()) for path in tmp_path.glob("*.json")}


def test_every_enabled_rule_becomes_a_monitor_with_concrete_indices(tmp_path: Path) -> None:
    monitors = _exported(tmp_path)
    exportable = [rule for rule in RULES if unsupported(rule) is None]
    assert sorted(monitors) == sorted(rule.id for rule in exportable)
    for rule in exportable:
        body = monitors[rule.id]
        assert body["type"] == "monitor" and body["schedule"]["period"]["unit"] == "MINUTES"
        (search,) = [item["search"] for item in body["inputs"]]
        assert search["indices"] == [f"siem-{rule.index}"]
        (trigger,) = body["triggers"]
        if rule.is_threshold:
            assert body["monitor_type"] == "bucket_level_monitor"
            assert body["schedule"]["period"]["interval"] == 5  # every 5 minutes over the last window
            aggregation = search["query"]["aggregations"]["composite_agg"]
            sources = aggregation["composite"]["sources"]
            assert [next(iter(source)) for source in sources] == list(rule.group_by)
            condition = trigger["bucket_level_trigger"]["condition"]
            measure = "distinct" if rule.distinct else "_count"
            assert condition["script"]["source"] == f"params.{measure} >= {rule.threshold}"
            if rule.distinct:
                assert aggregation["aggs"]["distinct"] == {"cardinality": {"field": rule.distinct[0]}}
        else:
            assert body["monitor_type"] == "query_level_monitor"
            assert "hits.total.value > 0" in trigger["query_level_trigger"]["condition"]["script"]["source"]
        time_filters = [f["range"] for f in search["query"]["query"]["bool"]["filter"] if "range" in f]
        (time_range,) = time_filters
        (bounds,) = time_range.values()
        assert bounds["gte"].startswith("{{period_end}}||-") and bounds["lt"] == "{{period_end}}||-2m"


def test_rules_alerting_cannot_run_are_skipped_with_their_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "export-monitors", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    reasons = {rule.id: unsupported(rule) for rule in RULES}
    skipped = {rule_id: reason for rule_id, reason in reasons.items() if reason}
    assert f"{len(RULES) - len(skipped)} monitors written" in out and f"{len(skipped)} rules skipped" in out
    assert reasons["siem-new-region-in-account"].startswith("new_terms:")  # type: ignore[union-attr]
    assert reasons["siem-console-signin-without-mfa-then-access-key"].startswith("sequence:")  # type: ignore[union-attr]
    assert "flat_object" in reasons["siem-ec2-get-password-data"]  # type: ignore[operator]
    assert reasons["siem-access-denied-burst"] is None  # distinct event.action: a cardinality
    # name, names and path (secretId and secretIdList) pooled: one cardinality counts one field
    assert "pooled" in reasons["siem-secretsmanager-retrieval-burst"]  # type: ignore[operator]
    assert "pooled" in reasons["siem-ssm-securestring-decrypted-outside-compute"]  # type: ignore[operator]
    for rule_id, reason in skipped.items():
        assert f"skipped {rule_id}: {reason}" in out
        assert not (tmp_path / f"{rule_id}.json").exists()
    with pytest.raises(ValueError, match="no Alerting monitor"):
        monitor(our_rule("siem-new-region-in-account"))


def test_field_comparisons_become_a_script_filter(tmp_path: Path) -> None:
    body = _exported(tmp_path)["siem-iam-access-key-for-another-user"]
    scripts = [
        f["script"] for f in body["inputs"][0]["search"]["query"]["query"]["bool"]["filter"] if "script" in f
    ]
    assert len(scripts) == 1
    source = scripts[0]["script"]["source"]
    assert "doc['user.target.name']" in source
    # Only an IAM user's name is its identity: other callers pass the comparison.
    assert source.startswith(
        "!(doc['aws.cloudtrail.user_identity.type'].size() != 0 "
        "&& ['IAMUser'].contains(doc['aws.cloudtrail.user_identity.type'].value)) || ("
    )


def test_a_same_name_comparison_becomes_a_case_insensitive_script_per_action() -> None:
    """``same_name`` (IAM names are unique regardless of case) is Painless too: one script per
    comparison, each passing the events of the other actions."""
    rule = our_rule("siem-iam-self-escalation")
    filters = monitor(rule)["inputs"][0]["search"]["query"]["query"]["bool"]["filter"]
    users, roles = [f["script"]["script"]["source"] for f in filters if "script" in f]
    assert "doc['user.target.name'].value.equalsIgnoreCase(doc['user.name'].value)" in users
    assert "doc['user.target.roles'].value.equalsIgnoreCase(doc['user.roles'].value)" in roles
    assert users.startswith("!(doc['event.action'].size() != 0 && ['PutUserPolicy', 'AttachUserPolicy', ")
    assert "!(doc['user.target.name'].size()" not in users  # kept when equal, not negated


@pytest.mark.integration
def test_the_bucket_monitor_query_counts_a_burst_on_the_engine(siem: OpenSearch, tmp_path: Path) -> None:
    """The exported search, with Alerting's {{period_end}} filled in, runs and finds the burst."""
    body = _exported(tmp_path)["siem-vpcflow-rejected-burst"]
    index_raw(siem, "vpcflow", rejected_flows("203.0.113.124", T0, 25), ingested=T0 + minutes(1))
    period_end = int((T0 + minutes(10)).timestamp() * 1000)
    query = json.loads(
        json.dumps(body["inputs"][0]["search"]["query"]).replace("{{period_end}}", str(period_end))
    )
    result = siem.search(index="siem-vpcflow", body=query)
    buckets = result["aggregations"]["composite_agg"]["buckets"]
    assert [(b["key"]["source.ip"], b["doc_count"]) for b in buckets] == [("203.0.113.124", 25)]


@pytest.mark.integration
def test_a_distinct_bucket_monitor_counts_values_on_the_engine(siem: OpenSearch) -> None:
    # Grouped by the caller's ARN: the embedded engine runs no script, and the rule's principal
    # is a Painless source (tests/detections/test_grouping.py).
    caller = ("aws.cloudtrail.user_identity.arn",)
    rule = dataclasses.replace(our_rule("siem-access-denied-burst"), group_by=caller, dedup_key=caller)
    body = monitor(rule)
    who = ct.iam_user("111122223333", "probe", "AIDAEXAMPLEPROBE0001", "AKIAEXAMPLEPROBE0001")
    denied = [
        ct.api_call(
            who,
            event_name=name,
            event_source="iam.amazonaws.com",
            time=T0 + minutes(1),
            error_code="AccessDenied",
        )
        for name in ("ListUsers", "ListRoles", "ListUsers", "GetUser")
    ]
    index_raw(siem, "cloudtrail", trail(denied), ingested=T0 + minutes(2))
    period_end = int((T0 + minutes(5)).timestamp() * 1000)
    query = json.loads(
        json.dumps(body["inputs"][0]["search"]["query"]).replace("{{period_end}}", str(period_end))
    )
    buckets = siem.search(index="siem-cloudtrail", body=query)["aggregations"]["composite_agg"]["buckets"]
    (bucket,) = buckets  # cardinality is approximate: only its presence and range are asserted
    assert bucket["doc_count"] == 4 and 1 < bucket["distinct"]["value"] <= 4


def test_rule_validation_names_the_problem(tmp_path: Path) -> None:
    base = {
        "id": "x-rule",
        "title": "t",
        "severity": "high",
        "index": "cloudtrail",
        "query": "event.action:X",
    }
    parse_rule(base)
    for change, message in (
        ({"severity": "urgent"}, "severity"),
        ({"index": "logs"}, "index"),
        ({"colour": "red"}, "unknown keys"),
        ({"threshold": 5}, "needs group_by and window"),
        ({"threshold": 5, "group_by": ["source.ip"], "window": "5m", "dedup_key": ["user.name"]}, "group_by"),
        ({"query": {"sql": "select"}}, "query must be"),
        ({"tests": [{"match": True}]}, "records, lines or documents"),
        ({"suppression": "soon"}, "invalid duration"),
        ({"techniques": ["aws.persistence.made-up"]}, "not in the catalogue"),
        ({"superseded_by": ["siem-root-account-usage"]}, "is disabled"),
        ({"enabled": "no"}, "true or false"),
        ({"where": [{"field": "a", "op": "contains", "other": "b"}]}, "where items"),
        ({"where": [{"field": "a", "op": "!=", "other": "b", "applies_to": {"c": "IAMUser"}}]}, "applies_to"),
        ({"where": [{"field": "a", "op": "!="}]}, "where items"),
        ({"where": [{"field": "a", "op": "every_action", "other": "b"}]}, "where items"),
        (
            {"where": [{"field": "a", "op": "!=", "other": "b", "applies_to": {"c": ["x"], "d": ["y"]}}]},
            "applies_to",
        ),
        ({"type": "rare"}, "type must be one of"),
        ({"window": "5m"}, r"\['window'\] only apply to threshold rules"),
        ({"tests": [{"match": False, "alerts": 2, "records": [{}]}]}, "contradicts"),
        ({"tests": [{"match": True, "records": {"guardduty": [{}]}}]}, "which the rule does not read"),
        ({"tests": [{"match": True, "records": [{}], "organization": ["444455556666"]}]}, "organization"),
        (
            {"tests": [{"match": True, "records": [{}], "organization": {"accounts": [444455556666]}}]},
            "organization",
        ),
        (
            {"tests": [{"match": True, "records": [{}], "organization": {"id": "o-x", "ou": "r-1"}}]},
            "organization",
        ),
    ):
        with pytest.raises(ValueError, match=message):
            parse_rule({**base, **change})
    bad = tmp_path / "bad.yml"
    bad.write_text("id: [unclosed")
    with pytest.raises(RuleError, match=r"bad\.yml"):
        load_rule(bad)


def test_an_inline_test_may_give_the_run_an_organization() -> None:
    rule = {
        "id": "x-rule",
        "title": "t",
        "severity": "high",
        "index": "cloudtrail",
        "query": "event.action:X",
    }
    case = {
        "match": True,
        "records": [{}],
        "organization": {"accounts": ["444455556666"], "id": "o-a1b2c3d4e5"},
    }
    [with_directory, without] = parse_rule({**rule, "tests": [case, {"match": True, "records": [{}]}]}).tests
    assert with_directory.organization == Organization(frozenset({"444455556666"}), "o-a1b2c3d4e5")
    assert without.organization == NO_ORGANIZATION


def test_typed_rules_validation_names_the_problem() -> None:
    base = {
        "id": "x-rule",
        "title": "t",
        "severity": "high",
        "index": "cloudtrail",
        "query": "event.action:X",
    }
    threshold = {**base, "type": "threshold", "threshold": 3, "group_by": ["user.name"], "window": "10m"}
    new_terms = {**base, "type": "new_terms", "group_by": ["cloud.account.id"], "new_terms": ["cloud.region"]}
    step = {"index": "cloudtrail", "query": "event.action:X", "by": ["user.name"]}
    sequence = {key: value for key, value in base.items() if key != "index"}
    sequence.update(type="sequence", maxspan="1h", sequence=[step, step])
    for rule in (threshold, new_terms, sequence):
        parse_rule(rule)
    for rule, change, message in (
        (threshold, {"group_by": ["user_agent.original"]}, "not a mapped keyword"),  # text: no doc values
        (threshold, {"distinct": "no.such.field"}, "distinct field 'no.such.field' is not"),
        (threshold, {"distinct": ["event.action", "no.such.field"]}, "distinct field 'no.such.field' is not"),
        (threshold, {"distinct": ["event.action", "source.ip", "user.name", "cloud.region"]}, "1 to 3"),
        (threshold, {"group_by": ["aws.cloudtrail.request_parameters.userName"]}, "group_by field"),
        (threshold, {"window": "2d"}, "window must be 1s to 1d"),
        (threshold, {"where": [{"field": "a", "op": "==", "other": "b"}]}, "only apply to event rules"),
        (new_terms, {"new_terms": []}, "1 to 3 new_terms"),
        (new_terms, {"suppression": "1h"}, "takes no suppression"),
        (new_terms, {"history": "180d"}, "history must be 1h to 90d"),
        (sequence, {"index": "cloudtrail"}, "names its sources in its steps"),
        (sequence, {"sequence": [step]}, "at least two steps"),
        (sequence, {"maxspan": None}, "needs maxspan"),
        (sequence, {"sequence": [step, {**step, "by": ["user.name", "source.ip"]}]}, "as many 'by' fields"),
        (sequence, {"sequence": [step, {**step, "new_terms": ["source.ip"]}]}, "only the first step"),
        (sequence, {"sequence": [step, {**step, "index": "logs"}]}, "index must be one of"),
        (sequence, {"sequence": [step, {**step, "timestamp": "message"}]}, "timestamp field"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_rule({**rule, **change})


def test_superseded_by_must_name_an_enabled_rule_of_the_set(tmp_path: Path) -> None:
    def write(name: str, **fields: object) -> None:
        rule = {"id": name, "title": "t", "severity": "low", "index": "cloudtrail", "query": "event.action:X"}
        (tmp_path / f"{name}.yml").write_text(json.dumps({**rule, **fields}))

    write("ours-rule")
    write("twin-rule", enabled=False, superseded_by=["ours-rule"])
    assert [rule.id for rule in load_rules([tmp_path])] == ["ours-rule"]
    assert {rule.id for rule in load_rules([tmp_path], include_disabled=True)} == {"ours-rule", "twin-rule"}
    for target, message in (("no-such-rule", "is not a rule"), ("twin-rule", "is disabled")):
        write("other-twin", enabled=False, superseded_by=[target])
        with pytest.raises(RuleError, match=message):
            load_rules([tmp_path])


def test_an_outside_account_comparison_has_no_painless_and_is_left_to_the_runner() -> None:
    rule = parse_rule(
        {
            "id": "policy-rule",
            "title": "t",
            "severity": "high",
            "index": "cloudtrail",
            "query": "event.action:PutBucketPolicy",
            "where": [
                {
                    "field": "aws.cloudtrail.request_parameters.bucketPolicy",
                    "op": "outside_account",
                    "other": "cloud.account.id",
                },
                {"field": "user.target.name", "op": "!=", "other": "user.name"},
            ],
        }
    )
    filters = monitor(rule)["inputs"][0]["search"]["query"]["query"]["bool"]["filter"]
    (script,) = [f["script"] for f in filters if "script" in f]
    assert "user.target.name" in script["script"]["source"]


def test_rules_expose_mitre_techniques_and_tactics() -> None:
    rule = our_rule("siem-iam-access-key-for-another-user")
    assert rule.mitre == ("T1098.001",)
    assert rule.tactics == ("persistence", "privilege-escalation")


def test_window_lags_overlaps_and_caps() -> None:
    kwargs: dict[str, timedelta] = {
        "lag": minutes(2),
        "overlap": minutes(15),
        "first_lookback": minutes(60),
        "max_lookback": timedelta(days=1),
    }
    first = next_window(None, T0, **kwargs)
    assert (first.start, first.end) == (T0 - minutes(62), T0 - minutes(2))
    following = next_window(Checkpoint(first.end), T0 + minutes(5), **kwargs)
    assert (following.start, following.end) == (T0 - minutes(17), T0 + minutes(3))
    stale = next_window(Checkpoint(T0 - timedelta(days=3)), T0, **kwargs)
    assert stale.capped and stale.start == T0 - minutes(2) - timedelta(days=1)


def test_a_window_cut_short_resumes_at_its_cursor_up_to_its_own_end() -> None:
    kwargs: dict[str, timedelta] = {
        "lag": minutes(2),
        "overlap": minutes(15),
        "first_lookback": minutes(60),
        "max_lookback": timedelta(days=1),
    }
    cursor = (int((T0 - minutes(40)).timestamp() * 1000), "event-7")

    resumed = next_window(Checkpoint(T0 - minutes(2), cursor), T0 + minutes(5), **kwargs)
    stale = next_window(Checkpoint(T0 - timedelta(days=3), cursor), T0, **kwargs)

    # No overlap subtracted: the rest of the same window, from the last hit read.
    assert (resumed.start, resumed.end, resumed.resume_after) == (T0 - minutes(40), T0 - minutes(2), cursor)
    assert stale.capped and stale.resume_after is None


def test_an_explicit_zero_lag_and_overlap_override_the_run_settings() -> None:
    rule = parse_rule(
        {
            "id": "no-lag",
            "title": "No lag",
            "severity": "low",
            "index": "cloudtrail",
            "query": "event.action:ConsoleLogin",
            "lag": "0s",
            "overlap": "0s",
        }
    )
    settings = RunSettings(lag=minutes(2), overlap=minutes(15))

    window = rule_window(rule, T0 + minutes(5), Checkpoint(T0), settings)

    assert (window.start, window.end) == (T0, T0 + minutes(5))


def test_comparisons_reading_the_request_have_no_painless_and_are_left_to_the_runner() -> None:
    """A monitor filters on doc values only: ``in_range``, ``one_of``, ``any`` and
    ``any_differs`` read the request in the document, so the monitor keeps the rule's query
    alone (it triggers on every successful security group opening) and ``!=`` beside
    them still becomes a script."""
    ports = our_rule("siem-ec2-security-group-admin-port-open")
    filters = monitor(ports)["inputs"][0]["search"]["query"]["query"]["bool"]["filter"]
    assert not [f for f in filters if "script" in f]
    endpoint = our_rule("siem-ec2-instance-credentials-used-outside")
    filters = monitor(endpoint)["inputs"][0]["search"]["query"]["query"]["bool"]["filter"]
    (script,) = [f["script"] for f in filters if "script" in f]
    assert "aws.cloudtrail.vpc_endpoint_account_id" in script["script"]["source"]
