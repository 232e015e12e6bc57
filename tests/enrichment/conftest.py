"""Fixtures of the enrichment tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from enrichment.accounts import Account

PAYMENTS = Account(
    id="111122223333",
    name="prod-payments",
    email_domain="example.com",
    status="ACTIVE",
    ou_path="Root/Workloads/Prod",
    tags={"owner": "payments-team", "environment": "prod"},
)
"""The account most tests' documents happen in."""


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, with credentials and a region that reach nothing else."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield
