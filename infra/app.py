"""CDK entry point: ``npx aws-cdk@2 deploy`` from ``infra/`` (cdk.json runs ``python3 app.py``).

Settings come from CDK context (``cdk.json`` or ``-c key=value``) and are validated by
``infra.config.Config``; see docs/deploy.md for every key.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Run as a script from infra/, the repository root (holding the ``infra`` package and the
# Lambda packages) is not on sys.path yet.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import Config, ConfigError
from infra.member_stack import MemberFindingsStack
from infra.siem_stack import SiemStack
from infra.vpc_flow_logs import VpcFlowLogsStack

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"
CENTRAL_STACK = "AwsSiem"
MEMBER_STACK = "AwsSiemMemberFindings"
FLOW_LOGS_STACK = "AwsSiemVpcFlowLogs"


def cdk_json_context() -> dict[str, Any]:
    """The context of infra/cdk.json (feature flags and defaults)."""
    return dict(json.loads(CDK_JSON.read_text()).get("context", {}))


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with its stacks and cdk-nag checks.

    cdk.json's context is applied even when the app runs without the CDK CLI (tests, a plain
    ``python app.py``), so feature flags never differ between a test and a deployment;
    ``context`` overrides it, and context given to the CLI (``-c``) overrides both.
    """
    app = App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = Config.from_context(app.node.try_get_context)
    SiemStack(
        app,
        CENTRAL_STACK,
        config=config,
        env=_environment(app),
        description="AWS SIEM: log ingestion and detections",
    )
    if config.member_stack:
        MemberFindingsStack(
            app,
            MEMBER_STACK,
            config=config,
            description="AWS SIEM member account: findings -> central bucket",
        )
    if config.vpc_flow_logs_stack:
        VpcFlowLogsStack(
            app,
            FLOW_LOGS_STACK,
            config=config,
            description="AWS SIEM member account: a flow log to the central bucket for every VPC",
        )
    # cdk-nag runs as a policy validation plugin: any unacknowledged finding fails synthesis.
    # Acknowledged findings and their reasons are also written into the templates (audit trail).
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )
    return app


def _environment(app: App) -> Environment:
    """Account and region from context (``account``/``region``), else from the CLI's credentials."""
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION")
    return Environment(account=account, region=region)


def main() -> int:
    try:
        app = build_app()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
