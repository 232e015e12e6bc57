"""Clients for an endpoint described by :class:`ConnectionSettings`: opensearch-py for the REST
API, a requests session for the Dashboards API (saved objects import)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import boto3
import orjson
import requests
from opensearchpy import (
    JSONSerializer,
    OpenSearch,
    RequestsAWSV4SignerAuth,
    Urllib3AWSV4SignerAuth,
    Urllib3HttpConnection,
)

from opensearch_client.settings import SIGV4_MODES, ConnectionConfigError, ConnectionSettings

_RAW_ANSWERS: ContextVar[bool] = ContextVar("raw_answers", default=False)


@contextmanager
def raw_answers() -> Iterator[None]:
    """Within it, in this thread, a client of :func:`make_client` returns each JSON answer as its
    text, unread: the caller reads what it needs of it (the bulk writer reads the items of a
    ``_bulk`` answer only when it says some failed, :func:`read_answer` the rest). A client
    built otherwise still returns what it read; errors are raised as always."""
    token = _RAW_ANSWERS.set(True)
    try:
        yield
    finally:
        _RAW_ANSWERS.reset(token)


class AnswerSerializer(JSONSerializer):
    """opensearch-py's JSON serializer, reading answers with orjson (a ``_bulk`` answer has one
    item per document: read with the standard library, it took the bulk writer about a tenth of
    the ingest path's time), or not at all within :func:`raw_answers`."""

    def loads(self, s: str) -> Any:
        if _RAW_ANSWERS.get():
            return s
        return read_answer(s)


def read_answer(text: str) -> Any:
    """A JSON answer's value; raises opensearch-py's ``SerializationError`` when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # lone surrogates, integers beyond 64 bits: as before
        return _STANDARD.loads(text)


_STANDARD = JSONSerializer()


def make_client(
    settings: ConnectionSettings,
    *,
    pool_maxsize: int = 10,
    max_retries: int = 0,
    session: boto3.Session | None = None,
) -> OpenSearch:
    """An opensearch-py client for ``settings.endpoint``.

    Retries are off by default: the callers that retry (the bulk writer, the asset installer's
    custom resource) do it themselves, with their own deadline. ``pool_maxsize`` is the number
    of connections kept open: one per concurrent request.
    """
    options: dict[str, Any] = {
        "hosts": [settings.endpoint],
        "connection_class": Urllib3HttpConnection,
        "timeout": settings.timeout,
        "max_retries": max_retries,
        "retry_on_timeout": False,
        "pool_maxsize": pool_maxsize,
        "serializer": AnswerSerializer(),
    }
    if settings.auth in SIGV4_MODES:
        credentials, region = _aws_credentials(settings, session)
        # The signer adds x-amz-content-sha256, which Serverless requires.
        options["http_auth"] = Urllib3AWSV4SignerAuth(credentials, region, settings.auth)
    elif settings.auth == "basic":
        options["http_auth"] = _basic_credentials(settings)
    return OpenSearch(**options)


def dashboards_session(
    settings: ConnectionSettings, session: boto3.Session | None = None
) -> requests.Session:
    """A requests session that authenticates to OpenSearch Dashboards as ``settings`` says
    (Serverless and managed domains sign Dashboards API calls with SigV4 too)."""
    http = requests.Session()
    if settings.auth in SIGV4_MODES:
        credentials, region = _aws_credentials(settings, session)
        http.auth = RequestsAWSV4SignerAuth(credentials, region, settings.auth)
    elif settings.auth == "basic":
        http.auth = _basic_credentials(settings)
    return http


def _aws_credentials(settings: ConnectionSettings, session: boto3.Session | None) -> tuple[Any, str]:
    """Credentials from the usual AWS chain (environment, profile, instance or Lambda role)."""
    session = session or boto3.Session(region_name=settings.region)
    region = settings.region or session.region_name
    if not region:
        raise ConnectionConfigError("SigV4 needs a region: set --region or AWS_REGION")
    credentials = session.get_credentials()
    if credentials is None:
        raise ConnectionConfigError(
            "SigV4 needs AWS credentials; none were found (set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables)"
        )
    return credentials, region


def _basic_credentials(settings: ConnectionSettings) -> tuple[str, str]:
    if not settings.username:
        raise ConnectionConfigError("basic auth needs a username (OPENSEARCH_USERNAME)")
    return settings.username, settings.password or ""
