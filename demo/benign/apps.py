"""Applications at work: their roles read and write S3 objects, fetch secrets and parameters,
and call Bedrock, at the steady rates of production traffic."""

from __future__ import annotations

from datetime import datetime

from demo.benign.calls import BOTO3, JAVA, Clock, Context, Record, s3_object
from demo.benign.org import HOME_REGION, Account, Role
from demo.records import cloudtrail as ct
from demo.records.cloudtrail import RoleSession


def _task_session(ctx: Context, account: Account, start: datetime) -> RoleSession:
    """An ECS task's role session: the session name is the task's id."""
    return ctx.org.session(Role(account.id, f"{account.name}-task-role", "/app/"), ctx.hex(32), start)


def s3_objects(ctx: Context, start: datetime) -> list[Record]:
    """An application's task role reads and writes objects of its own buckets (data events)."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod", "prod", "nonprod"))
    identity = ct.assumed_role(_task_session(ctx, account, start))
    ip = ctx.private_ip()
    records = []
    for _ in range(ctx.rng.randint(5, 60)):
        bucket = ctx.rng.choice(account.buckets)
        name = ctx.rng.choices(("GetObject", "HeadObject", "PutObject"), weights=(6, 2, 2))[0]
        key = f"data/{ctx.rng.randrange(2024, 2027)}/{ctx.ids.uuid()}.json"
        size = float(ctx.rng.randrange(200, 2_000_000))
        records.append(
            ctx.call(
                identity,
                clock.tick(0.01, 2),
                "s3.amazonaws.com",
                name,
                account=account.id,
                ip=ip,
                agent=JAVA,
                category="Data",
                read_only=name != "PutObject",
                response={"x-amz-server-side-encryption": "aws:kms"} if name == "PutObject" else None,
                **s3_object(
                    account.id,
                    bucket,
                    key,
                    bytes_in=size if name == "PutObject" else 0.0,
                    bytes_out=size if name == "GetObject" else 0.0,
                ),
            )
        )
    return records


def secrets(ctx: Context, start: datetime) -> list[Record]:
    """A new task or function fetches its database and API secrets (GetSecretValue), which
    Secrets Manager decrypts with KMS on its behalf."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod", "prod", "nonprod"))
    session = _task_session(ctx, account, start)
    identity = ct.assumed_role(session)
    ip = ctx.private_ip()
    records = []
    service = "secretsmanager.amazonaws.com"
    for secret in ctx.rng.sample(("db/credentials", "api/keys", "queue/credentials"), ctx.rng.randint(1, 3)):
        arn = f"arn:aws:secretsmanager:{HOME_REGION}:{account.id}:secret:{account.name}/{secret}-{ctx.ids.mixed_alnum(6)}"
        records.append(
            ctx.call(
                identity,
                clock.tick(0.05, 1),
                service,
                "GetSecretValue",
                account=account.id,
                ip=ip,
                agent=BOTO3,
                request={"secretId": arn},
            )
        )
        records.append(
            ctx.call(
                ct.assumed_role(session, invoked_by=service),
                clock.tick(0, 0.2),
                "kms.amazonaws.com",
                "Decrypt",
                account=account.id,
                ip=service,
                agent=service,
                request={
                    "encryptionContext": {"SecretARN": arn, "SecretVersionId": ctx.ids.uuid()},
                    "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                },
                resources=(
                    {
                        "accountId": account.id,
                        "type": "AWS::KMS::Key",
                        "ARN": f"arn:aws:kms:{HOME_REGION}:{account.id}:key/{ctx.ids.uuid()}",
                    },
                ),
            )
        )
    return records


def parameters(ctx: Context, start: datetime) -> list[Record]:
    """A function loads its configuration from Parameter Store on a cold start
    (``GetParametersByPath`` with decryption of the SecureString values)."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    function = ctx.rng.choice(account.functions)
    identity = ct.assumed_role(
        ctx.org.session(Role(account.id, f"{function}-role", "/service-role/"), function, start)
    )
    name = ctx.rng.choice(("GetParametersByPath", "GetParameters"))
    request = (
        {"path": f"/{account.name}/{function}/", "recursive": True, "withDecryption": True}
        if name == "GetParametersByPath"
        else {
            "names": [f"/{account.name}/{function}/db-url", f"/{account.name}/{function}/api-token"],
            "withDecryption": True,
        }
    )
    ip = f"203.0.113.{ctx.rng.randrange(100, 120)}"
    return [
        ctx.call(
            identity,
            clock.tick(),
            "ssm.amazonaws.com",
            name,
            account=account.id,
            ip=ip,
            agent=BOTO3,
            request=request,
        )
    ]


def bedrock(ctx: Context, start: datetime) -> list[Record]:
    """The search service's task role asks a Bedrock model to summarize results, a few calls a minute."""
    clock = Clock(ctx.rng, start)
    account = next(account for account in ctx.org.of_kind("prod") if account.name == "prod-search")
    identity = ct.assumed_role(_task_session(ctx, account, start))
    ip = ctx.private_ip()
    return [
        ctx.call(
            identity,
            clock.tick(5, 40),
            "bedrock.amazonaws.com",
            "InvokeModel",
            account=account.id,
            ip=ip,
            agent=BOTO3,
            read_only=True,
            request={"modelId": "anthropic.claude-3-haiku-20240307-v1:0"},
        )
        for _ in range(ctx.rng.randint(1, 10))
    ]
