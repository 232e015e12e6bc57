"""The settings every Lambda shares: code, runtime, architecture, role, logs, network.

Each construct of the central stack, and the VPC Flow Logs stack, builds its function with the
stack's :class:`FunctionBuilder` from a :class:`FunctionSpec`, and grants it what its code calls
on its own role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchserverless as aoss
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.bundling import lambda_code
from infra.nag import logical_id, suppress, suppress_child
from infra.network import FunctionNetwork
from infra.search import SearchAccess, SearchCollections

RUNTIME = lambda_.Runtime.PYTHON_3_12
"""Bundled code: the runtime its manylinux wheels are built for (infra/bundling.py)."""
INLINE_RUNTIME = lambda_.Runtime.PYTHON_3_14
"""Inline code (the standard library and the runtime's own boto3, no wheels): the latest runtime."""
INLINE_CODE_LIMIT = 4096
"""CloudFormation's inline code (``Code.ZipFile``) holds at most 4096 characters."""
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_YEAR


@dataclass(frozen=True)
class FunctionSpec:
    handler: str
    description: str
    timeout: Duration
    memory_mb: int
    environment: Mapping[str, str]
    reserved_concurrency: int | None = None


def log_group(scope: Construct, construct_id: str) -> logs.LogGroup:
    """A function's own log group: kept a year, removed with the stack."""
    return logs.LogGroup(scope, construct_id, retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)


def log_writing_role(
    scope: Construct, construct_id: str, log_group: logs.ILogGroup, description: str
) -> iam.Role:
    """A role that may write to its own log group only (instead of the broad managed policy)."""
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=description,
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:log-stream:*"],
        )
    )
    suppress(
        role,
        "AwsSolutions-IAM5",
        "Log streams are created by Lambda with generated names inside the function's own log group.",
        findings=[f"Resource::<{logical_id(log_group)}.Arn>:log-stream:*"],
    )
    return role


class SiemFunction(Construct):
    """An arm64 python function with its own role, log group and (optional) VPC placement."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        spec: FunctionSpec,
        code: lambda_.Code,
        network: FunctionNetwork,
        runtime: lambda_.Runtime = RUNTIME,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "Logs")
        self.role = log_writing_role(self, "Role", self.log_group, f"{spec.description} (Lambda role)")
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=runtime,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=code,
            role=self.role,
            timeout=spec.timeout,
            memory_size=spec.memory_mb,
            environment=dict(spec.environment),
            reserved_concurrent_executions=spec.reserved_concurrency,
            log_group=self.log_group,
            vpc=network.vpc,
            vpc_subnets=network.subnets,
            security_groups=network.security_groups or None,
        )
        if network.vpc is not None:
            self._allow_network_interfaces(network)
        if runtime is RUNTIME:
            suppress_child(
                self.function,
                "Resource",  # the function only, not its event source mappings
                "AwsSolutions-L1",
                "python3.12 is the runtime the bundled manylinux wheels are built for (pip --python-version 3.12).",
            )

    def grant_search(self, collections: SearchCollections, access: SearchAccess) -> aoss.CfnAccessPolicy:
        """``access`` to the collections for this function's role; the function is created
        after the data access policy (returned), without which its first calls are refused."""
        grant = collections.admit(self.role, access)
        self.function.node.add_dependency(grant)
        return grant

    def _allow_network_interfaces(self, network: FunctionNetwork) -> None:
        # What AWSLambdaVPCAccessExecutionRole grants, inline (CDK adds that managed policy only
        # to roles it creates itself, and this role is ours), on the resources the Service
        # Authorization Reference lets it name: the network interfaces of this account and region,
        # created in the function's subnets with its security groups.
        assert network.subnets is not None and network.subnets.subnets is not None
        interfaces = ec2_arn("network-interface/*")
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkInterface"],
                resources=[
                    interfaces,
                    *(ec2_arn(f"subnet/{subnet.subnet_id}") for subnet in network.subnets.subnets),
                    *(
                        ec2_arn(f"security-group/{group.security_group_id}")
                        for group in network.security_groups
                    ),
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=[interfaces],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], resources=["*"]
            )
        )
        suppress(
            self.role,
            "AwsSolutions-IAM5",
            "Lambda creates, describes and deletes the function's network interfaces, whose ids it "
            "generates, in this account and region; the EC2 Describe actions support no resource-level "
            "permissions.",
            findings=[
                "Resource::*",
                "Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*",
            ],
        )


@dataclass(frozen=True)
class FunctionBuilder:
    """Builds the functions of one stack: each one's code bundled from its handler's packages
    (:func:`infra.bundling.lambda_code`), in the stack's network."""

    network: FunctionNetwork
    install_dependencies: bool = True
    """False: the project's packages only (``skipDependencyBundling``)."""

    def build(self, scope: Construct, construct_id: str, spec: FunctionSpec) -> SiemFunction:
        code = lambda_code(spec.handler, self.install_dependencies)
        return SiemFunction(scope, construct_id, spec, code, self.network)

    def build_inline(
        self, scope: Construct, construct_id: str, spec: FunctionSpec, source: Path
    ) -> SiemFunction:
        """A function whose code is the module ``source``, inline in the template (``index.py``):
        no asset, so its stack needs no bootstrap (a StackSet's template). It runs on the latest
        runtime, with the runtime's boto3 and the standard library only."""
        code = source.read_text()
        if len(code) > INLINE_CODE_LIMIT:
            raise ValueError(f"{source.name} is {len(code)} characters, over CloudFormation's inline limit")
        return SiemFunction(
            scope, construct_id, spec, lambda_.Code.from_inline(code), self.network, INLINE_RUNTIME
        )


def ec2_arn(resource: str) -> str:
    """An EC2 resource of the stack's account and region (``network-interface/*``, ``subnet/<id>``)."""
    return f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


def invoke_on_schedule(
    scope: Construct,
    function: lambda_.IFunction,
    *,
    what: str,
    description: str,
    expression: str,
    retry: scheduler.CfnSchedule.RetryPolicyProperty,
    flexible_minutes: int | None = None,
    input: str | None = None,
) -> scheduler.CfnSchedule:
    """An EventBridge Scheduler schedule (``Schedule``) invoking ``function`` through a role of
    its own (``SchedulerRole``, "invoke the SIEM <what> function") that may invoke that function only (``grant_invoke`` would also
    allow every version, ``ARN:*``), from this account only; ``input``: the event, which may
    hold Scheduler's context attributes (``<aws.scheduler.scheduled-time>``)."""
    invoker = iam.Role(
        scope,
        "SchedulerRole",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": function.env.account}},
        ),
        description=f"EventBridge Scheduler: invoke the SIEM {what} function",
    )
    invoker.add_to_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
    )
    window = (
        scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF")
        if flexible_minutes is None
        else scheduler.CfnSchedule.FlexibleTimeWindowProperty(
            mode="FLEXIBLE", maximum_window_in_minutes=flexible_minutes
        )
    )
    return scheduler.CfnSchedule(
        scope,
        "Schedule",
        description=description,
        schedule_expression=expression,
        flexible_time_window=window,
        target=scheduler.CfnSchedule.TargetProperty(
            arn=function.function_arn, role_arn=invoker.role_arn, retry_policy=retry, input=input
        ),
    )
