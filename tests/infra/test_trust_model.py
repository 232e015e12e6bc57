"""Who may write where in the log bucket: the synthesized bucket policy, asked as IAM would.

Each case is a request a real writer makes (the key layouts and condition keys are those the
AWS guides document for each delivery), or one an attacker holding administrator rights in a
member account could make. ``tests.infra.iam_eval`` evaluates the policy's statements.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import as_list, render, resources
from tests.infra.conftest import GUARDDUTY_ADMIN, MANAGEMENT_ACCOUNT, OPT_IN_REGION, ORG_ID, ORG_TRAIL, REGION
from tests.infra.iam_eval import Request, allowed, resolve, role_request, service_request

pytestmark = pytest.mark.slow

BUCKET = "siem-log-bucket"
KEY_ARN = f"arn:aws:kms:{REGION}:111111111111:key/log-key"
ACCOUNT_A = "999999999999"
ACCOUNT_B = "000000000001"
OTHER_ORG = "o-zzzzzzzzzz"
DELIVERY_ROLE = f"siem-findings-delivery-{REGION}"
DAY = "2024/05/01"


def bucket_id(template: dict[str, Any]) -> str:
    [found] = [
        n
        for n, b in resources(template, "AWS::S3::Bucket").items()
        if "LoggingConfiguration" in b["Properties"]
    ]
    return found


def placeholders(template: dict[str, Any]) -> dict[str, str]:
    return {
        f"<{bucket_id(template)}.Arn>": f"arn:aws:s3:::{BUCKET}",
        "<AWS::Partition>": "aws",
        "<AWS::Region>": REGION,
    }


@pytest.fixture(scope="module")
def bucket_policy(central: dict[str, Any]) -> list[dict[str, Any]]:
    target = f"<{bucket_id(central)}>"
    [policy] = [
        p
        for p in resources(central, "AWS::S3::BucketPolicy").values()
        if render(p["Properties"]["Bucket"]) == target
    ]
    return list(resolve(policy["Properties"]["PolicyDocument"]["Statement"], placeholders(central)))


@pytest.fixture(scope="module")
def key_policy(central: dict[str, Any]) -> list[dict[str, Any]]:
    [key] = [
        k
        for k in resources(central, "AWS::KMS::Key").values()
        if "log bucket" in k["Properties"].get("Description", "")
    ]
    return list(resolve(key["Properties"]["KeyPolicy"]["Statement"], placeholders(central)))


def obj(key: str) -> str:
    return f"arn:aws:s3:::{BUCKET}/{key}"


def member_put(account: str, key: str, org: str = ORG_ID, role: str = DELIVERY_ROLE) -> Request:
    return role_request(account, role, "s3:PutObject", obj(key), org)


def firehose_key(source: str, account: str, folder: str = "firehose") -> str:
    return f"{source}/AWSLogs/{account}/{folder}/{REGION}/{DAY}/siem-{source}-1-2024-05-01-00-00-00-abc.gz"


# -- member delivery roles (Firehose) -----------------------------------------------------------


@pytest.mark.parametrize("source", ["guardduty", "securityhub"])
@pytest.mark.parametrize("folder", ["firehose", "firehose-errors"])
def test_a_member_role_writes_under_its_own_account(
    bucket_policy: list[dict[str, Any]], source: str, folder: str
) -> None:
    assert allowed(bucket_policy, member_put(ACCOUNT_A, firehose_key(source, ACCOUNT_A, folder)))
    upload = role_request(
        ACCOUNT_A,
        DELIVERY_ROLE,
        "s3:AbortMultipartUpload",
        obj(firehose_key(source, ACCOUNT_A, folder)),
        ORG_ID,
    )
    assert allowed(bucket_policy, upload)


@pytest.mark.parametrize(
    "key",
    [
        # the forgery of issue 20: account A writing findings of account B
        firehose_key("securityhub", ACCOUNT_B),
        firehose_key("guardduty", ACCOUNT_B),
        firehose_key("guardduty", ACCOUNT_B, "firehose-errors"),
        # the old layouts, shared by every account
        f"securityhub/{DAY}/forged.json",
        "guardduty/firehose-errors/processing-failed/forged.json",
        # the other sources' prefixes and the service export of its own account
        f"cloudtrail/AWSLogs/{ORG_ID}/{ACCOUNT_B}/CloudTrail/{REGION}/{DAY}/forged.json.gz",
        f"vpcflow/AWSLogs/{ACCOUNT_A}/vpcflowlogs/{REGION}/{DAY}/forged.log.gz",
        f"guardduty/AWSLogs/{ACCOUNT_A}/GuardDuty/{REGION}/{DAY}/forged.jsonl.gz",
        f"guardduty/AWSLogs/{ACCOUNT_A}/other/forged.json",
        "dead-letter/forged.json",
    ],
)
def test_a_member_role_cannot_write_anywhere_else(bucket_policy: list[dict[str, Any]], key: str) -> None:
    assert not allowed(bucket_policy, member_put(ACCOUNT_A, key))


def test_a_delegated_administrator_role_still_writes_only_its_own_prefix(
    bucket_policy: list[dict[str, Any]],
) -> None:
    # Its objects may carry other accounts' findings (ingest's business); the key is still its own.
    assert allowed(bucket_policy, member_put(GUARDDUTY_ADMIN, firehose_key("securityhub", GUARDDUTY_ADMIN)))
    assert not allowed(bucket_policy, member_put(GUARDDUTY_ADMIN, firehose_key("securityhub", ACCOUNT_B)))


def test_the_role_name_alone_does_not_admit_a_writer(bucket_policy: list[dict[str, Any]]) -> None:
    own_key = firehose_key("guardduty", ACCOUNT_A)
    assert not allowed(bucket_policy, member_put(ACCOUNT_A, own_key, org=OTHER_ORG))
    assert not allowed(bucket_policy, member_put(ACCOUNT_A, own_key, org=""))
    assert not allowed(bucket_policy, member_put(ACCOUNT_A, own_key, role="Admin"))


def list_request(account: str, prefix: str | None) -> Request:
    extra = {} if prefix is None else {"s3:prefix": prefix}
    return role_request(account, DELIVERY_ROLE, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", ORG_ID, **extra)


def test_a_member_role_lists_only_its_own_prefix(bucket_policy: list[dict[str, Any]]) -> None:
    assert allowed(bucket_policy, list_request(ACCOUNT_A, f"guardduty/AWSLogs/{ACCOUNT_A}/"))
    assert allowed(bucket_policy, list_request(ACCOUNT_A, f"securityhub/AWSLogs/{ACCOUNT_A}/firehose/"))
    for prefix in (
        None,
        "",
        "guardduty/",
        "guardduty/AWSLogs/",
        f"securityhub/AWSLogs/{ACCOUNT_B}/",
        "cloudtrail/",
    ):
        assert not allowed(bucket_policy, list_request(ACCOUNT_A, prefix)), prefix


def test_no_statement_lets_an_organization_role_name_another_account(
    bucket_policy: list[dict[str, Any]],
) -> None:
    # The structural form of the negative: every object an IAM principal of the organization may
    # write is under AWSLogs/${aws:PrincipalAccount}/ of a findings prefix.
    for statement in bucket_policy:
        if statement["Effect"] != "Allow" or "Service" in statement["Principal"]:
            continue
        for resource in as_list(statement["Resource"]):
            if resource == f"arn:aws:s3:::{BUCKET}":
                continue
            source, rest = resource.removeprefix(f"arn:aws:s3:::{BUCKET}/").split("/", 1)
            assert source in ("guardduty", "securityhub")
            assert rest.startswith("AWSLogs/${aws:PrincipalAccount}/"), resource


# -- AWS services ---------------------------------------------------------------------------------


def cloudtrail_put(
    key: str, trail: str = ORG_TRAIL, acl: str | None = "bucket-owner-full-control"
) -> Request:
    context = {"aws:SourceArn": trail, "aws:SourceAccount": trail.split(":")[4]}
    if acl:
        context["s3:x-amz-acl"] = acl
    return service_request("cloudtrail.amazonaws.com", "s3:PutObject", obj(key), **context)


def test_the_organization_trail_delivers_every_account(bucket_policy: list[dict[str, Any]]) -> None:
    for account in (ACCOUNT_A, ACCOUNT_B, MANAGEMENT_ACCOUNT):
        key = (
            f"cloudtrail/AWSLogs/{ORG_ID}/{account}/CloudTrail/{REGION}/{DAY}/{account}_CloudTrail_x.json.gz"
        )
        assert allowed(bucket_policy, cloudtrail_put(key))
    management = f"cloudtrail/AWSLogs/{MANAGEMENT_ACCOUNT}/CloudTrail/{REGION}/{DAY}/x.json.gz"
    assert allowed(bucket_policy, cloudtrail_put(management))
    acl_check = service_request(
        "cloudtrail.amazonaws.com",
        "s3:GetBucketAcl",
        f"arn:aws:s3:::{BUCKET}",
        **{"aws:SourceArn": ORG_TRAIL},
    )
    assert allowed(bucket_policy, acl_check)


def test_other_trails_and_other_paths_are_refused(bucket_policy: list[dict[str, Any]]) -> None:
    key = f"cloudtrail/AWSLogs/{ORG_ID}/{ACCOUNT_B}/CloudTrail/{REGION}/{DAY}/x.json.gz"
    member_trail = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_A}:trail/org-trail"
    assert not allowed(bucket_policy, cloudtrail_put(key, trail=member_trail))
    assert not allowed(bucket_policy, cloudtrail_put(key, acl=None))
    assert not allowed(bucket_policy, cloudtrail_put(f"cloudtrail/AWSLogs/{ACCOUNT_A}/CloudTrail/x.json.gz"))
    assert not allowed(bucket_policy, cloudtrail_put(f"securityhub/AWSLogs/{ORG_ID}/{ACCOUNT_B}/x.json.gz"))


def flow_log_put(account: str, key: str, org: str = ORG_ID, acl: bool = True) -> Request:
    context = {
        "aws:SourceAccount": account,
        "aws:SourceOrgID": org,
        "aws:SourceArn": f"arn:aws:logs:{REGION}:{account}:*",
    }
    if acl:
        context["s3:x-amz-acl"] = "bucket-owner-full-control"
    return service_request("delivery.logs.amazonaws.com", "s3:PutObject", obj(key), **context)


def test_flow_logs_of_organization_accounts_are_delivered(bucket_policy: list[dict[str, Any]]) -> None:
    key = f"vpcflow/AWSLogs/{ACCOUNT_A}/vpcflowlogs/{REGION}/{DAY}/{ACCOUNT_A}_vpcflowlogs_{REGION}_fl-1_x.log.gz"
    assert allowed(bucket_policy, flow_log_put(ACCOUNT_A, key))
    assert not allowed(bucket_policy, flow_log_put(ACCOUNT_A, key, org=OTHER_ORG))
    assert not allowed(bucket_policy, flow_log_put(ACCOUNT_A, key, acl=False))


def test_log_delivery_cannot_write_other_vended_logs_or_other_prefixes(
    bucket_policy: list[dict[str, Any]],
) -> None:
    # delivery.logs also carries WAF, Route 53 and other vended logs, under their own folder
    # after the account; a web ACL named "vpcflowlogs" must not make them match.
    waf = f"vpcflow/AWSLogs/{ACCOUNT_A}/WAFLogs/{REGION}/vpcflowlogs/{DAY}/x.log.gz"
    assert not allowed(bucket_policy, flow_log_put(ACCOUNT_A, waf))
    hive = f"vpcflow/AWSLogs/aws-account-id={ACCOUNT_A}/aws-service=vpcflowlogs/x.log.gz"
    assert not allowed(bucket_policy, flow_log_put(ACCOUNT_A, hive))
    assert not allowed(
        bucket_policy, flow_log_put(ACCOUNT_A, f"vpcflow/x/AWSLogs/{ACCOUNT_A}/vpcflowlogs/y.gz")
    )
    assert not allowed(
        bucket_policy, flow_log_put(ACCOUNT_A, f"securityhub/AWSLogs/{ACCOUNT_A}/vpcflowlogs/{REGION}/x.gz")
    )


def config_request(account: str, action: str, resource: str, org: str = ORG_ID, acl: bool = True) -> Request:
    """AWS Config's delivery channel as the Config guide's bucket policy sees it."""
    context = {"aws:SourceAccount": account, "aws:SourceOrgID": org}
    if acl and action == "s3:PutObject":
        context["s3:x-amz-acl"] = "bucket-owner-full-control"
    return service_request("config.amazonaws.com", action, resource, **context)


def test_config_of_organization_accounts_is_delivered(bucket_policy: list[dict[str, Any]]) -> None:
    history = (
        f"config/AWSLogs/{ACCOUNT_A}/Config/{REGION}/2024/5/1/ConfigHistory/{ACCOUNT_A}_Config_x.json.gz"
    )
    probe = f"config/AWSLogs/{ACCOUNT_A}/Config/ConfigWritabilityCheckFile"
    assert allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(history)))
    assert allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(probe)))
    for check in ("s3:GetBucketAcl", "s3:ListBucket"):
        assert allowed(bucket_policy, config_request(ACCOUNT_A, check, f"arn:aws:s3:::{BUCKET}"))
        assert not allowed(
            bucket_policy, config_request(ACCOUNT_A, check, f"arn:aws:s3:::{BUCKET}", org=OTHER_ORG)
        )
    assert not allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(history), org=OTHER_ORG))
    assert not allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(history), acl=False))


def test_a_config_channel_cannot_write_under_another_account_or_source(
    bucket_policy: list[dict[str, Any]],
) -> None:
    # The channel's own s3KeyPrefix comes before "AWSLogs/<its account>/Config/": a prefix
    # naming account B's folder makes a key with two AWSLogs segments, refused.
    forged = f"config/AWSLogs/{ACCOUNT_B}/Config/x/AWSLogs/{ACCOUNT_A}/Config/{REGION}/y.json.gz"
    assert not allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(forged)))
    elsewhere = f"cloudtrail/AWSLogs/{ACCOUNT_A}/Config/{REGION}/y.json.gz"
    assert not allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(elsewhere)))
    nested = f"config/team/AWSLogs/{ACCOUNT_A}/Config/{REGION}/y.json.gz"
    assert not allowed(bucket_policy, config_request(ACCOUNT_A, "s3:PutObject", obj(nested)))


def guardduty_request(account: str, action: str, resource: str, region: str = REGION) -> Request:
    """GuardDuty's export from a detector of ``account`` in ``region``: in an opt-in Region it
    signs with its Regional principal (GuardDuty User Guide, "Exporting findings", notes)."""
    detector = f"arn:aws:guardduty:{region}:{account}:detector/12abc34d567e8fa901bc2d34e56789f0"
    return service_request(
        "guardduty.amazonaws.com" if region == REGION else f"guardduty.{region}.amazonaws.com",
        action,
        resource,
        **{"aws:SourceAccount": account, "aws:SourceArn": detector},
    )


def test_only_the_delegated_administrator_exports_guardduty_findings(
    bucket_policy: list[dict[str, Any]],
) -> None:
    own = f"guardduty/AWSLogs/{GUARDDUTY_ADMIN}/GuardDuty/{REGION}/{DAY}/abc.jsonl.gz"
    assert allowed(bucket_policy, guardduty_request(GUARDDUTY_ADMIN, "s3:PutObject", obj(own)))
    location = guardduty_request(GUARDDUTY_ADMIN, "s3:GetBucketLocation", f"arn:aws:s3:::{BUCKET}")
    assert allowed(bucket_policy, location)
    member = f"guardduty/AWSLogs/{ACCOUNT_A}/GuardDuty/{REGION}/{DAY}/abc.jsonl.gz"
    assert not allowed(bucket_policy, guardduty_request(ACCOUNT_A, "s3:PutObject", obj(member)))
    elsewhere = f"guardduty/AWSLogs/{ACCOUNT_B}/GuardDuty/{REGION}/{DAY}/abc.jsonl.gz"
    assert not allowed(bucket_policy, guardduty_request(GUARDDUTY_ADMIN, "s3:PutObject", obj(elsewhere)))


def test_guardduty_exports_from_the_listed_opt_in_region_only(bucket_policy: list[dict[str, Any]]) -> None:
    own = f"guardduty/AWSLogs/{GUARDDUTY_ADMIN}/GuardDuty/{OPT_IN_REGION}/{DAY}/abc.jsonl.gz"
    put = guardduty_request(GUARDDUTY_ADMIN, "s3:PutObject", obj(own), region=OPT_IN_REGION)
    assert allowed(bucket_policy, put)
    location = f"arn:aws:s3:::{BUCKET}"
    assert allowed(
        bucket_policy,
        guardduty_request(GUARDDUTY_ADMIN, "s3:GetBucketLocation", location, region=OPT_IN_REGION),
    )
    # Another opt-in Region's principal is not admitted (it is not in guardDutyOptInRegions)...
    unlisted = own.replace(OPT_IN_REGION, "af-south-1")
    assert not allowed(
        bucket_policy, guardduty_request(GUARDDUTY_ADMIN, "s3:PutObject", obj(unlisted), region="af-south-1")
    )
    # ...and the Regional principal is held to the same conditions: a member's detector is refused.
    member = f"guardduty/AWSLogs/{ACCOUNT_A}/GuardDuty/{OPT_IN_REGION}/{DAY}/abc.jsonl.gz"
    assert not allowed(
        bucket_policy, guardduty_request(ACCOUNT_A, "s3:PutObject", obj(member), region=OPT_IN_REGION)
    )


def test_plain_http_is_refused_even_to_an_allowed_writer(bucket_policy: list[dict[str, Any]]) -> None:
    request = member_put(ACCOUNT_A, firehose_key("guardduty", ACCOUNT_A))
    insecure = Request(
        request.principal,
        request.action,
        request.resource,
        {**request.context, "aws:SecureTransport": "false"},
    )
    assert not allowed(bucket_policy, insecure)


# -- the log bucket's key -------------------------------------------------------------------------


def kms_request(service: str, action: str, **context: str) -> Request:
    return service_request(service, action, KEY_ARN, **context)


def test_key_use_follows_each_service_guide(key_policy: list[dict[str, Any]]) -> None:
    trail_context = {
        "aws:SourceArn": ORG_TRAIL,
        "kms:EncryptionContext:aws:cloudtrail:arn": ORG_TRAIL,
    }
    assert allowed(
        key_policy, kms_request("cloudtrail.amazonaws.com", "kms:GenerateDataKey", **trail_context)
    )
    assert allowed(
        key_policy, kms_request("cloudtrail.amazonaws.com", "kms:DescribeKey", **{"aws:SourceArn": ORG_TRAIL})
    )
    member_trail = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_A}:trail/t"
    assert not allowed(
        key_policy,
        kms_request(
            "cloudtrail.amazonaws.com",
            "kms:GenerateDataKey",
            **{"aws:SourceArn": member_trail, "kms:EncryptionContext:aws:cloudtrail:arn": member_trail},
        ),
    )
    detector = {
        "aws:SourceAccount": GUARDDUTY_ADMIN,
        "aws:SourceArn": f"arn:aws:guardduty:{REGION}:{GUARDDUTY_ADMIN}:detector/d",
    }
    assert allowed(key_policy, kms_request("guardduty.amazonaws.com", "kms:GenerateDataKey", **detector))
    member_detector = {
        "aws:SourceAccount": ACCOUNT_A,
        "aws:SourceArn": f"arn:aws:guardduty:{REGION}:{ACCOUNT_A}:detector/d",
    }
    assert not allowed(
        key_policy, kms_request("guardduty.amazonaws.com", "kms:GenerateDataKey", **member_detector)
    )
    regional = f"guardduty.{OPT_IN_REGION}.amazonaws.com"
    opt_in_detector = {
        "aws:SourceAccount": GUARDDUTY_ADMIN,
        "aws:SourceArn": f"arn:aws:guardduty:{OPT_IN_REGION}:{GUARDDUTY_ADMIN}:detector/d",
    }
    assert allowed(key_policy, kms_request(regional, "kms:GenerateDataKey", **opt_in_detector))
    assert not allowed(key_policy, kms_request(regional, "kms:GenerateDataKey", **member_detector))
    assert not allowed(
        key_policy,
        kms_request("guardduty.af-south-1.amazonaws.com", "kms:GenerateDataKey", **opt_in_detector),
    )
    flow_logs = {"aws:SourceOrgID": ORG_ID, "aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT_A}:*"}
    assert allowed(key_policy, kms_request("delivery.logs.amazonaws.com", "kms:GenerateDataKey", **flow_logs))
    assert not allowed(
        key_policy,
        kms_request(
            "delivery.logs.amazonaws.com",
            "kms:GenerateDataKey",
            **{**flow_logs, "aws:SourceOrgID": OTHER_ORG},
        ),
    )


def test_config_uses_the_key_for_organization_accounts_only(key_policy: list[dict[str, Any]]) -> None:
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        own = {"aws:SourceAccount": ACCOUNT_A, "aws:SourceOrgID": ORG_ID}
        assert allowed(key_policy, kms_request("config.amazonaws.com", action, **own))
        foreign = {"aws:SourceAccount": ACCOUNT_A, "aws:SourceOrgID": OTHER_ORG}
        assert not allowed(key_policy, kms_request("config.amazonaws.com", action, **foreign))


def test_member_roles_use_the_key_only_through_s3(key_policy: list[dict[str, Any]]) -> None:
    through_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    role = role_request(ACCOUNT_A, DELIVERY_ROLE, "kms:GenerateDataKey", KEY_ARN, ORG_ID, **through_s3)
    assert allowed(key_policy, role)
    direct = role_request(ACCOUNT_A, DELIVERY_ROLE, "kms:Decrypt", KEY_ARN, ORG_ID)
    assert not allowed(key_policy, direct)


# -- the member stack's streams against the central policy ----------------------------------------


def member_placeholders(account: str) -> dict[str, str]:
    return {
        "<AWS::Partition>": "aws",
        "<AWS::Region>": REGION,
        "<AWS::AccountId>": account,
        "<LogBucketName>": BUCKET,
        "<GuarddutyPrefix>": "guardduty/",
        "<SecurityhubPrefix>": "securityhub/",
        "!{timestamp:yyyy/MM/dd}": DAY,
        "!{firehose:error-output-type}": "processing-failed",
    }


@pytest.mark.parametrize("field", ["Prefix", "ErrorOutputPrefix"])
def test_what_each_stream_writes_is_admitted_by_its_role_and_by_the_bucket(
    member: dict[str, Any], bucket_policy: list[dict[str, Any]], field: str
) -> None:
    [role_policy] = [
        p
        for p in resources(member, "AWS::IAM::Policy").values()
        if any("DeliveryRole" in render(r) for r in p["Properties"]["Roles"])
    ]
    for stream in resources(member, "AWS::KinesisFirehose::DeliveryStream").values():
        destination = stream["Properties"]["ExtendedS3DestinationConfiguration"]
        source = "guardduty" if "Guardduty" in render(destination["Prefix"]) else "securityhub"
        names = member_placeholders(ACCOUNT_A)
        key = resolve(destination[field], names) + "siem-stream-1-2024-05-01-00-00-00-abc.gz"
        assert key.startswith(f"{source}/AWSLogs/{ACCOUNT_A}/")
        statements = resolve(role_policy["Properties"]["PolicyDocument"]["Statement"], names)
        for statement in statements:
            statement.setdefault("Principal", {"AWS": f"arn:aws:iam::{ACCOUNT_A}:role/{DELIVERY_ROLE}"})
        assert allowed(statements, member_put(ACCOUNT_A, key)), key
        assert allowed(bucket_policy, member_put(ACCOUNT_A, key)), key
        # and the role's own policy names no other account either
        assert not allowed(statements, member_put(ACCOUNT_A, key.replace(ACCOUNT_A, ACCOUNT_B)))
