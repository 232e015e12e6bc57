"""The URL field formatters of the index patterns: valid, pointing at saved objects that
exist, opening the same URL the investigation builds for the same value, under any base
path, and filtering on the right documents.

How Dashboards turns a template into a link is taken from its URL formatter
(``src/plugins/data/common/field_formats/converters/url.ts``, ``htmlConvert`` for type ``a``):
``{{value}}`` becomes ``encodeURIComponent(value)``; a relative URL gets a prefix: ``#...``
the current page, a URL starting with the base path the origin, anything else
``<origin><base path>/app`` (and ``/`` unless the URL starts with one). The browser then
removes the ``..`` segments of the path.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

import prison
import pytest
from opensearchpy import OpenSearch

from investigation import dashboards as investigation_links
from opensearch_assets import catalogue
from opensearch_assets.catalogue import FIELD_LINKS, FINDING_INVESTIGATION_ID, index_pattern_title
from opensearch_assets.execute import query_clause
from opensearch_assets.links import PIVOT_WINDOW, VALUE
from opensearch_assets.saved_objects import NDJSON_PATH
from opensearch_assets.templates import install_templates
from tests.assets import fixtures as fx
from tests.assets.indexing import PREFIX, index_documents

OBJECTS: list[dict[str, Any]] = [json.loads(line) for line in NDJSON_PATH.read_text().splitlines()]
BY_ID = {obj["id"]: obj for obj in OBJECTS}
PATTERNS = [obj for obj in OBJECTS if obj["type"] == "index-pattern"]
ORIGIN = "https://abc123.us-east-1.aoss.amazonaws.com"
SERVERLESS = "/_dashboards"
"""The base path of Dashboards on Serverless (and on managed domains)."""
PAGE = f"{SERVERLESS}/app/data-explorer/discover"


def encode_uri_component(value: str) -> str:
    """ECMAScript ``encodeURIComponent``: everything but ``A-Z a-z 0-9 - _ . ! ~ * ' ( )``."""
    return quote(value, safe="-_.!~*'()")


def formatter_href(params: dict[str, Any], value: str, base_path: str, page: str = PAGE) -> str:
    """The ``href`` Dashboards' URL formatter writes for ``value`` (see the module docstring)."""
    url = params["urlTemplate"].replace(VALUE, encode_uri_component(value))
    if re.match(r"(https?://|mailto:|data:)", url):
        return str(url)
    if url.startswith("#"):
        prefix = ORIGIN + page
    elif url.startswith(base_path or "/"):
        prefix = ORIGIN
    else:
        prefix = f"{ORIGIN}{base_path}/app{'' if url.startswith('/') else '/'}"
    return f"{prefix}{url}"


def browser_url(href: str) -> str:
    """The URL a browser opens for ``href``: ``.`` and ``..`` path segments removed."""
    parts = urlsplit(href)
    segments: list[str] = []
    for segment in parts.path.split("/")[1:]:
        if segment == "..":
            segments = segments[:-1]
        elif segment != ".":
            segments.append(segment)
    return urlunsplit(parts._replace(path="/" + "/".join(segments)))


def app_query(url: str) -> str:
    """The Lucene query bar a dashboard URL opens with (its ``_a`` decoded as Dashboards
    decodes the hash's query: ``+`` is a space, then percent-decoding, then Rison)."""
    state = parse_qs(urlsplit(url).fragment.split("?", 1)[1])["_a"][0]
    query: str = prison.loads(state)["query"]["query"]
    return query


def _formats(pattern: dict[str, Any]) -> dict[str, dict[str, Any]]:
    formats: dict[str, dict[str, Any]] = json.loads(pattern["attributes"]["fieldFormatMap"])
    return formats


def _link_of(field: str) -> catalogue.FieldLink:
    return next(link for link in FIELD_LINKS if field in link.fields)


def _investigation_url(base_path: str, field: str, value: str) -> str:
    """What investigation/dashboards.py builds for the same value and window."""
    query = investigation_links.lucene_or(
        *(investigation_links.lucene_any(name, [value]) for name in _link_of(field).query_fields)
    )
    return investigation_links.dashboard_url(ORIGIN + base_path, *PIVOT_WINDOW, query)


def test_every_pattern_links_each_pivot_field_it_holds() -> None:
    for pattern in PATTERNS:
        held = {field["name"] for field in json.loads(pattern["attributes"]["fields"])}
        formats = _formats(pattern)
        linked = {name for link in FIELD_LINKS for name in link.fields}
        assert set(formats) == linked & held, pattern["id"]
        assert {"related.user", "related.ip", "source.ip"} <= set(formats), pattern["id"]
    assert {"aws.guardduty.id", "aws.guardduty.user_identity.access_key_id"} <= set(
        _formats(BY_ID["siem-all"])
    )


def test_formatters_are_url_links_with_the_value_placeholder_and_an_existing_target() -> None:
    for pattern in PATTERNS:
        for field, spec in _formats(pattern).items():
            assert spec["id"] == "url" and spec["params"]["type"] == "a", field
            assert spec["params"]["labelTemplate"] == VALUE, field
            template = spec["params"]["urlTemplate"]
            # The placeholder as is (Dashboards encodes the value), once per query field.
            assert template.count(VALUE) == len(_link_of(field).query_fields), field
            assert "{{rawValue}}" not in template and "%7B" not in template.upper(), field
            assert template.startswith("../app/dashboards#/view/"), field
            target = template.split("#/view/", 1)[1].split("?", 1)[0]
            assert BY_ID[target]["type"] == "dashboard" and target == FINDING_INVESTIGATION_ID


VALUES = [
    ("aws.guardduty.id", "gd-fixture-high"),
    ("aws.cloudtrail.user_identity.access_key_id", fx.MALLORY_KEY),
    ("user.name", "fixture-alice"),
    ("user.name", "fixture-dave@example.com"),
    ("source.ip", fx.ATTACKER_IP),
    ("related.ip", "10.0.1.5"),
]
"""Values that encodeURIComponent and the investigation percent-encode alike."""
ENCODED_VALUES = [
    (
        "aws.guardduty.arn",
        f"arn:aws:guardduty:us-east-1:{fx.ACCOUNT}:detector/fixture0detector/finding/gd-fixture-critical",
    ),
    ("related.ip", "2001:db8::1"),
    ("related.user", "AROAFIXTUREADMINROLE:fixture-mallory-session"),
]
"""Values with characters (``:``, ``/``) that encodeURIComponent encodes and the
investigation does not: the same URL once percent-decoded."""


@pytest.mark.parametrize("base_path", [SERVERLESS, ""], ids=["serverless", "no-base-path"])
@pytest.mark.parametrize(("field", "value"), VALUES, ids=[field for field, _ in VALUES])
def test_a_formatted_value_opens_the_url_the_investigation_builds(
    base_path: str, field: str, value: str
) -> None:
    params = _formats(BY_ID["siem-all"])[field]["params"]
    opened = browser_url(formatter_href(params, value, base_path))
    assert opened == _investigation_url(base_path, field, value)
    assert opened.startswith(f"{ORIGIN}{base_path}/app/dashboards#/view/{FINDING_INVESTIGATION_ID}?")


@pytest.mark.parametrize("base_path", [SERVERLESS, ""], ids=["serverless", "no-base-path"])
@pytest.mark.parametrize(("field", "value"), ENCODED_VALUES, ids=[field for field, _ in ENCODED_VALUES])
def test_an_encoded_value_opens_the_same_view(base_path: str, field: str, value: str) -> None:
    params = _formats(BY_ID["siem-all"])[field]["params"]
    opened = browser_url(formatter_href(params, value, base_path))
    expected = _investigation_url(base_path, field, value)
    assert opened != expected and unquote(opened) == unquote(expected)
    assert app_query(opened) == app_query(expected)


def test_a_template_from_slash_app_would_break_under_a_base_path() -> None:
    """Why the templates start with ``../``: ``/app/...`` gets ``<base path>/app`` in front."""
    params = _formats(BY_ID["siem-all"])["source.ip"]["params"]
    rooted = {**params, "urlTemplate": params["urlTemplate"].removeprefix("..")}
    assert "/_dashboards/app/app/dashboards#" in browser_url(
        formatter_href(rooted, fx.ATTACKER_IP, SERVERLESS)
    )
    assert browser_url(formatter_href(rooted, fx.ATTACKER_IP, "")) == _investigation_url(
        "", "source.ip", fx.ATTACKER_IP
    )


# (field, value, fixture cases the opened dashboard's query bar selects)
FILTERS = [
    ("aws.guardduty.id", "gd-fixture-high", {"gd-fixture-high"}),
    ("aws.securityhub_findings.id", "sh-fixture-passed", {"sh-fixture-passed"}),
    (
        "aws.cloudtrail.user_identity.access_key_id",
        fx.CHAIN_KEY,
        {"ct-session-list-secrets", "ct-assume-role"},  # the call that issued the key names it too
    ),
    ("user.name", "fixture-dave@example.com", {"ct-console-role"}),
    ("destination.ip", "10.0.1.5", {f"flow:{fx.SCANNER_IP}:REJECT", f"flow:{fx.CLIENT_IP}:ACCEPT"}),
]


@pytest.mark.integration
def test_the_opened_dashboard_filters_on_the_value(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    documents = fx.fixture_documents()
    assert index_documents(engine, documents) == []
    index = index_pattern_title(catalogue.ALL, PREFIX)
    for field, value, expected in FILTERS:
        params = _formats(BY_ID["siem-all"])[field]["params"]
        query = app_query(browser_url(formatter_href(params, value, SERVERLESS)))
        # The dashboard's panels (its "Events" count) run their saved query with the bar: no
        # network activity copies of calls.
        shown = f"({query}) AND ({catalogue.INV_COUNT.lucene()})"
        answer = engine.search(index=index, body={"query": query_clause(shown), "size": 100})
        assert {fx.key_of(hit["_source"]) for hit in answer["hits"]["hits"]} == expected, field
