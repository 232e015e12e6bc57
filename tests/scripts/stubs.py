"""Stubbed boto3 clients for the scripts' tests: botocore's Stubber validates every request
and every answer against the service's model."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.stub import Stubber


class Clients:
    """A ``(service, region) -> client`` factory: one stubbed client per pair, made on first use."""

    def __init__(self) -> None:
        self.stubs: dict[tuple[str, str], Stubber] = {}
        self._clients: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        self.stub(service, region)
        return self._clients[(service, region)]

    def stub(self, service: str, region: str) -> Stubber:
        if (service, region) not in self.stubs:
            client = boto3.client(
                service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            self._clients[(service, region)] = client
            self.stubs[(service, region)] = Stubber(client)
            self.stubs[(service, region)].activate()
        return self.stubs[(service, region)]

    def assert_all_used(self) -> None:
        for stubber in self.stubs.values():
            stubber.assert_no_pending_responses()


@contextmanager
def stubbed_clients() -> Iterator[Clients]:
    clients = Clients()
    yield clients
    clients.assert_all_used()
