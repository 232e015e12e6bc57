"""Hand-offs to other tools: the EventBridge bus alerts and incidents are put on (a SOAR or a
remediation tool subscribes with its own rules), and the Security Hub custom action
"Investigate in SIEM" that writes an investigation into a finding's note (docs/handoffs.md).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.config import Config
from infra.functions import FunctionBuilder, FunctionSpec, log_group, log_writing_role
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
        self.target = self._action_target()
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

    def _action_target(self) -> cr.AwsCustomResource:
        """CloudFormation has no Security Hub action target resource: created and deleted through
        the Security Hub API by CDK's AWS custom resource, with a role that may do only that."""
        provider_logs = log_group(self, "ActionTargetLogs")
        role = log_writing_role(
            self, "ActionTargetRole", provider_logs, "SIEM: creates the Investigate in SIEM action target"
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["securityhub:CreateActionTarget", "securityhub:DeleteActionTarget"],
                resources=[hub_arn()],
            )
        )
        target = cr.AwsCustomResource(
            self,
            "ActionTarget",
            on_create=cr.AwsSdkCall(
                service="SecurityHub",
                action="createActionTarget",
                parameters={
                    "Name": ACTION_NAME,
                    "Description": "Write the SIEM investigation (summary, Dashboards link) into the finding's note",
                    "Id": ACTION_TARGET_ID,
                },
                physical_resource_id=cr.PhysicalResourceId.of(self.action_arn),
            ),
            on_delete=cr.AwsSdkCall(
                service="SecurityHub",
                action="deleteActionTarget",
                parameters={"ActionTargetArn": cr.PhysicalResourceIdReference()},
            ),
            role=role,
            log_group=provider_logs,
            install_latest_aws_sdk=False,
        )
        return target
