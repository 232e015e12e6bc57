"""People at work: Identity Center and SAML sign-ins, console and CLI sessions, IAM user chores."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any

from demo.benign.apis import CLI_INVESTIGATION, CONSOLE_BROWSING, read_calls
from demo.benign.calls import BROWSER, CLI, CONSOLE, Clock, Context, Record
from demo.benign.org import HOME_REGION, Account, IamUser, Person, Role
from demo.ids import cloudtrail_response_date
from demo.records import cloudtrail as ct
from demo.records.cloudtrail import RoleSession

PORTAL = "https://d-9067a1b2c3.awsapps.com/start/"
_SIGN_IN_TEAMS = {
    "platform": (
        "management",
        "network",
        "shared",
        "cicd",
        "security",
        "log-archive",
        "prod",
        "nonprod",
        "sandbox",
    ),
    "developer": ("nonprod", "nonprod", "nonprod", "prod", "sandbox"),
    "security": ("security", "log-archive", "management", "prod", "nonprod"),
    "data": ("prod", "nonprod"),
    "helpdesk": ("sandbox",),
}
"""Where each team's permission set is assigned (repeats make an account kind likelier)."""


def _name_qualifier(account: Account, provider: str) -> str:
    """SAML's name qualifier: base64 of a SHA-1, as AWS derives it from the issuer and provider."""
    return base64.b64encode(hashlib.sha1(f"{account.id}{provider}".encode()).digest()).decode()


def _portal_user(ctx: Context, person: Person) -> Record:
    """How the management account's trail names a user of the AWS access portal."""
    return {
        "type": "Unknown",
        "principalId": person.user_id,
        "arn": "",
        "accountId": ctx.org.management.id,
        "accessKeyId": "",
        "userName": person.email,
    }


def _portal_sign_in(ctx: Context, clock: Clock, person: Person, agent: str) -> list[Record]:
    """Password then a security key at the access portal: sign-in service events."""
    user, management = _portal_user(ctx, person), ctx.org.management
    workflow = ctx.ids.uuid()
    steps = (
        ("CredentialChallenge", "PASSWORD"),
        ("CredentialVerification", "PASSWORD"),
        ("CredentialChallenge", "WEBAUTHN"),
        ("CredentialVerification", "WEBAUTHN"),
        ("UserAuthentication", "PASSWORD,WEBAUTHN"),
    )
    return [
        ct.api_call(
            user,
            event_name=name,
            event_source="signin.amazonaws.com",
            time=clock.tick(1, 8),
            source_ip=person.address,
            user_agent=agent,
            recipient_account=management.id,
            read_only=False,
            additional={"AuthWorkflowID": workflow, "CredentialType": credential, "LoginTo": PORTAL},
            service_event_details={name: "Success"},
            event_type="AwsServiceEvent",
            event_id=ctx.ids.uuid(),
            request_id=ctx.ids.uuid(),
        )
        for name, credential in steps
    ]


def _target_account(ctx: Context, person: Person) -> Account:
    return ctx.rng.choice(ctx.org.of_kind(ctx.rng.choice(_SIGN_IN_TEAMS[person.team])))


def _identity_center(
    ctx: Context, clock: Clock, person: Person, account: Account, console: bool
) -> tuple[list[Record], RoleSession]:
    """The access portal hands out a permission set's role: ``AssumeRoleWithSAML`` in the account.

    A new portal session signs in first (about once a day); then the portal lists the
    accounts and roles and federates the console (``Federate``) or the CLI (``GetRoleCredentials``).
    """
    agent = BROWSER if console else CLI
    records = _portal_sign_in(ctx, clock, person, BROWSER) if ctx.chance(0.4) else []
    management, user = ctx.org.management, _portal_user(ctx, person)
    role = ctx.org.sso_role(account, person.permission_set)
    portal = [("ListAccounts", {}), ("ListAccountRoles", {"accountId": account.id})] if console else []
    portal.append(
        (
            "Federate" if console else "GetRoleCredentials",
            {"accountId": account.id, "roleName": person.permission_set},
        )
    )
    for name, request in portal:
        records.append(
            ctx.call(
                user,
                clock.tick(),
                "sso.amazonaws.com",
                name,
                account=management.id,
                ip=person.address,
                agent=agent,
                read_only=True,
                request=request or None,
            )
        )
    session = ctx.org.session(role, person.email, clock.tick())
    provider = ctx.org.sso_provider_arn(account)
    saml = ct.saml_user(_name_qualifier(account, provider), person.email)
    records.append(
        ct.assume_role_with_saml(
            saml,
            session,
            provider,
            issuer=f"https://portal.sso.{HOME_REGION}.amazonaws.com/saml/assertion/{base64.b64encode(account.id.encode()).decode()}",
            assertion_id=f"_{ctx.ids.uuid()}",
            source_ip=person.address,
            user_agent=agent,
            duration_seconds=3600 * (8 if console else 1),
            event_id=ctx.ids.uuid(),
        )
    )
    if console:
        records.append(_federated_console_login(ctx, clock, session, provider, person.address))
    return records, session


def _federated_console_login(
    ctx: Context, clock: Clock, session: RoleSession, provider: str, ip: str
) -> Record:
    """A role session's console sign-in: MFA was the identity provider's business (``MFAUsed: No``)."""
    record = ct.console_login(
        ct.assumed_role(session),
        time=clock.tick(),
        source_ip=ip,
        mfa_used=False,
        login_to="https://console.aws.amazon.com/console/home?region=us-east-1",
        user_agent=BROWSER,
        event_id=ctx.ids.uuid(),
    )
    record["additionalEventData"]["SamlProviderArn"] = provider
    return record


def _pick_person(ctx: Context, *teams: str) -> Person:
    people = [person for person in ctx.org.people if not teams or person.team in teams]
    return ctx.rng.choice(people)


def sso_console(ctx: Context, start: datetime) -> list[Record]:
    """An engineer opens the console from the access portal and looks around (and, in
    non-production, restarts a service or tunes a function)."""
    clock = Clock(ctx.rng, start)
    person = _pick_person(ctx, "platform", "developer", "developer", "security", "data")
    account = _target_account(ctx, person)
    records, session = _identity_center(ctx, clock, person, account, console=True)
    identity = ct.assumed_role(session)
    agent = BROWSER if ctx.chance(0.5) else CONSOLE
    records += read_calls(
        ctx,
        identity,
        clock,
        account,
        CONSOLE_BROWSING,
        ctx.rng.randint(5, 60),
        ip=person.address,
        agent=agent,
        pace=(1, 30),
    )
    if (
        person.team in ("developer", "platform")
        and account.kind in ("nonprod", "sandbox")
        and ctx.chance(0.3)
    ):
        service = account.name.split("-", 1)[-1]
        records.append(
            ctx.call(
                identity,
                clock.tick(5, 60),
                "ecs.amazonaws.com",
                "UpdateService",
                account=account.id,
                ip=person.address,
                agent=agent,
                request={"cluster": service, "service": f"{service}-api", "forceNewDeployment": True},
            )
        )
    return records


def sso_cli(ctx: Context, start: datetime) -> list[Record]:
    """An engineer takes CLI credentials from the portal to investigate, sometimes opening a
    Session Manager shell or pushing a one-time SSH key with EC2 Instance Connect."""
    clock = Clock(ctx.rng, start)
    person = _pick_person(ctx, "platform", "developer", "developer", "security")
    account = _target_account(ctx, person)
    records, session = _identity_center(ctx, clock, person, account, console=False)
    identity = ct.assumed_role(session)
    records += read_calls(
        ctx,
        identity,
        clock,
        account,
        CLI_INVESTIGATION,
        ctx.rng.randint(3, 40),
        ip=person.address,
        agent=CLI,
        pace=(1, 20),
    )
    if account.instances and person.team in ("platform", "developer") and ctx.chance(0.25):
        instance = ctx.rng.choice(account.instances)
        if ctx.chance(0.8):
            records += _session_manager(ctx, clock, identity, account, instance, person)
        else:
            records.append(
                ctx.call(
                    identity,
                    clock.tick(),
                    "ec2-instance-connect.amazonaws.com",
                    "SendSSHPublicKey",
                    account=account.id,
                    ip=person.address,
                    agent=CLI,
                    read_only=False,
                    request={
                        "instanceId": instance,
                        "instanceOSUser": "ec2-user",
                        "sSHPublicKey": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{ctx.ids.mixed_alnum(43)} {person.email}",
                    },
                    response={"requestId": ctx.ids.uuid(), "success": True},
                )
            )
    return records


def _session_manager(
    ctx: Context, clock: Clock, identity: Record, account: Account, instance: str, person: Person
) -> list[Record]:
    session_id = f"{person.email.split('@')[0]}-{ctx.hex(17)}"
    start = ctx.call(
        identity,
        clock.tick(),
        "ssm.amazonaws.com",
        "StartSession",
        account=account.id,
        ip=person.address,
        agent=CLI,
        read_only=False,
        request={"target": instance},
        response={
            "sessionId": session_id,
            "tokenValue": "Value hidden due to security reasons.",
            "streamUrl": f"wss://ssmmessages.{HOME_REGION}.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe",
        },
    )
    clock.wait(ctx.rng.uniform(60, 1800))
    end = ctx.call(
        identity,
        clock.tick(),
        "ssm.amazonaws.com",
        "TerminateSession",
        account=account.id,
        ip=person.address,
        agent=CLI,
        read_only=False,
        request={"sessionId": session_id},
        response={"sessionId": session_id},
    )
    return [start, end]


def saml_federation(ctx: Context, start: datetime) -> list[Record]:
    """An analyst signs in through the corporate identity provider (SAML straight into an IAM
    role, without Identity Center) and runs Athena queries over the reporting data lake."""
    clock = Clock(ctx.rng, start)
    account = next(account for account in ctx.org.of_kind("prod") if account.name == "prod-reports")
    analyst = f"analyst{ctx.rng.randrange(1, 9)}@example.com"
    ip = f"198.51.100.{ctx.rng.randrange(100, 140)}"
    provider = f"arn:aws:iam::{account.id}:saml-provider/ExampleIdP"
    session = ctx.org.session(Role(account.id, "DataAnalyst", "/federated/"), analyst, clock.tick())
    records = [
        ct.assume_role_with_saml(
            ct.saml_user(_name_qualifier(account, provider), analyst),
            session,
            provider,
            issuer="http://www.example.com/exk1a2b3c4d5e6f7g8h9",
            assertion_id=f"id{ctx.hex(32)}",
            source_ip=ip,
            user_agent=BROWSER,
            event_id=ctx.ids.uuid(),
        ),
        _federated_console_login(ctx, clock, session, provider, ip),
    ]
    identity = ct.assumed_role(session)

    def call(source: str, name: str, request: Any = None) -> Record:
        return ctx.call(
            identity,
            clock.tick(2, 40),
            source,
            name,
            account=account.id,
            ip=ip,
            agent=CONSOLE,
            request=request,
        )

    records += [
        call("glue.amazonaws.com", "GetDatabases"),
        call("glue.amazonaws.com", "GetTables", {"databaseName": "reports"}),
    ]
    for _ in range(ctx.rng.randint(1, 6)):
        query = ctx.ids.uuid()
        records.append(
            call(
                "athena.amazonaws.com",
                "StartQueryExecution",
                {"queryString": "***OMITTED***", "workGroup": "analysts"},
            )
        )
        records += [
            call("athena.amazonaws.com", "GetQueryExecution", {"queryExecutionId": query})
            for _ in range(ctx.rng.randint(2, 8))
        ]
        records.append(
            call("athena.amazonaws.com", "GetQueryResults", {"queryExecutionId": query, "maxResults": 100})
        )
    return records


# --- legacy IAM users (sandbox accounts) ------------------------------------------------


def _legacy_user(ctx: Context) -> tuple[IamUser, Account]:
    user = ctx.rng.choice(ctx.org.iam_users[1:])
    return user, ctx.org.account(user.account)


def _iam_console_sign_in(ctx: Context, clock: Clock, user: IamUser) -> list[Record]:
    """CheckMfa, then ConsoleLogin with MFA (``MFAUsed: Yes`` and the device's ARN)."""
    failed_identity = ct.iam_user_failed_sign_in(user.account, user.name, user.principal_id)
    records = []
    if ctx.chance(0.05):  # a mistyped password, retried
        records.append(
            ct.console_login(
                failed_identity,
                time=clock.tick(),
                source_ip=user.address,
                success=False,
                user_agent=BROWSER,
                event_id=ctx.ids.uuid(),
            )
        )
    records.append(
        ct.api_call(
            failed_identity,
            event_name="CheckMfa",
            event_source="signin.amazonaws.com",
            time=clock.tick(5, 20),
            source_ip=user.address,
            user_agent=BROWSER,
            recipient_account=user.account,
            read_only=False,
            response={"CheckMfa": "Success"},
            additional={"MfaType": "Virtual MFA"},
            event_type="AwsConsoleSignIn",
            event_id=ctx.ids.uuid(),
        )
    )
    login = ct.console_login(
        ct.iam_user(user.account, user.name, user.principal_id, access_key_id=None),
        time=clock.tick(5, 20),
        source_ip=user.address,
        mfa_used=True,
        user_agent=BROWSER,
        event_id=ctx.ids.uuid(),
    )
    additional = login["additionalEventData"]
    login["additionalEventData"] = {
        "LoginTo": additional["LoginTo"],
        "MobileVersion": "No",
        "MFAIdentifier": f"arn:aws:iam::{user.account}:mfa/{user.name}",
        "MFAUsed": "Yes",
    }
    records.append(login)
    return records


def iam_user_console(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox account's IAM user signs in with MFA and experiments: browses, starts a small
    instance, opens SSH to it from the office address only."""
    clock = Clock(ctx.rng, start)
    user, account = _legacy_user(ctx)
    records = _iam_console_sign_in(ctx, clock, user)
    identity = ct.iam_user(
        user.account, user.name, user.principal_id, ctx.ids.access_key_id(temporary=True), clock.now, mfa=True
    )
    records += read_calls(
        ctx,
        identity,
        clock,
        account,
        CONSOLE_BROWSING,
        ctx.rng.randint(5, 40),
        ip=user.address,
        agent=CONSOLE,
        pace=(1, 30),
    )
    if ctx.chance(0.3):
        group = f"sg-0{ctx.hex(16)}"
        for name, request in (
            (
                "CreateSecurityGroup",
                {
                    "groupName": f"{user.name}-test",
                    "groupDescription": "test",
                    "vpcId": f"vpc-0{ctx.hex(16)}",
                },
            ),
            (
                "AuthorizeSecurityGroupIngress",
                {
                    "groupId": group,
                    "ipPermissions": {
                        "items": [
                            {
                                "ipProtocol": "tcp",
                                "fromPort": 22,
                                "toPort": 22,
                                "ipRanges": {"items": [{"cidrIp": f"{user.address}/32"}]},
                            }
                        ]
                    },
                },
            ),
            (
                "RunInstances",
                {
                    "instancesSet": {
                        "items": [{"imageId": f"ami-0{ctx.hex(16)}", "minCount": 1, "maxCount": 1}]
                    },
                    "instanceType": "t3.micro",
                    "groupSet": {"items": [{"groupId": group}]},
                },
            ),
        ):
            records.append(
                ctx.call(
                    identity,
                    clock.tick(5, 60),
                    "ec2.amazonaws.com",
                    name,
                    account=account.id,
                    ip=user.address,
                    agent=CONSOLE,
                    read_only=False,
                    request=request,
                )
            )
    return records


def iam_user_cli(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox IAM user gets MFA session credentials (``GetSessionToken``, as aws-vault does)
    and works from the CLI with them."""
    clock = Clock(ctx.rng, start)
    user, account = _legacy_user(ctx)
    key = ct.iam_user(user.account, user.name, user.principal_id, user.access_key_id)
    session_key = ctx.ids.access_key_id(temporary=True)
    expiry = clock.now + timedelta(hours=12)
    records = [
        ctx.call(
            key,
            clock.tick(),
            "sts.amazonaws.com",
            "GetSessionToken",
            account=account.id,
            ip=user.address,
            agent=CLI,
            read_only=True,
            request={
                "durationSeconds": 43200,
                "serialNumber": f"arn:aws:iam::{user.account}:mfa/{user.name}",
            },
            response={
                "credentials": {
                    "accessKeyId": session_key,
                    "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                    "expiration": cloudtrail_response_date(expiry),
                }
            },
        )
    ]
    identity = ct.iam_user(user.account, user.name, user.principal_id, session_key, clock.now, mfa=True)
    records += read_calls(
        ctx,
        identity,
        clock,
        account,
        CLI_INVESTIGATION,
        ctx.rng.randint(3, 30),
        ip=user.address,
        agent=CLI,
        pace=(1, 20),
    )
    return records


def helpdesk_password_reset(ctx: Context, start: datetime) -> list[Record]:
    """The helpdesk resets a sandbox IAM user's forgotten console password (a ticket; the new
    password must be changed at the next sign-in), and the user signs in and changes it."""
    clock = Clock(ctx.rng, start)
    agent = _pick_person(ctx, "helpdesk")
    user, account = _legacy_user(ctx)
    records, session = _identity_center(ctx, clock, agent, account, console=True)
    identity = ct.assumed_role(session)
    for name, request in (
        ("GetUser", {"userName": user.name}),
        ("GetLoginProfile", {"userName": user.name}),
        ("UpdateLoginProfile", {"userName": user.name, "passwordResetRequired": True}),
    ):
        records.append(
            ctx.call(
                identity,
                clock.tick(5, 40),
                "iam.amazonaws.com",
                name,
                account=account.id,
                ip=agent.address,
                agent=CONSOLE,
                request=request,
            )
        )
    clock.wait(ctx.rng.uniform(300, 3600))
    records += _iam_console_sign_in(ctx, clock, user)
    own = ct.iam_user(
        user.account, user.name, user.principal_id, ctx.ids.access_key_id(temporary=True), clock.now, mfa=True
    )
    records.append(
        ctx.call(
            own,
            clock.tick(10, 60),
            "iam.amazonaws.com",
            "ChangePassword",
            account=account.id,
            ip=user.address,
            agent=CONSOLE,
            read_only=False,
        )
    )
    return records


def self_service_key(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox IAM user rotates their own access key from the CLI: create the new key (no
    ``userName``: the caller's own), deactivate the old one, delete it a while later."""
    clock = Clock(ctx.rng, start)
    user, account = _legacy_user(ctx)
    identity = ct.iam_user(user.account, user.name, user.principal_id, user.access_key_id)
    new_key = ctx.ids.access_key_id()

    def call(name: str, request: Any = None, response: Any = None) -> Record:
        return ctx.call(
            identity,
            clock.tick(2, 30),
            "iam.amazonaws.com",
            name,
            account=account.id,
            ip=user.address,
            agent=CLI,
            request=request,
            response=response,
        )

    return [
        call("ListAccessKeys"),
        call(
            "CreateAccessKey",
            response={"accessKey": {"userName": user.name, "accessKeyId": new_key, "status": "Active"}},
        ),
        call("UpdateAccessKey", {"accessKeyId": user.access_key_id, "status": "Inactive"}),
        call("DeleteAccessKey", {"accessKeyId": user.access_key_id}),
    ]
