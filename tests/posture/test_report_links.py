"""Each account of the HTML report links to its "Compliance: account drill-down" dashboard over
the period, through the one Dashboards URL builder (opensearch_client.dashboards)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import prison

from opensearch_assets.saved_objects import render
from posture.render import ACCOUNT_DASHBOARD, html_report
from posture.report import AccountReport, parse_period

PERIOD = parse_period("2026-11")
DASHBOARDS = "https://abc123.eu-west-1.aoss.amazonaws.com/_dashboards"


def _links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a[^>]* href="([^"]+)"', page)]


def test_each_account_links_to_its_drill_down_over_the_period() -> None:
    page = html_report([AccountReport("111111111111"), AccountReport("222222222222")], PERIOD, DASHBOARDS)
    links = _links(page)
    assert len(links) == 2
    for account, url in zip(("111111111111", "222222222222"), links, strict=True):
        head, _, fragment = url.partition("#")
        assert head == f"{DASHBOARDS}/app/dashboards"
        path, _, query = fragment.partition("?")
        assert path == f"/view/{ACCOUNT_DASHBOARD}"
        state = dict(part.split("=", 1) for part in query.split("&"))
        assert prison.loads(unquote(state["_g"])) == {
            "time": {"from": "2026-11-01T00:00:00.000Z", "to": "2026-11-30T23:59:59.999Z"}
        }
        assert prison.loads(unquote(state["_a"])) == {
            "query": {"language": "lucene", "query": f'cloud.account.id:"{account}"'}
        }


def test_the_linked_dashboard_is_one_the_assets_install() -> None:
    assert ACCOUNT_DASHBOARD in {item["id"] for item in render() if item["type"] == "dashboard"}


def test_no_link_without_a_dashboards_url() -> None:
    assert _links(html_report([AccountReport("111111111111")], PERIOD)) == []
