"""The organization the benign corpus comes from: accounts, OUs, people, roles and workloads.

Forty accounts in the shape AWS's multi-account guidance recommends (a management account;
Security: log archive and security tooling; Infrastructure: network, shared services, CI/CD;
Workloads: 15 production and 14 non-production accounts; Sandbox: 5), thirty people signing
in through IAM Identity Center, a few legacy IAM users, and per account the roles real
organizations have: CDK bootstrap roles, Terraform roles, an inventory role trusted by the
security tooling account, a monitoring integration role trusted by a vendor's account,
application roles, AWS service-linked and service roles.

Everything here is fixed by the seed. Principal ids are derived from the principal's name
(:func:`stable_id`), so the same role has the same ``AROA`` id in every episode.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from demo.ids import Ids
from demo.records.cloudtrail import RoleSession
from enrichment.accounts import Account as DirectoryAccount
from enrichment.accounts import AccountDirectory

WEEK_START = datetime(2026, 3, 2, tzinfo=UTC)
"""A Monday, 00:00 UTC: the corpus spans one week from here."""
WEEK = timedelta(days=7)
HOME_REGION = "us-east-1"
CDK_QUALIFIER = "hnb659fds"
"""The default qualifier of ``cdk bootstrap``: it appears in every CDK role and bucket name."""
ORG_ID = "o-a1b2c3d4e5"
VENDOR_ACCOUNT = "464622532012"
"""The monitoring vendor's own account, trusted (with an external id) by ``monitoring-integration``."""

_UPPER_ALNUM = string.ascii_uppercase + string.digits


def stable_id(prefix: str, *parts: str, length: int = 17, alphabet: str = _UPPER_ALNUM) -> str:
    """An id of AWS's shape derived from a name: the same name always gives the same id."""
    number = int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=24).digest(), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return prefix + "".join(chars)


def stable_hex(length: int, *parts: str) -> str:
    return stable_id("", *parts, length=length, alphabet="0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    ou: str
    """Path of the OU under the root: ``Workloads/Prod``."""
    kind: str
    """``management``, ``log-archive``, ``security``, ``network``, ``shared``, ``cicd``, ``prod``,
    ``nonprod`` or ``sandbox``."""
    regions: tuple[str, ...]
    instances: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who signs in through IAM Identity Center."""

    email: str
    team: str
    """``platform``, ``developer``, ``security``, ``data`` or ``helpdesk``."""
    permission_set: str
    address: str
    """The office, VPN or home address the person works from."""
    user_id: str
    """The identity store's user id."""


@dataclass(frozen=True, slots=True)
class IamUser:
    account: str
    name: str
    principal_id: str
    access_key_id: str
    address: str


@dataclass(frozen=True, slots=True)
class Role:
    account: str
    name: str
    path: str = "/"

    @property
    def id(self) -> str:
        return stable_id("AROA", self.account, self.path, self.name)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.path}{self.name}"


@dataclass
class Organization:
    accounts: list[Account]
    people: list[Person]
    iam_users: list[IamUser]
    ids: Ids
    """Draws session keys; the corpus's other random choices use their own generator."""
    _by_kind: dict[str, list[Account]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for account in self.accounts:
            self._by_kind.setdefault(account.kind, []).append(account)

    def of_kind(self, *kinds: str) -> list[Account]:
        return [account for kind in kinds for account in self._by_kind.get(kind, [])]

    def one(self, kind: str) -> Account:
        return self._by_kind[kind][0]

    @property
    def management(self) -> Account:
        return self.one("management")

    def account(self, account_id: str) -> Account:
        return next(account for account in self.accounts if account.id == account_id)

    def directory(self) -> AccountDirectory:
        """The accounts directory the organization's hourly sync writes (enrichment.accounts):
        every account active, its OU path from the root (the vendor's account is not one)."""
        return AccountDirectory(
            (
                DirectoryAccount(
                    account.id,
                    account.name,
                    "example.com",
                    "ACTIVE",
                    "/".join(part for part in ("Root", account.ou) if part),
                )
                for account in self.accounts
            ),
            synced_at=WEEK_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
            organization_id=ORG_ID,
        )

    def session(self, role: Role, name: str, created: datetime) -> RoleSession:
        """A fresh set of temporary credentials of ``role`` (a new ``ASIA`` key)."""
        return RoleSession(
            role.account, role.name, role.id, name, self.ids.access_key_id(temporary=True), created, role.path
        )

    def sso_role(self, account: Account, permission_set: str) -> Role:
        """``AWSReservedSSO_<permission set>_<16 hex>``: one per permission set and account."""
        suffix = stable_hex(16, account.id, permission_set)
        return Role(
            account.id, f"AWSReservedSSO_{permission_set}_{suffix}", "/aws-reserved/sso.amazonaws.com/"
        )

    def sso_provider_arn(self, account: Account) -> str:
        return f"arn:aws:iam::{account.id}:saml-provider/AWSSSO_{stable_hex(16, account.id, 'sso')}_DO_NOT_DELETE"


# --- roles every account has -------------------------------------------------------------


def cdk_role(account: Account, purpose: str, region: str = HOME_REGION) -> Role:
    """``cdk-hnb659fds-<purpose>-role-<account>-<region>`` (deploy, cfn-exec, file-publishing, lookup)."""
    return Role(account.id, f"cdk-{CDK_QUALIFIER}-{purpose}-role-{account.id}-{region}")


def service_linked_role(account: Account, service: str, name: str) -> Role:
    return Role(account.id, name, f"/aws-service-role/{service}/")


def service_role(account: Account, name: str) -> Role:
    return Role(account.id, name, "/service-role/")


# --- building the organization ----------------------------------------------------------

_FIRST = (
    "ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kemal", "lena", "mateo",
    "nia", "omar", "priya", "quinn", "rosa", "sam", "tariq", "uma", "viktor", "wen", "xavier", "yara",
    "zoe", "aiko", "bruno", "carla", "dev",
)  # fmt: skip
_LAST = (
    "silva", "okafor", "wang", "moreau", "cohen", "haddad", "berg", "sato", "petrov", "kim", "yilmaz",
    "novak", "garcia", "mensah", "rahman", "iyer", "murphy", "lopez", "taylor", "aziz", "nair", "horvat",
    "li", "dubois", "costa", "fischer", "tanaka", "rossi", "mendes", "patel",
)  # fmt: skip
_TEAMS = (
    ("platform", "AdministratorAccess", 5),
    ("developer", "PowerUserAccess", 15),
    ("security", "SecurityAudit", 4),
    ("data", "ReadOnlyAccess", 3),
    ("helpdesk", "HelpdeskAccess", 3),
)
_OFFICE = "198.51.100"
_VPN = "203.0.113"


def build(ids: Ids) -> Organization:
    """The organization for one seed."""
    accounts: list[Account] = []

    def add(name: str, ou: str, kind: str, regions: tuple[str, ...], instances: int, functions: int) -> None:
        account_id = ids.account_id()
        accounts.append(
            Account(
                account_id,
                name,
                ou,
                kind,
                regions,
                tuple(f"i-0{stable_hex(16, account_id, 'i', str(n))}" for n in range(instances)),
                tuple(f"{name}-fn-{n}" for n in range(functions)),
                (f"{name}-data-{account_id}", f"{name}-exports-{account_id}"),
                (f"{name}-db",) if kind in ("prod", "nonprod") else (),
            )
        )

    east, both = ("us-east-1",), ("us-east-1", "eu-west-1")
    add("management", "", "management", east, 0, 1)
    add("log-archive", "Security", "log-archive", east, 0, 1)
    add("security-tooling", "Security", "security", east, 2, 4)
    add("network", "Infrastructure", "network", both, 2, 1)
    add("shared-services", "Infrastructure", "shared", east, 4, 2)
    add("cicd", "Infrastructure", "cicd", east, 4, 2)
    for n in range(15):
        add(f"prod-{_SERVICES[n]}", "Workloads/Prod", "prod", both if n < 5 else east, 6 + n % 5, 3 + n % 3)
    for n in range(14):
        add(f"dev-{_SERVICES[n]}", "Workloads/NonProd", "nonprod", east, 2 + n % 3, 3 + n % 3)
    for n in range(5):
        add(f"sandbox-{n + 1}", "Sandbox", "sandbox", east, n % 2, 1)

    people: list[Person] = []
    number = 0
    for team, permission_set, size in _TEAMS:
        for _ in range(size):
            email = f"{_FIRST[number]}.{_LAST[number]}@example.com"
            address = f"{_OFFICE if number % 3 else _VPN}.{10 + number * 7 % 240}"
            user_id = (
                f"9067{stable_hex(6, email)}-{stable_hex(8, email, 'a')}-{stable_hex(4, email, 'b')}-"
                + (f"{stable_hex(4, email, 'c')}-{stable_hex(12, email, 'd')}")
            )
            people.append(Person(email, team, permission_set, address, user_id))
            number += 1

    cicd = next(account for account in accounts if account.kind == "cicd")
    iam_users = [
        IamUser(
            cicd.id, "ci-runner", stable_id("AIDA", cicd.id, "ci-runner"), ids.access_key_id(), f"{_VPN}.5"
        )
    ]
    for n, sandbox in enumerate(account for account in accounts if account.kind == "sandbox"):
        name = f"{_FIRST[n + 20]}.{_LAST[n + 20]}"
        iam_users.append(
            IamUser(
                sandbox.id,
                name,
                stable_id("AIDA", sandbox.id, name),
                ids.access_key_id(),
                f"{_OFFICE}.{200 + n}",
            )
        )
    return Organization(accounts, people, iam_users, ids)


_SERVICES = (
    "orders", "payments", "catalog", "search", "accounts", "shipping", "billing", "reviews", "media",
    "notify", "pricing", "ledger", "auth", "reports", "partners",
)  # fmt: skip
