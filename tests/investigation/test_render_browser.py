"""The HTML report in a real browser (headless Chromium, Debian's package): the page a browser
builds from hostile record values links only the product's dashboard, and its Content Security
Policy keeps it from loading anything (a tracking beacon would tell a third party that a
finding is being looked at). Skipped where Chromium is not installed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from investigation import render
from tests.html_pages.browser import SKIP, load
from tests.investigation.test_render_injection import (
    DASHBOARDS,
    HTML_ATTRIBUTE,
    MARKDOWN,
    TERMINAL,
    URL_AT_END,
    Elements,
    report,
)

pytestmark = SKIP


class _Hits(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def beacon() -> Iterator[tuple[str, list[str]]]:
    """A server on the loopback address that records every request (a tracking pixel)."""
    hits: list[str] = []
    handler = type("Handler", (_Hits,), {"paths": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def dom(page: str, tmp_path: Path) -> str:
    """The document Chromium builds from ``page`` once loaded, as HTML."""
    return load(page, tmp_path).dom


def test_the_browser_links_only_the_dashboard(tmp_path: Path) -> None:
    hostile = f"{MARKDOWN} {HTML_ATTRIBUTE} {TERMINAL} {URL_AT_END}"
    built = Elements.of(dom(render(report(hostile), "html"), tmp_path))

    assert built.links == [DASHBOARDS]
    assert not {"img", "script", "iframe", "object", "embed"} & built.tags
    assert any(text.endswith("https://evil.example/trailing") for text in built.texts)


def test_the_page_loads_nothing_even_if_an_image_slipped_in(
    tmp_path: Path, beacon: tuple[str, list[str]]
) -> None:
    url, hits = beacon
    page = render(report("x"), "html").replace("<body>", f'<body><img src="{url}/beacon.png">')
    without_policy = "\n".join(line for line in page.splitlines() if "Content-Security-Policy" not in line)

    dom(page, tmp_path)
    assert hits == []
    dom(without_policy, tmp_path)  # the same page without its policy does call out
    assert hits == ["/beacon.png"]
