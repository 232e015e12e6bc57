"""analystPrincipalArns takes the role of an IAM Identity Center permission set as IAM shows it
(docs/deploy.md, "Analyst access through IAM Identity Center"), and no pattern."""

from __future__ import annotations

import pytest

from infra.config import Config, ConfigError
from tests.infra.conftest import ORG_TRAIL

SSO_ROLE = (
    "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_SiemAnalyst_0123456789abcdef"
)
# Both forms occur: with the Identity Center region in the role's path, and without.
SSO_ROLE_WITHOUT_REGION = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_SiemAnalyst_0123456789abcdef"


def config(analysts: str) -> Config:
    context = {
        "organizationId": "o-a1b2c3d4e5",
        "organizationTrailArn": ORG_TRAIL,
        "analystPrincipalArns": analysts,
    }
    return Config.from_context(context.get)


def test_a_permission_set_role_is_kept_as_iam_shows_it() -> None:
    assert config(f"{SSO_ROLE},{SSO_ROLE_WITHOUT_REGION}").analyst_principal_arns == (
        SSO_ROLE,
        SSO_ROLE_WITHOUT_REGION,
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_SiemAnalyst_*",
        "arn:aws:iam::*:role/SocAnalyst",
    ],
)
def test_a_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(ConfigError, match="is not an IAM role, user or assumed-role ARN"):
        config(pattern)
