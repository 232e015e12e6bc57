"""Security review gates: cdk-nag AwsSolutions and cfn-lint on every synthesized template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from tests.infra.conftest import REGION, Assembly

pytestmark = pytest.mark.slow

# Every rule the stacks acknowledge; a new kind of suppression must be reviewed and added here.
ACKNOWLEDGED_RULES = {
    "AwsSolutions-S1",  # the access-log bucket does not log to itself
    "AwsSolutions-SQS3",  # the dead-letter queue has no dead-letter queue
    "AwsSolutions-L1",  # python3.12, pinned by the bundled wheels
    "AwsSolutions-IAM4",  # AWSLambdaBasicExecutionRole on CDK library functions only
    "AwsSolutions-IAM5",  # object-key and log-stream wildcards, each listed finding by finding
}
# W3005: CDK turns construct dependencies into DependsOn on every resource of the construct,
# which repeats some dependencies a GetAtt already implies. Harmless, and not ours to change.
IGNORED_CFN_LINT_RULES = ["W3005"]


def nag_acknowledgments(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for resource in template["Resources"].values():
        found.extend(resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []))
    return found


def nag_acknowledgments_by_resource(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, acknowledgment)
        for name, resource in template["Resources"].items()
        for acknowledgment in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]


def test_synthesis_passed_cdk_nag_with_no_violation(assembly: Assembly, variant_assembly: Assembly) -> None:
    # Synthesis fails on any unacknowledged AwsSolutions error, so reaching here already
    # proves the point; the report confirms that no plugin reported anything.
    for directory in (assembly.directory, variant_assembly.directory):
        report = json.loads((directory / "validation-report.json").read_text())
        assert report["pluginReports"] == []


@pytest.mark.parametrize("stack", ["AwsSiem", "AwsSiemMemberFindings", "AwsSiemVpcFlowLogs"])
def test_each_acknowledgment_is_justified_and_reviewed(assembly: Assembly, stack: str) -> None:
    acknowledgments = nag_acknowledgments(assembly.template(stack))
    assert acknowledgments, "expected the reviewed suppressions to be written into the template"
    for acknowledgment in acknowledgments:
        assert acknowledgment["id"].split("[", 1)[0] in ACKNOWLEDGED_RULES, acknowledgment
        assert len(acknowledgment["reason"]) >= 40, acknowledgment


def test_no_blanket_wildcard_is_acknowledged(assembly: Assembly) -> None:
    # (Resource::* is acknowledged only for the VPC network-interface actions, VPC mode only,
    # for the account sync's Organizations list calls, which have no resource types, and for
    # the Security Hub calls of the "Investigate in SIEM" action, which name no finding or
    # action target in IAM terms: the note writer's is bounded by conditions to Note only.)
    reviewed = {
        "AccountsAccountSyncRole": "ListAccounts",
        "HandoffInvestigateRole": "only Note may be set",
        "HandoffActionTargetRole": "only these two calls",
    }
    for stack in ("AwsSiem", "AwsSiemMemberFindings"):
        for resource, acknowledgment in nag_acknowledgments_by_resource(assembly.template(stack)):
            role = next((name for name in reviewed if resource.startswith(name)), None)
            if role and acknowledgment["id"].endswith("[Resource::*]"):
                assert reviewed[role] in acknowledgment["reason"]
                continue
            assert acknowledgment["id"] not in ("AwsSolutions-IAM5", "AwsSolutions-IAM5[Resource::*]")


def test_cdk_nag_catches_a_non_compliant_resource(tmp_path: Path) -> None:
    # The control: the same checks reject a plain bucket (no TLS-only policy, no access logs).
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Control")
    s3.Bucket(stack, "Plain")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def lint(path: Path) -> list[str]:
    config = ManualArgs(regions=[REGION], ignore_checks=IGNORED_CFN_LINT_RULES)
    return [f"{match.rule.id} {match.message} ({match.linenumber})" for match in lint_file(path, config)]


@pytest.mark.parametrize(
    ("which", "stack"),
    [
        ("default", "AwsSiem"),
        ("default", "AwsSiemMemberFindings"),
        ("default", "AwsSiemVpcFlowLogs"),
        ("variant", "AwsSiem"),
    ],
)
def test_templates_are_cfn_lint_clean(
    assembly: Assembly, variant_assembly: Assembly, which: str, stack: str
) -> None:
    source = assembly if which == "default" else variant_assembly
    assert lint(source.template_path(stack)) == []


def test_cfn_lint_would_report_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps(
            {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "soon"}}}}
        )
    )
    assert lint(broken)
