"""Identity upkeep: the routine look-alikes of the identity backdoor and escalation rules.

The calls an attacker uses to plant a trusted identity provider, grant a permission set
administrator access, strip a user's MFA or roll a policy back are also the calls a well-run
organization makes to keep its identities working: the identity team's Terraform rotating the
corporate SAML provider's signing certificate (logged exactly as an attacker's metadata would
be: siem-iam-identity-provider-changed alerts on it by design), Identity Center
administrators assigning permission sets and giving them scoped policies, Control Tower's
account factory enrolling an account (Identity Center's service-linked role creating its SAML
provider there, CloudFormation's StackSet baselines), an IAM user replacing their own MFA
device, Terraform updating a customer managed policy (a new default version, the oldest
deleted) and applying a CIS password policy. Shapes follow the APIs (botocore's models) as
CloudTrail logs them, the same shapes as the rules' own tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import CONSOLE, Clock, Context, Record
from demo.benign.org import HOME_REGION, Role, service_linked_role, service_role, stable_hex
from demo.benign.people import _identity_center, _legacy_user, _pick_person
from demo.benign.pipelines import CFN, _terraform_session, assume_role, terraform_writes
from demo.ids import cloudtrail_response_date
from demo.records import cloudtrail as ct

SSO = "sso.amazonaws.com"
CONTROL_TOWER = "controltower.amazonaws.com"
INSTANCE_ID = "ssoins-7223a1b2c3d4e5f6"
INSTANCE_ARN = f"arn:aws:sso:::instance/{INSTANCE_ID}"


def _metadata(entity: str, certificate: str) -> str:
    """A SAML metadata document as IAM receives it (the certificate shortened)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor '
        f'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}"><md:IDPSSODescriptor '
        'WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def saml_metadata_rotation(ctx: Context, start: datetime) -> list[Record]:
    """The identity team's Terraform replaces the corporate SAML provider's metadata with the
    identity provider's new signing certificate (a yearly rotation), in the account where the
    analysts federate. The same call, role and shape as a backdoor's metadata: it alerts."""
    clock = Clock(ctx.rng, start)
    account = next(account for account in ctx.org.of_kind("prod") if account.name == "prod-reports")
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply", account)
    provider = f"arn:aws:iam::{target.id}:saml-provider/ExampleIdP"
    certificate = "MIIDpDCCAoygAwIBAgIGAY" + ctx.hex(40)
    change = (
        "iam.amazonaws.com",
        "UpdateSAMLProvider",
        {"sAMLProviderArn": provider, "sAMLMetadataDocument": _metadata("http://www.example.com/exk1a2b3c4d5e6f7g8h9", certificate)},
        {"sAMLProviderArn": provider},
    )  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])


def _scoped_policy(ctx: Context) -> str:
    bucket = f"team-{ctx.hex(6)}-data"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
    )


def permission_set_upkeep(ctx: Context, start: datetime) -> list[Record]:
    """A platform engineer, in the management account's Identity Center console, assigns a
    permission set to a team's group in an account and provisions it, and sometimes gives a
    permission set a read-only managed policy or a scoped inline policy."""
    clock = Clock(ctx.rng, start)
    admin = _pick_person(ctx, "platform")
    management = ctx.org.management
    records, session = _identity_center(ctx, clock, admin, management, console=True)
    identity = ct.assumed_role(session)
    permission_set = f"arn:aws:sso:::permissionSet/{INSTANCE_ID}/ps-{ctx.hex(16)}"
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod", "sandbox"))
    calls: list[tuple[str, Any, Any]] = [
        ("DescribePermissionSet", {"instanceArn": INSTANCE_ARN, "permissionSetArn": permission_set}, None),
        (
            "CreateAccountAssignment",
            {
                "instanceArn": INSTANCE_ARN,
                "targetId": target.id,
                "targetType": "AWS_ACCOUNT",
                "permissionSetArn": permission_set,
                "principalType": "GROUP",
                "principalId": ctx.ids.uuid(),
            },
            {"accountAssignmentCreationStatus": {"status": "IN_PROGRESS", "requestId": ctx.ids.uuid()}},
        ),
    ]
    if ctx.chance(0.5):
        calls.insert(
            1,
            ctx.rng.choice(
                [
                    (
                        "AttachManagedPolicyToPermissionSet",
                        {"instanceArn": INSTANCE_ARN, "permissionSetArn": permission_set, "managedPolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                        None,
                    ),
                    (
                        "PutInlinePolicyToPermissionSet",
                        {"instanceArn": INSTANCE_ARN, "permissionSetArn": permission_set, "inlinePolicy": _scoped_policy(ctx)},
                        None,
                    ),
                ]
            ),
        )  # fmt: skip
        calls.append(
            (
                "ProvisionPermissionSet",
                {"instanceArn": INSTANCE_ARN, "permissionSetArn": permission_set, "targetType": "ALL_PROVISIONED_ACCOUNTS"},
                {"permissionSetProvisioningStatus": {"status": "IN_PROGRESS", "requestId": ctx.ids.uuid()}},
            )
        )  # fmt: skip
    for name, request, response in calls:
        records.append(
            ctx.call(
                identity, clock.tick(3, 30), SSO, name,
                account=management.id, ip=admin.address, agent=CONSOLE, request=request, response=response,
            )
        )  # fmt: skip
    return records


def account_factory(ctx: Context, start: datetime) -> list[Record]:
    """Control Tower's account factory enrolls a sandbox account: its StackSet baselines are
    created there by CloudFormation (invokedBy), the owner is assigned a permission set by
    Control Tower (invokedBy), and Identity Center's service-linked role creates its SAML
    provider in the account."""
    clock = Clock(ctx.rng, start)
    account, management = ctx.rng.choice(ctx.org.of_kind("sandbox")), ctx.org.management
    records: list[Record] = []
    admin = ctx.org.session(
        service_role(management, "AWSControlTowerAdmin"), "AWSControlTowerAdmin", clock.tick()
    )
    records += assume_role(
        ctx, ct.aws_service(CONTROL_TOWER), admin, admin.created, CONTROL_TOWER, CONTROL_TOWER
    )
    records.append(
        ctx.call(
            ct.assumed_role(admin, invoked_by=CONTROL_TOWER), clock.tick(), SSO, "CreateAccountAssignment",
            account=management.id, ip=CONTROL_TOWER, agent=CONTROL_TOWER,
            request={
                "instanceArn": INSTANCE_ARN, "targetId": account.id, "targetType": "AWS_ACCOUNT",
                "permissionSetArn": f"arn:aws:sso:::permissionSet/{INSTANCE_ID}/ps-{stable_hex(16, 'AWSAdministratorAccess')}",
                "principalType": "USER", "principalId": ctx.ids.uuid(),
            },
            response={"accountAssignmentCreationStatus": {"status": "IN_PROGRESS", "requestId": ctx.ids.uuid()}},
        )
    )  # fmt: skip
    execution = ctx.org.session(
        Role(account.id, "AWSControlTowerExecution"), "AWSCloudFormation", clock.tick()
    )
    records += assume_role(ctx, ct.aws_service(CFN), execution, execution.created, CFN, CFN)
    for baseline in ("BASELINE-CONFIG", "BASELINE-CLOUDTRAIL", "BASELINE-ROLES"):
        stack = f"StackSet-AWSControlTowerBP-{baseline}-{ctx.ids.uuid()}"
        records.append(
            ctx.call(
                ct.assumed_role(execution, invoked_by=CFN), clock.tick(5, 60), "cloudformation.amazonaws.com", "CreateStack",
                account=account.id, ip=CFN, agent=CFN,
                request={"stackName": stack, "templateURL": f"https://s3.{HOME_REGION}.amazonaws.com/cf-templates/{baseline}.json",
                         "capabilities": ["CAPABILITY_NAMED_IAM"]},
                response={"stackId": f"arn:aws:cloudformation:{HOME_REGION}:{account.id}:stack/{stack}/{ctx.ids.uuid()}"},
            )
        )  # fmt: skip
    sso = ctx.org.session(
        service_linked_role(account, SSO, "AWSServiceRoleForSSO"), "AWS-SSO", clock.tick(30, 300)
    )
    provider = ctx.org.sso_provider_arn(account)
    records.append(
        ctx.call(
            ct.assumed_role(sso), clock.tick(), "iam.amazonaws.com", "CreateSAMLProvider",
            account=account.id, ip=SSO, agent=SSO,
            request={"name": provider.rsplit("/", 1)[1],
                     "sAMLMetadataDocument": _metadata(f"https://portal.sso.{HOME_REGION}.amazonaws.com/saml/assertion/{ctx.hex(24)}", ctx.hex(40))},
            response={"sAMLProviderArn": provider},
        )
    )  # fmt: skip
    return records


def mfa_replacement(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox IAM user with a new phone replaces their own virtual MFA device: deactivate and
    delete the old one (their own user name), create and enable the new one."""
    clock = Clock(ctx.rng, start)
    user, account = _legacy_user(ctx)
    identity = ct.iam_user(user.account, user.name, user.principal_id, None, clock.now, mfa=True)
    old = f"arn:aws:iam::{account.id}:mfa/{user.name}"
    new = f"arn:aws:iam::{account.id}:mfa/{user.name}-{ctx.hex(4)}"
    calls: list[tuple[str, Any, Any]] = [
        ("ListMFADevices", {"userName": user.name}, None),
        ("DeactivateMFADevice", {"userName": user.name, "serialNumber": old}, None),
        ("DeleteVirtualMFADevice", {"serialNumber": old}, None),
        ("CreateVirtualMFADevice", {"virtualMFADeviceName": new.rsplit("/", 1)[1], "path": "/"},
         {"virtualMFADevice": {"serialNumber": new}}),
        ("EnableMFADevice", {"userName": user.name, "serialNumber": new,
                             "authenticationCode1": "HIDDEN_DUE_TO_SECURITY_REASONS",
                             "authenticationCode2": "HIDDEN_DUE_TO_SECURITY_REASONS"}, None),
    ]  # fmt: skip
    return [
        ctx.call(
            identity, clock.tick(3, 40), "iam.amazonaws.com", name,
            account=account.id, ip=user.address, agent=CONSOLE,
            request=request, response=response,
        )
        for name, request, response in calls
    ]  # fmt: skip


def policy_upkeep(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform updates a customer managed policy (a new default version; the
    oldest of five deleted) and, now and then, reapplies the account's CIS password policy."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    policy = f"arn:aws:iam::{target.id}:policy/{target.name}-app-access"
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
                 "Resource": f"arn:aws:sqs:{HOME_REGION}:{target.id}:{target.name}-jobs"}
            ],
        }
    )  # fmt: skip
    version = ctx.rng.randint(6, 40)
    changes: list[tuple[str, str, Any, Any]] = [
        ("iam.amazonaws.com", "DeletePolicyVersion", {"policyArn": policy, "versionId": f"v{version - 5}"}, None),
        ("iam.amazonaws.com", "CreatePolicyVersion", {"policyArn": policy, "policyDocument": document, "setAsDefault": True},
         {"policyVersion": {"versionId": f"v{version}", "isDefaultVersion": True, "createDate": cloudtrail_response_date(clock.now)}}),
    ]  # fmt: skip
    if ctx.chance(0.2):
        changes.append(
            ("iam.amazonaws.com", "UpdateAccountPasswordPolicy",
             {"minimumPasswordLength": 14, "requireSymbols": True, "requireNumbers": True,
              "requireUppercaseCharacters": True, "requireLowercaseCharacters": True,
              "allowUsersToChangePassword": True, "maxPasswordAge": 90, "passwordReusePrevention": 24}, None)
        )  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)
