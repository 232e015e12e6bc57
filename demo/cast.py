"""The accounts, people, keys, addresses and resources of the demo incident.

All values are drawn from one seeded :class:`~demo.ids.Ids`, in a fixed order, so that
the same seed always casts the same story. Public addresses come from the documentation
ranges (RFC 5737): 203.0.113.0/24 and 198.51.100.0/24 for the attacker, 192.0.2.0/24 for
the company's own egress, so no real host is ever named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from demo.ids import Ids
from demo.records.cloudtrail import RoleSession

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
DAY = datetime(2026, 3, 14, tzinfo=UTC)
WINDOW_START = DAY.replace(hour=8)
WINDOW_END = DAY.replace(hour=11)
BUCKET = "acme-security-logs"

ATTACKER_CLI = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off command/{command}"
)
CI_AGENT = "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/{api}"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36"
)
BOTO = "Boto3/1.34.64 md/Botocore#1.34.64 ua/2.0 os/linux#6.1.77 md/arch#x86_64 lang/python#3.12.2 cfg/retry-mode#legacy Botocore/1.34.64"


@dataclass(frozen=True, slots=True)
class Cast:
    organization_id: str
    admin_account: str
    dev_account: str
    prod_account: str
    attacker_ip: str
    attacker_console_ip: str
    office_ip: str
    nat_ip: str
    ci_user: str
    ci_user_id: str
    ci_key: str
    deploy_role: RoleSession
    admin_role: RoleSession
    backdoor_user: str
    backdoor_user_id: str
    backdoor_key: str
    instance_id: str
    instance_ip: str
    instance_public_ip: str
    instance_eni: str
    instance_role: RoleSession
    runner_eni: str
    runner_ip: str
    vpc_id: str
    subnet_id: str
    dev_vpc_id: str
    security_group: str
    trail_name: str
    stopped_trail: str
    data_bucket: str
    data_keys: tuple[str, ...]
    sso_role: RoleSession
    sso_user: str
    detector_admin: str
    detector_dev: str
    detector_prod: str
    flow_log_prod: str
    flow_log_dev: str

    @property
    def ci_user_arn(self) -> str:
        return f"arn:aws:iam::{self.dev_account}:user/{self.ci_user}"

    @property
    def stopped_trail_arn(self) -> str:
        return f"arn:aws:cloudtrail:{REGION}:{self.prod_account}:trail/{self.stopped_trail}"


def cast(ids: Ids) -> Cast:
    admin, dev, prod = ids.account_id(), ids.account_id(), ids.account_id()
    deploy_at = DAY.replace(hour=9, minute=8, second=30)
    deploy_role = RoleSession(
        prod,
        "CrossAccountDeployRole",
        ids.unique_id("AROA"),
        f"botocore-session-{int(deploy_at.timestamp())}",
        ids.access_key_id(temporary=True),
        deploy_at,
    )
    admin_role = RoleSession(
        prod,
        "OpsAdminRole",
        ids.unique_id("AROA"),
        "ops-maint",
        ids.access_key_id(temporary=True),
        DAY.replace(hour=9, minute=10, second=15),
    )
    instance_id = f"i-{ids.hex(17)}"
    instance_role = RoleSession(
        prod,
        "web-prod-instance-role",
        ids.unique_id("AROA"),
        instance_id,
        ids.access_key_id(temporary=True),
        WINDOW_START - timedelta(hours=2, minutes=13),
    )
    sso_user = "alice@example.com"
    sso_role = RoleSession(
        prod,
        f"AWSReservedSSO_AdministratorAccess_{ids.hex(16)}",
        ids.unique_id("AROA"),
        sso_user,
        ids.access_key_id(temporary=True),
        WINDOW_START + timedelta(minutes=41),
    )
    return Cast(
        organization_id=f"o-{ids.lower_alnum(10)}",
        admin_account=admin,
        dev_account=dev,
        prod_account=prod,
        attacker_ip=ids.ip_in("203.0.113"),
        attacker_console_ip=ids.ip_in("198.51.100"),
        office_ip=ids.ip_in("192.0.2"),
        nat_ip=ids.ip_in("192.0.2"),
        ci_user="ci-deploy",
        ci_user_id=ids.unique_id("AIDA"),
        ci_key=ids.access_key_id(),
        deploy_role=deploy_role,
        admin_role=admin_role,
        backdoor_user="svc-backup-sync",
        backdoor_user_id=ids.unique_id("AIDA"),
        backdoor_key=ids.access_key_id(),
        instance_id=instance_id,
        instance_ip=f"10.20.1.{ids.random.randrange(10, 250)}",
        instance_public_ip=ids.ip_in("192.0.2"),
        instance_eni=ids.resource_id("eni"),
        instance_role=instance_role,
        runner_eni=ids.resource_id("eni"),
        runner_ip=f"10.30.4.{ids.random.randrange(10, 250)}",
        vpc_id=ids.resource_id("vpc"),
        subnet_id=ids.resource_id("subnet"),
        dev_vpc_id=ids.resource_id("vpc"),
        security_group=ids.resource_id("sg"),
        trail_name="security-trail",
        stopped_trail="prod-app-audit",
        data_bucket="acme-prod-customer-exports",
        data_keys=tuple(f"exports/2026-03/customers-{n:03d}.csv.gz" for n in range(4)),
        sso_role=sso_role,
        sso_user=sso_user,
        detector_admin=ids.hex(32),
        detector_dev=ids.hex(32),
        detector_prod=ids.hex(32),
        flow_log_prod=ids.resource_id("fl"),
        flow_log_dev=ids.resource_id("fl"),
    )
