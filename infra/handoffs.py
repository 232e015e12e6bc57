"""Hand-offs to other tools: the EventBridge bus alerts and incidents are put on (a SOAR or a
remediation tool subscribes with its own rules), and the Security Hub custom action
"Investigate in SIEM" that writes an investigation into a finding's note (docs/handoffs.md).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CustomResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import Config
from infra.functions import FunctionBuilder, FunctionSpec
from infra.network import FunctionNetwork
from infra.search import SearchAccess, SearchCollections


class AlertBus(Construct):
    """Our own bus (``<namePrefix>-alerts``), the configured one (``eventBusArn``), or none."""

    bus: events.IEventBus | None = None

    def __init__(self, scope: Construct, construct_id: str, config: Config) -> None:
        super().__init__(scope, construct_id)
        if config.event_bus_arn:
            self.bus = events.EventBus.from_event_bus_arn(self, "Existing", config.event_bus_arn)
        elif config.event_bus:
            self.bus = events.EventBus(
                self,
                "Bus",
                event_bus_name=f"{config.name_prefix}-alerts",
                description="SIEM alerts and incidents (source aws-siem): subscribe with a rule",
            )

    def grant_put(self, role: iam.IRole) -> None:
        """``events:PutEvents`` on this bus only (the detection function's role)."""
        if self.bus is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["events:PutEvents"], resources=[self.bus.event_bus_arn])
            )


ACTION_HANDLER = "investigation.action_handler.lambda_handler"
ACTION_TARGET_ID = "InvestigateInSIEM"
"""The custom action's id (at most 20 letters and digits): its ARN ends in ``action/custom/<id>``."""
ACTION_NAME = "Investigate in SIEM"
"""Shown in the Security Hub console's Actions menu (at most 20 characters)."""
ACTION_TARGET_SOURCE = Path(__file__).with_name("action_target_handler.py")
# The action target's logical ids as 0.3.0 deployed them, when CDK's AwsCustomResource created
# it with a stack-wide provider function (builder's id -> deployed id). Kept, so that an update
# changes them in place: a new function would change the custom resource's ServiceToken, which
# CloudFormation refuses to modify, and a new log group would delete the old one with its logs.
# CDK fails synthesis if a rename no longer matches a generated id.
PROVIDER_LOGICAL_IDS = {
    "HandoffActionTargetProviderLogsCC7B2BAE": "HandoffActionTargetLogs1FB296CD",
    "HandoffActionTargetProviderRole9B17E5C2": "HandoffActionTargetRole3132CA59",
    "HandoffActionTargetProviderRoleDefaultPolicy5351D8CB": "HandoffActionTargetRoleDefaultPolicyB3984C64",
    "HandoffActionTargetProviderFunction445FA5B3": "AWS679f53fac002430cb0da5b7982bd22872D164C4C",
}
CUSTOM_ACTION_DETAIL_TYPE = "Security Hub Findings - Custom Action"
NOTE_ONLY_FIELDS = ("Note.Text", "Note.UpdatedBy")
OTHER_FINDING_FIELDS = (
    "Confidence",
    "Criticality",
    "RelatedFindings",
    "Severity.Label",
    "Severity.Normalized",
    "Severity.Product",
    "Types",
    "UserDefinedFields",
    "VerificationState",
    "Workflow.Status",
)
"""The fields BatchUpdateFindings can change besides the note: the action's role may set none
(``securityhub:ASFFSyntaxPath/<field>`` must be absent from its requests)."""


def hub_arn() -> str:
    """The account's Security Hub in the stack's region: the resource type (``hub``) that
    BatchUpdateFindings, CreateActionTarget and DeleteActionTarget authorize on (Service
    Authorization Reference, AWS Security Hub)."""
    return f"arn:{Aws.PARTITION}:securityhub:{Aws.REGION}:{Aws.ACCOUNT_ID}:hub/default"


def note_only_update() -> iam.PolicyStatement:
    """``BatchUpdateFindings`` on this account's hub, allowed only when the request changes
    nothing but ``Note``, so the role cannot suppress, archive, resolve or re-rate a finding
    (and its calls, excepted from the findings-evasion rule, are notes)."""
    return iam.PolicyStatement(
        actions=["securityhub:BatchUpdateFindings"],
        resources=[hub_arn()],
        conditions={
            "Null": {
                **{f"securityhub:ASFFSyntaxPath/{name}": "false" for name in NOTE_ONLY_FIELDS},
                **{f"securityhub:ASFFSyntaxPath/{name}": "true" for name in OTHER_FINDING_FIELDS},
            }
        },
    )


class InvestigateAction(Construct):
    """The Security Hub custom action, the EventBridge rule on its events, and the function
    that writes each selected finding's investigation into its note."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        collections: SearchCollections,
        functions: FunctionBuilder,
    ) -> None:
        super().__init__(scope, construct_id)
        self.action_arn = (
            f"arn:{Aws.PARTITION}:securityhub:{Aws.REGION}:{Aws.ACCOUNT_ID}:action/custom/{ACTION_TARGET_ID}"
        )
        self.target = self._action_target(config.name_prefix)
        self.handler = functions.build(
            self,
            "Investigate",
            FunctionSpec(
                handler=ACTION_HANDLER,
                description="SIEM: Security Hub custom action Investigate in SIEM -> the finding's note",
                timeout=Duration.minutes(2),
                memory_mb=512,
                reserved_concurrency=2,
                environment={
                    **collections.environment(dashboards=True),
                    "POWERTOOLS_SERVICE_NAME": "siem-investigate-action",
                },
            ),
        )
        role = self.handler.role
        role.add_to_policy(note_only_update())
        self.handler.grant_search(
            collections, SearchAccess("InvestigateAccess", "investigate", collections.investigation_rules())
        )
        self.rule = events.Rule(
            self,
            "Rule",
            description="Security Hub custom action Investigate in SIEM -> the investigation function",
            event_pattern=events.EventPattern(
                source=["aws.securityhub"],
                detail_type=[CUSTOM_ACTION_DETAIL_TYPE],
                resources=[self.action_arn],
            ),
            targets=[
                targets.LambdaFunction(
                    self.handler.function, retry_attempts=2, max_event_age=Duration.hours(1)
                )
            ],
        )
        self.rule.node.add_dependency(self.target)

    def _action_target(self, name_prefix: str) -> CustomResource:
        """CloudFormation has no Security Hub action target resource: a custom resource creates,
        renames and deletes it through the Security Hub API (``infra/action_target_handler.py``,
        inline), with a role that may do only that."""
        stack = Stack.of(self)
        for generated, deployed in PROVIDER_LOGICAL_IDS.items():
            stack.rename_logical_id(generated, deployed)
        target = Construct(self, "ActionTarget")
        # Lambda's own network, as CDK's provider had: it calls only the Security Hub API.
        functions = FunctionBuilder(FunctionNetwork(target, "Network", None, name_prefix))
        provider = functions.build_inline(
            target,
            "Provider",
            FunctionSpec(
                handler="index.handler",
                description="SIEM: creates the Investigate in SIEM action target",
                timeout=Duration.minutes(2),
                memory_mb=128,
                environment={},
            ),
            ACTION_TARGET_SOURCE,
        )
        provider.role.add_to_policy(
            iam.PolicyStatement(
                actions=[f"securityhub:{action}ActionTarget" for action in ("Create", "Update", "Delete")],
                resources=[hub_arn()],
            )
        )
        resource = CustomResource(
            target,
            "Resource",  # at 0.3.0's path (ActionTarget/Resource): its logical id is unchanged
            service_token=provider.function.function_arn,
            # CDK's AwsCustomResource's type, which CloudFormation does not let an update change.
            resource_type="Custom::AWS",
            properties={
                "Name": ACTION_NAME,
                "Description": "Write the SIEM investigation (summary, Dashboards link) into the finding's note",
                "Id": ACTION_TARGET_ID,
            },
        )
        resource.node.add_dependency(provider.role)
        return resource
