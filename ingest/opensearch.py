"""The opensearch-py client factory: SigV4 (``aoss`` or ``es``), basic auth, or none."""

from __future__ import annotations

from typing import Any

import boto3
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth, Urllib3HttpConnection

from ingest.config import Settings


def make_client(settings: Settings, session: boto3.Session | None = None) -> OpenSearch:
    """A client for ``settings.endpoint``; retries are the writer's job, so the client's are off."""
    options: dict[str, Any] = {
        "hosts": [settings.endpoint],
        "connection_class": Urllib3HttpConnection,
        "timeout": settings.request_timeout,
        "max_retries": 0,
        "retry_on_timeout": False,
        # One pooled connection per concurrent bulk request, plus one for searches.
        "pool_maxsize": settings.concurrency + 1,
    }
    if settings.auth in ("aoss", "es"):
        session = session or boto3.Session(region_name=settings.region)
        region = settings.region or session.region_name
        if not region:
            raise ValueError("SigV4 needs a region: set --region or AWS_REGION")
        credentials = session.get_credentials()
        if credentials is None:
            raise ValueError("SigV4 needs AWS credentials; none were found")
        # The signer adds x-amz-content-sha256, which Serverless requires.
        options["http_auth"] = Urllib3AWSV4SignerAuth(credentials, region, settings.auth)
    elif settings.auth == "basic":
        if not settings.username:
            raise ValueError("basic auth needs a username (OPENSEARCH_USERNAME)")
        options["http_auth"] = (settings.username, settings.password or "")
    return OpenSearch(**options)
