"""Deployments: CDK through GitHub Actions, Terraform plans and applies, the AMI pipeline, key rotation.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from demo.benign.apis import TERRAFORM_REFRESH, read_calls
from demo.benign.calls import BOTO3, CDK, GITHUB_OIDC, Clock, Context, Record, s3_object, terraform
from demo.benign.org import (
    CDK_QUALIFIER,
    HOME_REGION,
    ORG_ID,
    Account,
    Role,
    cdk_role,
    service_linked_role,
    service_role,
)
from demo.ids import cloudtrail_response_date
from demo.records import cloudtrail as ct
from demo.records.cloudtrail import RoleSession

CFN = "cloudformation.amazonaws.com"

Change = tuple[str, str, Any, Any]
"""One write a stack or a pipeline makes: event source, operation, request, response."""


def stack_changes(
    ctx: Context, executor: Record, clock: Clock, account: str, changes: Iterable[Change], most: int = 20
) -> list[Record]:
    """``changes`` made in turn by CloudFormation's ``executor`` (its calls ``invokedBy``
    CloudFormation) in ``account``, 1 to ``most`` seconds apart."""
    return [
        ctx.call(
            executor, clock.tick(1, most), source, name, account=account, ip=CFN, agent=CFN,
            read_only=False, request=request, response=response,
        )
        for source, name, request, response in changes
    ]  # fmt: skip


def assume_role(
    ctx: Context, caller: Record, session: RoleSession, when: datetime, ip: str, agent: str
) -> list[Record]:
    """``AssumeRole`` as the trails log it: once, or twice (both accounts) across accounts."""
    caller_account = caller.get("accountId") or session.account_id
    if caller_account == session.account_id or caller.get("type") == "AWSService":
        return [
            ct.assume_role(
                caller, session, time=when, source_ip=ip, user_agent=agent, event_id=ctx.ids.uuid()
            )
        ]
    shared = ctx.ids.uuid()
    return [
        ct.assume_role(
            caller,
            session,
            recorded_by=account,
            time=when,
            source_ip=ip,
            user_agent=agent,
            event_id=ctx.ids.uuid(),
            shared_event_id=shared,
        )
        for account in (caller_account, session.account_id)
    ]


def _deploy_target(ctx: Context) -> Account:
    """Non-production is deployed about twice as often as production."""
    kinds = ("nonprod", "nonprod", "prod")
    return ctx.rng.choice(ctx.org.of_kind(ctx.rng.choice(kinds)))


def _github_session(
    ctx: Context, clock: Clock, target: Account, runner_ip: str
) -> tuple[list[Record], Record]:
    """A GitHub Actions job exchanges its OIDC token for the CI account's deploy role."""
    cicd = ctx.org.one("cicd")
    repo = f"example-org/{target.name.split('-', 1)[1]}-service"
    subject = (
        f"repo:{repo}:environment:production" if target.kind == "prod" else f"repo:{repo}:ref:refs/heads/main"
    )
    provider = f"arn:aws:iam::{cicd.id}:oidc-provider/token.actions.githubusercontent.com"
    user = ct.web_identity_user(provider=provider, audience="sts.amazonaws.com", subject=subject)
    session = ctx.org.session(Role(cicd.id, "github-actions-deploy", "/ci/"), "GitHubActions", clock.tick())
    records = [
        ct.assume_role_with_web_identity(
            user, session, source_ip=runner_ip, user_agent=GITHUB_OIDC, event_id=ctx.ids.uuid()
        )
    ]
    identity = ct.assumed_role(session)
    records.append(
        ctx.call(
            identity,
            clock.tick(),
            "sts.amazonaws.com",
            "GetCallerIdentity",
            account=cicd.id,
            ip=runner_ip,
            agent=GITHUB_OIDC,
        )
    )
    return records, identity


def cdk_deploy(ctx: Context, start: datetime) -> list[Record]:
    """GitHub Actions deploys a CDK app: OIDC -> CI role -> CDK bootstrap roles -> CloudFormation.

    CloudFormation then updates the stack's resources with the cfn-exec role, each call
    ``invokedBy`` cloudformation.amazonaws.com.
    """
    clock = Clock(ctx.rng, start)
    target = _deploy_target(ctx)
    runner_ip = f"192.0.2.{ctx.rng.randrange(10, 250)}"
    records, ci = _github_session(ctx, clock, target, runner_ip)
    region = HOME_REGION
    stack = f"{target.name.split('-', 1)[1].title()}ServiceStack"
    stack_id = f"arn:aws:cloudformation:{region}:{target.id}:stack/{stack}/{ctx.ids.uuid()}"

    def session_of(purpose: str) -> tuple[list[Record], Record]:
        session = ctx.org.session(cdk_role(target, purpose), "aws-cdk-runner", clock.tick())
        return assume_role(ctx, ci, session, session.created, runner_ip, CDK), ct.assumed_role(session)

    def call(identity: Record, source: str, name: str, **kwargs: Any) -> Record:
        return ctx.call(
            identity, clock.tick(), source, name, account=target.id, ip=runner_ip, agent=CDK, **kwargs
        )

    assumed, lookup = session_of("lookup")
    records += assumed
    records.append(
        call(
            lookup,
            "ssm.amazonaws.com",
            "GetParameter",
            request={"name": f"/cdk-bootstrap/{CDK_QUALIFIER}/version"},
        )
    )
    records.append(call(lookup, "ec2.amazonaws.com", "DescribeVpcs", request={"filterSet": {}}))

    assumed, publishing = session_of("file-publishing")
    records += assumed
    bucket = f"cdk-{CDK_QUALIFIER}-assets-{target.id}-{region}"
    for _ in range(ctx.rng.randint(1, 4)):
        key = f"{ctx.hex(64)}.zip"
        records.append(
            call(
                publishing,
                "s3.amazonaws.com",
                "PutObject",
                category="Data",
                read_only=False,
                **s3_object(target.id, bucket, key),
            )
        )

    assumed, deploy = session_of("deploy")
    records += assumed
    records.append(
        call(
            deploy,
            "ssm.amazonaws.com",
            "GetParameter",
            request={"name": f"/cdk-bootstrap/{CDK_QUALIFIER}/version"},
        )
    )
    records.append(call(deploy, CFN, "DescribeStacks", request={"stackName": stack}))
    records.append(
        call(deploy, CFN, "GetTemplate", request={"stackName": stack, "templateStage": "Original"})
    )
    change_set = "cdk-deploy-change-set"
    records.append(
        call(
            deploy,
            CFN,
            "CreateChangeSet",
            request={
                "stackName": stack,
                "templateURL": f"https://s3.{region}.amazonaws.com/{bucket}/{ctx.hex(64)}.json",
                "capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
                "roleARN": cdk_role(target, "cfn-exec").arn,
                "changeSetName": change_set,
                "changeSetType": "UPDATE",
            },
            response={
                "id": f"arn:aws:cloudformation:{region}:{target.id}:changeSet/{change_set}/{ctx.ids.uuid()}",
                "stackId": stack_id,
            },
        )
    )
    for _ in range(ctx.rng.randint(2, 4)):
        records.append(
            call(deploy, CFN, "DescribeChangeSet", request={"changeSetName": change_set, "stackName": stack})
        )
    records.append(
        call(deploy, CFN, "ExecuteChangeSet", request={"changeSetName": change_set, "stackName": stack})
    )

    exec_session = ctx.org.session(cdk_role(target, "cfn-exec"), "AWSCloudFormation", clock.tick())
    records += assume_role(ctx, ct.aws_service(CFN), exec_session, exec_session.created, CFN, CFN)
    executor = ct.assumed_role(exec_session, invoked_by=CFN)
    for _ in range(ctx.rng.randint(1, 4)):
        for source, name, request in _stack_update(ctx, target):
            records.append(
                ctx.call(
                    executor,
                    clock.tick(1, 20),
                    source,
                    name,
                    account=target.id,
                    ip=CFN,
                    agent=CFN,
                    request=request,
                )
            )
        records.append(call(deploy, CFN, "DescribeStackEvents", request={"stackName": stack}))
    for _ in range(ctx.rng.randint(4, 20)):
        clock.tick(3, 6)
        records.append(call(deploy, CFN, "DescribeStackEvents", request={"stackName": stack}))
    records.append(call(deploy, CFN, "DescribeStacks", request={"stackName": stack}))
    return records


def _stack_update(ctx: Context, target: Account) -> list[tuple[str, str, Any]]:
    """The calls CloudFormation makes to update one resource of a service stack."""
    function = ctx.rng.choice(target.functions)
    role = f"{function}-role"
    service = target.name.split("-", 1)[1]
    choice = ctx.rng.randrange(10)
    if choice < 4:
        return [
            ("lambda.amazonaws.com", "GetFunction20150331v2", {"functionName": function}),
            (
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                {"functionName": function, "publish": False},
            ),
            ("lambda.amazonaws.com", "GetFunction20150331v2", {"functionName": function}),
            (
                "lambda.amazonaws.com",
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": function, "timeout": 30},
            ),
        ]
    if choice < 6:
        return [
            (
                "ecs.amazonaws.com",
                "RegisterTaskDefinition",
                {"family": f"{service}-api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"]},
            ),
            ("ecs.amazonaws.com", "UpdateService", {"cluster": service, "service": f"{service}-api"}),
            ("ecs.amazonaws.com", "DescribeServices", {"cluster": service, "services": [f"{service}-api"]}),
            ("ecs.amazonaws.com", "DescribeServices", {"cluster": service, "services": [f"{service}-api"]}),
        ]
    if choice < 8:
        return [
            ("iam.amazonaws.com", "GetRolePolicy", {"roleName": role, "policyName": "DefaultPolicy"}),
            (
                "iam.amazonaws.com",
                "PutRolePolicy",
                {
                    "roleName": role,
                    "policyName": "DefaultPolicy",
                    "policyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"*"}]}',
                },
            ),
        ]
    if choice < 9:
        return [
            (
                "lambda.amazonaws.com",
                "AddPermission20150331v2",
                {
                    "functionName": function,
                    "statementId": f"{service}ApiInvoke",
                    "action": "lambda:InvokeFunction",
                    "principal": "apigateway.amazonaws.com",
                    "sourceArn": f"arn:aws:execute-api:{HOME_REGION}:{target.id}:{ctx.ids.lower_alnum(10)}/*/*/*",
                },
            ),
            (
                "logs.amazonaws.com",
                "PutRetentionPolicy",
                {"logGroupName": f"/aws/lambda/{function}", "retentionInDays": 30},
            ),
        ]
    bucket = target.buckets[0]
    return [
        (
            "s3.amazonaws.com",
            "PutBucketTagging",
            {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "tagging": ""},
        ),
        (
            "s3.amazonaws.com",
            "PutBucketPolicy",
            {
                "bucketName": bucket,
                "Host": f"{bucket}.s3.amazonaws.com",
                "policy": "",
                "bucketPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        ),
    ]


def preview_teardown(ctx: Context, start: datetime) -> list[Record]:
    """A merged pull request's preview stack is deleted in a non-production account.

    CloudFormation, with the cfn-exec role, empties and deletes the preview's bucket, its
    function, role and log group: deletions that are the point of an ephemeral environment.
    """
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("nonprod"))
    runner_ip = f"192.0.2.{ctx.rng.randrange(10, 250)}"
    records, ci = _github_session(ctx, clock, target, runner_ip)
    deploy_session = ctx.org.session(cdk_role(target, "deploy"), "aws-cdk-runner", clock.tick())
    records += assume_role(ctx, ci, deploy_session, deploy_session.created, runner_ip, CDK)
    deploy = ct.assumed_role(deploy_session)
    pr = ctx.rng.randrange(100, 2000)
    stack = f"Preview-pr-{pr}"
    records.append(
        ctx.call(
            deploy,
            clock.tick(),
            CFN,
            "DeleteStack",
            account=target.id,
            ip=runner_ip,
            agent=CDK,
            request={"stackName": stack},
        )
    )
    exec_session = ctx.org.session(cdk_role(target, "cfn-exec"), "AWSCloudFormation", clock.tick())
    records += assume_role(ctx, ct.aws_service(CFN), exec_session, exec_session.created, CFN, CFN)
    executor = ct.assumed_role(exec_session, invoked_by=CFN)
    bucket = f"preview-pr-{pr}-{target.id}"
    function = f"preview-pr-{pr}-api"
    for source, name, request in (
        ("lambda.amazonaws.com", "DeleteFunction20150331", {"functionName": function}),
        (
            "iam.amazonaws.com",
            "DeleteRolePolicy",
            {"roleName": f"{function}-role", "policyName": "DefaultPolicy"},
        ),
        (
            "iam.amazonaws.com",
            "DetachRolePolicy",
            {
                "roleName": f"{function}-role",
                "policyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            },
        ),
        ("iam.amazonaws.com", "DeleteRole", {"roleName": f"{function}-role"}),
        ("logs.amazonaws.com", "DeleteLogGroup", {"logGroupName": f"/aws/lambda/{function}"}),
        ("s3.amazonaws.com", "DeleteBucket", {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com"}),
    ):
        records.append(
            ctx.call(
                executor,
                clock.tick(1, 15),
                source,
                name,
                account=target.id,
                ip=CFN,
                agent=CFN,
                read_only=False,
                request=request,
            )
        )
    for _ in range(ctx.rng.randint(3, 10)):
        clock.tick(3, 6)
        records.append(
            ctx.call(
                deploy,
                clock.tick(),
                CFN,
                "DescribeStackEvents",
                account=target.id,
                ip=runner_ip,
                agent=CDK,
                request={"stackName": stack},
            )
        )
    return records


def _terraform_session(
    ctx: Context, clock: Clock, role_name: str, target: Account | None = None
) -> tuple[list[Record], Account, Record, str]:
    """The self-hosted CI runner's IAM user assumes a Terraform role in the target account
    (by default one of the accounts Terraform manages, at random)."""
    runner = ctx.org.iam_users[0]
    target = target or ctx.rng.choice(
        [
            *ctx.org.of_kind("network", "shared", "security", "log-archive"),
            *ctx.org.of_kind("prod", "nonprod"),
        ]
    )
    user = ct.iam_user(runner.account, runner.name, runner.principal_id, runner.access_key_id)
    records = [
        ctx.call(
            user,
            clock.tick(),
            "sts.amazonaws.com",
            "GetCallerIdentity",
            account=runner.account,
            ip=runner.address,
            agent=terraform("sts"),
        )
    ]
    session = ctx.org.session(
        Role(target.id, role_name, "/automation/"), f"terraform-{ctx.hex(8)}", clock.tick()
    )
    records += assume_role(ctx, user, session, session.created, runner.address, terraform("sts"))
    records += _state(ctx, clock, user, runner.address, target, "GetObject")
    return records, target, ct.assumed_role(session), runner.address


def _state(ctx: Context, clock: Clock, user: Record, ip: str, target: Account, name: str) -> list[Record]:
    """Terraform's S3 backend (state in the shared services account)."""
    shared = ctx.org.one("shared")
    bucket = f"example-terraform-state-{shared.id}"
    return [
        ctx.call(
            user,
            clock.tick(),
            "s3.amazonaws.com",
            name,
            account=shared.id,
            ip=ip,
            agent=terraform("s3"),
            category="Data",
            read_only=name == "GetObject",
            **s3_object(shared.id, bucket, f"{target.name}/terraform.tfstate"),
        )
    ]


def terraform_plan(ctx: Context, start: datetime) -> list[Record]:
    """A pull request's ``terraform plan``: a read-only role refreshes every resource of the stack."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-plan")
    records += read_calls(
        ctx, identity, clock, target, TERRAFORM_REFRESH, ctx.rng.randint(40, 260), ip=ip, agent=terraform
    )
    return records


def terraform_apply(ctx: Context, start: datetime) -> list[Record]:
    """A merged change's ``terraform apply``: a refresh, then a few routine changes, then the state."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    records += read_calls(
        ctx, identity, clock, target, TERRAFORM_REFRESH, ctx.rng.randint(30, 150), ip=ip, agent=terraform
    )
    # Lazy: each change is drawn just before its call, as the corpus's seed has always drawn them.
    changes = ((*_terraform_change(ctx, target), None) for _ in range(ctx.rng.randint(1, 6)))
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)


def security_tooling_apply(
    ctx: Context, start: datetime, changes: Callable[[Context, Account], list[Change]], most: int
) -> list[Record]:
    """The CI runner's Terraform applies one to ``most`` of ``changes`` (made for the account)
    in the security tooling account, the organization's delegated administrator."""
    clock = Clock(ctx.rng, start)
    security = ctx.org.one("security")
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply", security)
    chosen = ctx.rng.sample(changes(ctx, target), ctx.rng.randint(1, most))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def terraform_writes(
    ctx: Context,
    clock: Clock,
    identity: Record,
    target: Account,
    ip: str,
    changes: Iterable[tuple[str, str, Any, Any]],
) -> list[Record]:
    """An apply's writes (``(source, name, request, response)`` each) by ``identity`` in ``target``,
    then its state written by the runner's IAM user."""
    records = [
        ctx.call(
            identity,
            clock.tick(1, 10),
            source,
            name,
            account=target.id,
            ip=ip,
            agent=terraform(source.split(".", 1)[0]),
            read_only=False,
            request=request,
            response=response,
        )
        for source, name, request, response in changes
    ]
    runner = ctx.org.iam_users[0]
    user = ct.iam_user(runner.account, runner.name, runner.principal_id, runner.access_key_id)
    return records + _state(ctx, clock, user, ip, target, "PutObject")


def _terraform_change(ctx: Context, target: Account) -> tuple[str, str, Any]:
    """One routine change: internal security group rules, tags, inline policies, settings."""
    rng = ctx.rng
    group = f"sg-0{ctx.hex(16)}"
    internal = f"10.{rng.randrange(16, 80)}.0.0/16"
    port = rng.choice((443, 5432, 6379, 8080))
    permissions = {
        "items": [
            {
                "ipProtocol": "tcp",
                "fromPort": port,
                "toPort": port,
                "ipRanges": {"items": [{"cidrIp": internal, "description": "internal"}]},
            }
        ]
    }
    bucket = target.buckets[0]
    choices: list[tuple[str, str, Any]] = [
        (
            "ec2.amazonaws.com",
            "AuthorizeSecurityGroupIngress",
            {"groupId": group, "ipPermissions": permissions},
        ),
        ("ec2.amazonaws.com", "RevokeSecurityGroupIngress", {"groupId": group, "ipPermissions": permissions}),
        (
            "ec2.amazonaws.com",
            "CreateTags",
            {
                "resourcesSet": {"items": [{"resourceId": group}]},
                "tagSet": {"items": [{"key": "cost-center", "value": "platform"}]},
            },
        ),
        (
            "iam.amazonaws.com",
            "PutRolePolicy",
            {
                "roleName": f"{target.name}-app",
                "policyName": "app-access",
                "policyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}',
            },
        ),
        (
            "s3.amazonaws.com",
            "PutBucketTagging",
            {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "tagging": ""},
        ),
        (
            "s3.amazonaws.com",
            "PutBucketVersioning",
            {
                "bucketName": bucket,
                "Host": f"{bucket}.s3.amazonaws.com",
                "versioning": "",
                "VersioningConfiguration": {
                    "Status": "Enabled",
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                },
            },
        ),
        (
            "logs.amazonaws.com",
            "PutRetentionPolicy",
            {"logGroupName": f"/aws/lambda/{target.name}", "retentionInDays": 90},
        ),
        (
            "ssm.amazonaws.com",
            "PutParameter",
            {"name": f"/{target.name}/feature-flags", "type": "String", "overwrite": True},
        ),
        (
            "events.amazonaws.com",
            "PutRule",
            {"name": f"{target.name}-nightly", "scheduleExpression": "cron(0 2 * * ? *)", "state": "ENABLED"},
        ),
    ]
    if target.databases:
        choices.append(
            (
                "rds.amazonaws.com",
                "ModifyDBCluster",
                {
                    "dBClusterIdentifier": target.databases[0],
                    "backupRetentionPeriod": 14,
                    "applyImmediately": False,
                },
            )
        )
    if target.kind == "network":
        choices.append(
            (
                "ec2.amazonaws.com",
                "CreateRoute",
                {
                    "routeTableId": f"rtb-0{ctx.hex(16)}",
                    "destinationCidrBlock": internal,
                    "transitGatewayId": f"tgw-0{ctx.hex(16)}",
                },
            )
        )
    return rng.choice(choices)


def ami_pipeline(ctx: Context, start: datetime) -> list[Record]:
    """EC2 Image Builder bakes the weekly golden AMI and shares it with the organization.

    The service-linked role launches a build instance, runs the build components through
    Systems Manager, creates the image, and shares it with the organization (launch
    permission for the organization's ARN): the documented way to distribute an AMI.
    """
    clock = Clock(ctx.rng, start)
    shared = ctx.org.one("shared")
    service = "imagebuilder.amazonaws.com"
    role = service_linked_role(shared, service, "AWSServiceRoleForImageBuilder")
    identity = ct.assumed_role(
        ctx.org.session(role, "Ec2ImageBuilderIntegrationRole", start), invoked_by=service
    )
    instance = f"i-0{ctx.hex(16)}"
    image = f"ami-0{ctx.hex(16)}"

    def call(
        name: str,
        source: str = "ec2.amazonaws.com",
        request: Any = None,
        pause: tuple[float, float] = (1, 20),
    ) -> Record:
        return ctx.call(
            identity,
            clock.tick(*pause),
            source,
            name,
            account=shared.id,
            ip=service,
            agent=service,
            request=request,
        )

    records = [
        call(
            "RunInstances",
            request={
                "instancesSet": {"items": [{"imageId": f"ami-0{ctx.hex(16)}", "minCount": 1, "maxCount": 1}]},
                "instanceType": "m6i.large",
            },
        ),
        call(
            "CreateTags",
            request={
                "resourcesSet": {"items": [{"resourceId": instance}]},
                "tagSet": {"items": [{"key": "CreatedBy", "value": "EC2 Image Builder"}]},
            },
        ),
    ]
    records += [
        call(
            "DescribeInstances",
            request={"instancesSet": {"items": [{"instanceId": instance}]}},
            pause=(20, 40),
        )
        for _ in range(ctx.rng.randint(3, 8))
    ]
    for document in ("AWSEC2-RunCommand-ImageBuilder", "AWS-UpdateSSMAgent"):
        records.append(
            call(
                "SendCommand",
                "ssm.amazonaws.com",
                {
                    "documentName": document,
                    "instanceIds": [instance],
                    "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
                },
            )
        )
        records += [
            call("GetCommandInvocation", "ssm.amazonaws.com", {"instanceId": instance}, pause=(15, 30))
            for _ in range(ctx.rng.randint(2, 6))
        ]
    records.append(call("StopInstances", request={"instancesSet": {"items": [{"instanceId": instance}]}}))
    records.append(
        call(
            "CreateImage",
            request={"instanceId": instance, "name": f"golden-al2023-{start:%Y%m%d}", "noReboot": False},
        )
    )
    records += [
        call("DescribeImages", request={"imagesSet": {"items": [{"imageId": image}]}}, pause=(30, 60))
        for _ in range(ctx.rng.randint(3, 8))
    ]
    records.append(
        call(
            "ModifyImageAttribute",
            request={
                "imageId": image,
                "launchPermission": {
                    "add": {
                        "items": [
                            {
                                "organizationArn": f"arn:aws:organizations::{ctx.org.management.id}:organization/{ORG_ID}"
                            }
                        ]
                    }
                },
                "attributeType": "launchPermission",
            },
        )
    )
    records.append(
        call("TerminateInstances", request={"instancesSet": {"items": [{"instanceId": instance}]}})
    )
    return records


def key_rotation(ctx: Context, start: datetime) -> list[Record]:
    """A rotation Lambda replaces the CI runner's access key (the IAM user has no other owner).

    ListAccessKeys, CreateAccessKey for ``ci-runner`` (the new key goes to Secrets Manager),
    UpdateAccessKey to deactivate the old one, DeleteAccessKey for the one before.
    """
    clock = Clock(ctx.rng, start)
    runner = ctx.org.iam_users[0]
    cicd = ctx.org.account(runner.account)
    session = ctx.org.session(service_role(cicd, "access-key-rotation-role"), "access-key-rotation", start)
    identity = ct.assumed_role(session)
    ip = f"203.0.113.{ctx.rng.randrange(60, 70)}"
    new_key = ctx.ids.access_key_id()

    def call(source: str, name: str, request: Any, response: Any = None) -> Record:
        return ctx.call(
            identity,
            clock.tick(),
            source,
            name,
            account=cicd.id,
            ip=ip,
            agent=BOTO3,
            request=request,
            response=response,
        )

    return [
        call("iam.amazonaws.com", "ListAccessKeys", {"userName": runner.name}),
        call(
            "iam.amazonaws.com",
            "CreateAccessKey",
            {"userName": runner.name},
            {
                "accessKey": {
                    "userName": runner.name,
                    "accessKeyId": new_key,
                    "status": "Active",
                    "createDate": cloudtrail_response_date(start),
                }
            },
        ),
        call(
            "secretsmanager.amazonaws.com",
            "PutSecretValue",
            {
                "secretId": f"arn:aws:secretsmanager:{HOME_REGION}:{cicd.id}:secret:ci/runner-key-{ctx.ids.mixed_alnum(6)}",
                "clientRequestToken": ctx.ids.uuid(),
            },
        ),
        call(
            "iam.amazonaws.com",
            "UpdateAccessKey",
            {"userName": runner.name, "accessKeyId": runner.access_key_id, "status": "Inactive"},
        ),
        call(
            "iam.amazonaws.com",
            "DeleteAccessKey",
            {"userName": runner.name, "accessKeyId": ctx.ids.access_key_id()},
        ),
    ]
