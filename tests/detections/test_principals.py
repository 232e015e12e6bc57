"""Who a policy lets in, as IAM reads it (docs: IAM JSON policy elements, Principal and Condition)."""

from __future__ import annotations

import json

import pytest

from detections.principals import (
    MAX_POLICY_TEXT,
    NO_ORGANIZATION,
    Organization,
    grants_escalation,
    grants_every_action,
    grants_outside,
)
from detections.rules import Comparison, field_values

OWN = "111122223333"


def statement(principal: object, effect: str = "Allow", **extra: object) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Principal": principal, "Action": "*", **extra}],
    }


@pytest.mark.parametrize(
    "policy, outside",
    [
        (statement({"AWS": "arn:aws:iam::999988887777:root"}), True),
        (statement({"AWS": ["arn:aws:iam::111122223333:role/ci", "999988887777"]}), True),
        (statement("*"), True),
        (statement({"AWS": "*"}), True),
        (statement({"AWS": "arn:aws-cn:iam::999988887777:user/x"}), True),
        (statement({"AWS": "arn:aws:iam::111122223333:root"}), False),
        (statement({"AWS": OWN}), False),
        (statement({"Service": "lambda.amazonaws.com"}), False),
        (statement({"Federated": "arn:aws:iam::111122223333:saml-provider/okta"}), False),
        # S3's canonical user id names an account no record ties to ours (the owner needs no grant).
        (
            statement({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
            True,
        ),
        (statement("*", effect="Deny"), False),
        (statement("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}), False),
        (statement("*", Condition={"StringEquals": {"AWS:SourceAccount": OWN}}), False),
        # KMS's "every principal of the account, through an AWS service" statement.
        (
            statement("*", Condition={"StringEquals": {"kms:CallerAccount": OWN, "kms:ViaService": "ec2.x"}}),
            False,
        ),
        (statement("*", Condition={"StringEquals": {"kms:CallerAccount": "999988887777"}}), True),
        # SNS's default topic policy pins everyone to the topic owner's account.
        (statement({"AWS": "*"}, Condition={"StringEquals": {"AWS:SourceOwner": OWN}}), False),
        # aws:SourceArn pins when every ARN names the account; a bucket's ARN names none.
        (statement("*", Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OWN}:t"}}), False),
        (
            statement("*", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:999988887777:t"}}),
            True,
        ),
        (statement("*", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:s3:::uploads"}}), True),
        (statement("*", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:t"}}), True),
        # A source-address condition does not make a wildcard principal anyone's less.
        (statement("*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.7/32"}}), True),
        # An external principal is outside whatever the condition says.
        (statement({"AWS": "999988887777"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-x"}}), True),
        ({"Statement": {"Effect": "Allow", "Principal": {"AWS": "999988887777"}}}, True),
        (statement({"AWS": ["*"]}), True),
        # Allow with NotPrincipal lets in everyone but the principals it names (IAM: NotPrincipal).
        (
            {"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}]},
            True,
        ),
        (
            {"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}]},
            False,
        ),
        # Conditions that name a pinning key but hold for callers outside the account or
        # organization (IAM: condition operators, ...IfExists, ForAllValues, Null).
        (statement("*", Condition={"StringEquals": {"aws:PrincipalAccount": "999988887777"}}), True),
        (statement("*", Condition={"StringEquals": {"aws:SourceAccount": [OWN, "999988887777"]}}), True),
        (statement("*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}), True),
        (statement("*", Condition={"StringNotEquals": {"aws:PrincipalAccount": OWN}}), True),
        (statement("*", Condition={"StringLike": {"aws:PrincipalOrgID": "*"}}), True),
        (statement("*", Condition={"StringLike": {"aws:PrincipalOrgID": "o-*"}}), True),
        # The resource's own organization, not the caller's: everyone, directory or not.
        (statement("*", Condition={"StringEquals": {"aws:ResourceOrgID": "o-exampleorgid"}}), True),
        (statement("*", Condition={"Null": {"aws:PrincipalOrgID": "false"}}), True),
        (statement("*", Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-exampleorgid"}}), True),
        (statement("*", Condition={"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2/*"}}), True),
        # Pinned: the documented organization forms.
        (
            statement(
                "*", Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2/r-ab12/*"}}
            ),
            False,
        ),
        (statement("*", Condition={"StringLike": {"aws:PrincipalOrgID": ["o-exampleorgid"]}}), False),
    ],
)
def test_policies_as_objects_and_as_json_text(policy: dict[str, object], outside: bool) -> None:
    assert grants_outside([policy], OWN) is outside
    assert grants_outside([json.dumps(policy, indent=2)], OWN) is outside


OURS = Organization(frozenset({OWN}), "o-a1b2c3d4e5")
"""The accounts directory of an organization ``o-a1b2c3d4e5`` (``organization_id``)."""


@pytest.mark.parametrize(
    "condition, outside",
    [
        ({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, False),
        ({"StringEquals": {"aws:PrincipalOrgID": "O-A1B2C3D4E5"}}, False),
        ({"StringEqualsIgnoreCase": {"aws:principalorgid": ["o-a1b2c3d4e5"]}}, False),
        # Another organization: every account of it is let in.
        ({"StringEquals": {"aws:PrincipalOrgID": "o-attacker01"}}, True),
        ({"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-attacker01"]}}, True),
        ({"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-attacker01"}}, True),
        ({"StringEquals": {"aws:SourceOrgID": "o-attacker01"}}, True),
        ({"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}, False),
        ({"StringEquals": {"aws:ResourceOrgID": "o-attacker01"}}, True),
        # The resource's own organization holds for every caller: it pins nobody.
        ({"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}, True),
        (
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}},
            False,
        ),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-attacker01/*"}}, True),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5x/*"}}, True),
        ({"ForAnyValue:StringLike": {"aws:SourceOrgPaths": ["o-a1b2c3d4e5/*", "o-attacker01/*"]}}, True),
        # Another organization's id beside a key pinning our own account: both must hold.
        ({"StringEquals": {"aws:PrincipalOrgID": "o-attacker01", "aws:PrincipalAccount": OWN}}, False),
    ],
)
def test_an_organization_condition_pins_only_to_our_organization_when_its_id_is_known(
    condition: dict[str, object], outside: bool
) -> None:
    policy = statement("*", Condition=condition)
    assert grants_outside([policy], OWN, OURS) is outside
    assert grants_outside([json.dumps(policy)], OWN, OURS) is outside


@pytest.mark.parametrize("organization", [Organization(), Organization(frozenset({OWN, "444455556666"}))])
def test_without_the_organization_s_id_any_literal_organization_id_pins(organization: Organization) -> None:
    """No directory, or one without ``organization_id``: nothing tells whose an id is."""
    for condition in (
        {"StringEquals": {"aws:PrincipalOrgID": "o-attacker01"}},
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-attacker01/r-ab12/*"}},
    ):
        assert not grants_outside([statement("*", Condition=condition)], OWN, organization)


@pytest.mark.parametrize(
    "principal, outside",
    [
        ("*", True),
        ("999988887777", True),
        ("arn:aws:iam::999988887777:root", True),
        (OWN, False),
        ("s3.amazonaws.com", False),
        ("arn:aws:iam::111122223333:role/x", False),
    ],
)
def test_plain_principal_values(principal: str, outside: bool) -> None:
    assert grants_outside([principal], OWN) is outside


def test_without_a_readable_policy_nothing_is_outside() -> None:
    assert not grants_outside(["{not json"], OWN)
    assert not grants_outside([], OWN)


@pytest.mark.parametrize(
    "value, outside",
    [
        # Everyone, whichever account the record is of (AWS's "public" policy).
        (statement("*"), True),
        (statement({"AWS": "*"}), True),
        ("*", True),
        # Any account named may be the record's own: not read as another's.
        (statement({"AWS": "arn:aws:iam::999988887777:root"}), False),
        ("999988887777", False),
        (statement("*", Condition={"StringEquals": {"aws:SourceAccount": "999988887777"}}), False),
        (statement("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}}), False),
        (statement("*", effect="Deny"), False),
    ],
)
def test_without_a_known_account_only_everyone_is_outside(value: object, outside: bool) -> None:
    # CloudTrail's recipientAccountId is optional (record contents reference); a record
    # without it, nor the caller's accountId, still shows a policy letting everyone in.
    for account in (None, "", "not-an-account"):
        assert grants_outside([value], account) is outside


def test_the_comparison_reads_every_value_of_a_field_in_a_document() -> None:
    document = {
        "cloud": {"account": {"id": OWN}},
        "aws": {"cloudtrail": {"request_parameters": {"items": [{"principal": OWN}, {"principal": "*"}]}}},
    }
    assert field_values(document, "aws.cloudtrail.request_parameters.items.principal") == [OWN, "*"]
    assert Comparison(
        "aws.cloudtrail.request_parameters.items.principal", "outside_account", "cloud.account.id"
    ).holds(document)
    assert not Comparison(
        "aws.cloudtrail.request_parameters.missing", "outside_account", "cloud.account.id"
    ).holds(document)


def identity_policy(**statement: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


@pytest.mark.parametrize(
    "policy, every",
    [
        (identity_policy(Action="*", Resource="*"), True),
        (identity_policy(Action=["s3:GetObject", "*:*"], Resource=["*"]), True),
        # Allow with NotAction grants every action but those named (IAM: NotAction): every
        # action, or every IAM action (administrator one call later), when it names no IAM one.
        (identity_policy(NotAction=["aws-portal:*", "Organizations:*"], Resource="*"), True),
        (identity_policy(NotAction=[], Resource="*"), True),
        (identity_policy(NotAction=["iam", "ia:*", "iam:"], Resource="*"), True),
        (identity_policy(NotAction="s3:*", Resource="arn:aws:iam::*:*"), True),
        # PowerUserAccess: every action but IAM, Organizations and Account. Not administrator.
        (identity_policy(NotAction=["iam:*", "organizations:*", "account:*"], Resource="*"), False),
        (identity_policy(NotAction=["iam:List*"], Resource="*"), False),
        (identity_policy(NotAction=["s3:*", "I?M:GetUser"], Resource="*"), False),
        (identity_policy(NotAction="*", Resource="*"), False),
        (identity_policy(NotAction="*:*", Resource="*"), False),
        (identity_policy(NotAction="*list*", Resource="*"), False),
        (identity_policy(NotAction="aws-portal:*", Resource="arn:aws:s3:::backups/*"), False),
        (identity_policy(Action="*", Resource="arn:aws:s3:::backups/*"), False),
        (identity_policy(Action="iam:PassRole", Resource="*"), False),
        # Every IAM action on every resource (IAMFullAccess): administrator one call later.
        (identity_policy(Action="iam:*", Resource="*"), True),
        (identity_policy(Action=["s3:GetObject", "IAM:*"], Resource="*"), True),
        (identity_policy(Action="iam*", Resource="*"), True),
        (identity_policy(Action="i?m:*", Resource="*"), True),
        (identity_policy(Action="iam:*", Resource="arn:aws:iam::111122223333:*"), True),
        (identity_policy(Action="iam:*", Resource=["arn:aws-us-gov:iam::*:*"]), True),
        (identity_policy(Action="*", Resource="arn:aws:iam::*"), True),
        # Some IAM actions, or IAM on some resources only: not every IAM action everywhere.
        (identity_policy(Action=["iam:Get*", "iam:List*"], Resource="*"), False),
        (identity_policy(Action="iam:*AccessKey*", Resource="*"), False),
        (identity_policy(Action="iam:*", Resource="arn:aws:iam::111122223333:role/app-*"), False),
        (identity_policy(Action="iam:*", Resource="arn:aws:iam::111122223333:user/*"), False),
        (identity_policy(Action="iam:", Resource="*"), False),
        (identity_policy(Action="ia:*", Resource="*"), False),
        (identity_policy(Action="s3:*", Resource="arn:aws:iam::*:*"), False),
        ({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}, False),
        # NotResource with Allow: every resource but those it names.
        (identity_policy(Action="*", NotResource="arn:aws:s3:::audit-logs/*"), True),
        (identity_policy(NotAction="s3:*", NotResource=["arn:aws:s3:::audit-logs"]), True),
        (identity_policy(Action="iam:*", NotResource="arn:aws:iam::111122223333:role/break-glass"), True),
        (identity_policy(Action="*", NotResource="*"), False),
        (identity_policy(Action="iam:*", NotResource="arn:aws:iam::111122223333:*"), False),
    ],
)
def test_identity_policies_allowing_every_action(policy: dict[str, object], every: bool) -> None:
    assert grants_every_action([policy]) is every
    assert grants_every_action([json.dumps(policy)]) is every


def test_an_unreadable_or_missing_policy_allows_nothing() -> None:
    assert not grants_every_action(["{not json", None, 7])
    assert not grants_every_action([])
    assert not grants_escalation(["{not json", None, 7])
    assert not grants_escalation([])


BOUNDARY = "arn:aws:iam::111122223333:policy/app-boundary"


def on_every(action: str, condition: dict[str, object]) -> dict[str, object]:
    """``action`` allowed on every resource under ``condition``."""
    return identity_policy(Action=action, Resource="*", Condition=condition)


@pytest.mark.parametrize(
    "policy, escalates",
    [
        # One IAM write that makes any principal administrator, on every resource of its type.
        *(
            (identity_policy(Action=f"iam:{action}", Resource="*"), True)
            for action in (
                "PutUserPolicy",
                "PutRolePolicy",
                "PutGroupPolicy",
                "AttachUserPolicy",
                "AttachRolePolicy",
                "AttachGroupPolicy",
                "CreatePolicyVersion",
                "SetDefaultPolicyVersion",
                "UpdateAssumeRolePolicy",
                "AddUserToGroup",
                "CreateAccessKey",
                "CreateLoginProfile",
                "UpdateLoginProfile",
            )
        ),
        (identity_policy(Action="IAM:attachrolepolicy", Resource="*"), True),
        (identity_policy(Action="iam:Put*", Resource="*"), True),
        (identity_policy(Action="iam:*Policy*", Resource="*"), True),
        (identity_policy(Action="iam:Attach?olePolicy", Resource="*"), True),
        (identity_policy(Action="iam:PutRolePolicy", Resource="arn:aws:iam::111122223333:*"), True),
        (identity_policy(Action="iam:PutRolePolicy", Resource="arn:aws:iam::111122223333:role/*"), True),
        (identity_policy(Action="iam:CreatePolicyVersion", Resource="arn:aws:iam::*:policy/*"), True),
        (identity_policy(Action="iam:AddUserToGroup", Resource="arn:aws-cn:iam::111122223333:group/*"), True),
        (
            identity_policy(Action="iam:PutRolePolicy", NotResource="arn:aws:iam::111122223333:role/admin"),
            True,
        ),
        (identity_policy(Action="iam:PutUserPolicy", NotResource="arn:aws:iam::111122223333:role/*"), True),
        (identity_policy(NotAction=["iam:*User*", "iam:*Group*"], Resource="arn:aws:iam::*:role/*"), True),
        # NotAction leaving out only IAM reads still allows the writes (not administrator:
        # every_action does not hold, so the escalation is this rule's).
        (identity_policy(NotAction=["iam:List*", "iam:Get*"], Resource="*"), True),
        (identity_policy(NotAction=["iam:NoSuchAction"], Resource="*"), True),
        # A condition that limits who calls, not what is granted, is not read.
        (on_every("iam:PutRolePolicy", {"Bool": {"aws:MultiFactorAuthPresent": "true"}}), True),
        # Bounded by a permissions boundary or the policies it may attach: not counted...
        (on_every("iam:PutRolePolicy", {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}), False),
        (
            on_every(
                "iam:AttachRolePolicy",
                {"ArnEquals": {"IAM:PolicyArn": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}},
            ),
            False,
        ),
        # ... unless negated, absent-tolerant or naming every policy.
        (on_every("iam:PutRolePolicy", {"StringNotEquals": {"iam:PermissionsBoundary": BOUNDARY}}), True),
        (
            on_every("iam:PutRolePolicy", {"StringEqualsIfExists": {"iam:PermissionsBoundary": BOUNDARY}}),
            True,
        ),
        (on_every("iam:AttachRolePolicy", {"ArnLike": {"iam:PolicyARN": "arn:aws:iam::*:policy/*"}}), True),
        (
            identity_policy(
                Action="iam:AttachRolePolicy", Resource="*", Condition={"ArnLike": {"iam:PolicyARN": "*"}}
            ),
            True,
        ),
        # Some resources, the wrong type, other actions, or nothing allowed: no.
        (identity_policy(Action="iam:PutRolePolicy", Resource="arn:aws:iam::111122223333:role/app-*"), False),
        (identity_policy(Action="iam:PutUserPolicy", Resource="arn:aws:iam::111122223333:role/*"), False),
        (
            identity_policy(Action=["iam:PassRole", "iam:Get*", "iam:List*", "iam:CreateRole"], Resource="*"),
            False,
        ),
        (identity_policy(Action="iam:Put*", NotResource="*"), False),
        (identity_policy(Action="iam:Put*", NotResource="arn:aws:iam::111122223333:*"), False),
        (identity_policy(NotAction="iam:*", Resource="*"), False),
        (identity_policy(NotAction=["iam:*", "organizations:*", "account:*"], Resource="*"), False),
        ({"Statement": [{"Effect": "Deny", "Action": "iam:Put*", "Resource": "*"}]}, False),
        # An administrator policy is every_action's, not an escalation grant.
        (identity_policy(Action="iam:*", Resource="*"), False),
        (identity_policy(NotAction="s3:*", Resource="*"), False),
    ],
)
def test_identity_policies_granting_escalation(policy: dict[str, object], escalates: bool) -> None:
    assert grants_escalation([policy]) is escalates
    assert grants_escalation([json.dumps(policy)]) is escalates


def test_policy_text_is_read_in_a_bounded_way() -> None:
    """Malformed, over-long or deeply nested policy text grants nothing and never raises
    (a successful call carries none of them: every service rejects such a policy)."""
    public = json.dumps(statement("*"))
    assert grants_outside([public], OWN)
    padded = public[:-1] + ', "Sid": "' + "x" * MAX_POLICY_TEXT + '"}'
    assert len(padded) > MAX_POLICY_TEXT
    assert not grants_outside([padded], OWN)
    assert not grants_every_action([padded])
    deep = '{"Statement": ' + "[" * 30_000 + "]" * 30_000 + "}"
    assert len(deep) <= MAX_POLICY_TEXT
    with pytest.raises(RecursionError):
        json.loads(deep)
    assert not grants_outside([deep], OWN)
    assert not grants_every_action([deep])
    assert not grants_outside(['{"Statement": [{"Effect": "Allow", "Principal": "*"', "{}", "{"], OWN)


def test_an_account_id_held_as_a_number_is_that_account() -> None:
    assert grants_outside([999988887777], OWN)
    assert not grants_outside([111122223333], OWN)
    assert grants_outside([12345678901], "012345678901") is False
    assert not grants_outside([True, 3.5, -1, 10**12], OWN)


@pytest.mark.parametrize(
    "request_parameters, organization, outside",
    [
        # Lambda AddPermission: principal * narrowed by principalOrgID, sourceAccount or sourceArn.
        ({"principal": "*", "action": "lambda:InvokeFunction"}, NO_ORGANIZATION, True),
        ({"principal": "*", "principalOrgID": "o-a1b2c3d4e5"}, NO_ORGANIZATION, False),
        ({"principal": "*", "principalOrgID": "o-a1b2c3d4e5"}, OURS, False),
        ({"principal": "*", "principalOrgID": "o-attacker01"}, OURS, True),
        ({"principal": "*", "sourceAccount": OWN}, NO_ORGANIZATION, False),
        ({"principal": "*", "sourceAccount": "999988887777"}, NO_ORGANIZATION, True),
        ({"principal": "*", "sourceArn": f"arn:aws:sns:us-east-1:{OWN}:alerts"}, NO_ORGANIZATION, False),
        ({"principal": "999988887777", "principalOrgID": "o-a1b2c3d4e5"}, OURS, True),
        ({"principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::uploads"}, NO_ORGANIZATION, False),
        # AddLayerVersionPermission: organizationId.
        ({"principal": "*", "organizationId": "o-attacker01"}, OURS, True),
        ({"principal": "*", "organizationId": "o-a1b2c3d4e5"}, OURS, False),
        # EventBridge PutPermission: its condition.
        (
            {
                "principal": "*",
                "condition": {"type": "StringEquals", "key": "aws:PrincipalOrgID", "value": "o-attacker01"},
            },
            OURS,
            True,
        ),
        (
            {
                "principal": "*",
                "condition": {"type": "StringEquals", "key": "aws:PrincipalOrgID", "value": "o-a1b2c3d4e5"},
            },
            OURS,
            False,
        ),
        ({"principal": OWN, "action": "events:PutEvents"}, NO_ORGANIZATION, False),
    ],
)
def test_a_permission_request_is_read_as_the_statement_it_adds(
    request_parameters: dict[str, object], organization: Organization, outside: bool
) -> None:
    assert grants_outside([request_parameters], OWN, organization) is outside
