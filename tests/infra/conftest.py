"""Synthesize the CDK app once per test session and share the cloud assembly.

Synthesis takes ~15 s (jsii + cdk-nag), so it runs once: under pytest-xdist the first
worker synthesizes into the run's shared temporary directory while the others wait on a
file lock and then read the same templates.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii prints a banner on stderr when Node 20 is past its end of life; it is noise in tests.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ACCOUNT = "111111111111"
REGION = "eu-west-1"
ORG_ID = "o-a1b2c3d4e5"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/SocAnalyst"
EXISTING_BUCKET = "org-security-logs"
EXISTING_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1f6a6e-1111-2222-3333-444455556666"
EXISTING_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:soc-alerts"
VPC_ID = "vpc-0123456789abcdef0"
ANALYST_NETWORK = "10.20.0.0/16"
MANAGEMENT_ACCOUNT = "222222222222"
ORG_TRAIL = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT_ACCOUNT}:trail/org-trail"
GUARDDUTY_ADMIN = "333333333333"
# An opt-in Region where GuardDuty exports with its Regional service principal.
OPT_IN_REGION = "me-south-1"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]

# The deployment most teams will run: new bucket, public endpoints, e-mail alerts, member
# stacks (findings, VPC flow logs), GuardDuty also in an opt-in Region.
DEFAULT_CONTEXT: dict[str, Any] = {
    "organizationId": ORG_ID,
    "account": ACCOUNT,
    "region": REGION,
    "alertEmail": "soc@example.com",
    "analystPrincipalArns": ANALYST,
    "triagePrincipalArns": ANALYST,  # on-call: the analysts' role
    "memberStack": True,
    "vpcFlowLogsStack": True,
    "organizationTrailArn": ORG_TRAIL,
    "delegatedAdminAccountIds": GUARDDUTY_ADMIN,
    "guardDutyOptInRegions": OPT_IN_REGION,
    "skipDependencyBundling": True,
}
# Every alternative branch at once: existing bucket and topic, private collections (the stack
# creates the VPC endpoint; an analysts' network may reach it), no operator role.
EXISTING_BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/soar"
VARIANT_CONTEXT: dict[str, Any] = {
    "organizationId": ORG_ID,
    "account": ACCOUNT,
    "region": REGION,
    "logBucketName": EXISTING_BUCKET,
    "logBucketKmsKeyArn": EXISTING_KEY,
    "alertTopicArn": EXISTING_TOPIC,
    "eventBusArn": EXISTING_BUS,
    "networkAccess": "vpc",
    "vpcId": VPC_ID,
    "vpcEndpointClientCidrs": ANALYST_NETWORK,
    "subnetIds": ",".join(SUBNETS),
    "detectionExceptionsFile": str(Path(__file__).with_name("exceptions.yml")),
    "detectionFillBudgetSeconds": 30,
    "vpcFlowFormats": {"vpcflow/firehose/": "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action} ${start}"},
    "operatorRole": False,
    "configSnapshotInventory": True,
    "skipDependencyBundling": True,
}


@dataclass(frozen=True)
class Assembly:
    """A synthesized cloud assembly on disk."""

    directory: Path

    def template(self, stack: str) -> dict[str, Any]:
        return dict(json.loads((self.directory / f"{stack}.template.json").read_text()))

    def template_path(self, stack: str) -> Path:
        return self.directory / f"{stack}.template.json"

    def asset_directory(self, asset_hash: str) -> Path:
        return self.directory / f"asset.{asset_hash}"


def synthesize(context: Mapping[str, Any], outdir: Path) -> None:
    from infra.app import build_app

    app = build_app(context, outdir=str(outdir))
    app.synth()


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # xdist workers get <run>/popen-gwN; <run> is shared by all workers of this run only.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _synthesized_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, context: Mapping[str, Any]
) -> Assembly:
    root = _shared_root(tmp_path_factory)
    outdir = root / f"cdk-{name}"
    with (root / f"cdk-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = outdir / "SYNTH_OK"
        if not done.exists():
            synthesize(context, outdir)
            done.write_text("ok")
    return Assembly(outdir)


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    return _synthesized_once(tmp_path_factory, "default", DEFAULT_CONTEXT)


@pytest.fixture(scope="session")
def variant_assembly(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    return _synthesized_once(tmp_path_factory, "variant", VARIANT_CONTEXT)


@pytest.fixture(scope="session")
def central(assembly: Assembly) -> dict[str, Any]:
    return assembly.template("AwsSiem")


@pytest.fixture(scope="session")
def member(assembly: Assembly) -> dict[str, Any]:
    return assembly.template("AwsSiemMemberFindings")


@pytest.fixture(scope="session")
def variant(variant_assembly: Assembly) -> dict[str, Any]:
    return variant_assembly.template("AwsSiem")


@pytest.fixture(scope="session")
def central_template(central: dict[str, Any]) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(central)


@pytest.fixture(scope="session")
def member_template(member: dict[str, Any]) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(member)


@pytest.fixture(scope="session")
def variant_template(variant: dict[str, Any]) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(variant)
