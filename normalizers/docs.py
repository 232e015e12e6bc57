"""Write the docs' tables that the sources' specs define: the field table of each
``docs/sources/<source>.md`` (from its fields definition) and the table of indices in
``docs/schema.md`` (from the registry).

    python -m normalizers.docs           # rewrite the generated sections
    python -m normalizers.docs --check   # exit 1 when a page is not what the specs say

Each generated section sits between a ``<!-- ... generated ... -->`` line and :data:`END`; the
rest of a page is written by hand. A test runs the check, so a field or a source added
without ``python -m normalizers.docs`` fails the build.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from normalizers.delivery import DeliverySpec
from normalizers.fields import Field
from normalizers.registry import DELIVERY_SPECS, SPECS
from normalizers.spec import SourceSpec

ROOT = Path(__file__).resolve().parent.parent / "docs"
DOCS = ROOT / "sources"
BEGIN = "<!-- fields: generated from normalizers/{name}/fields.py by `python -m normalizers.docs` -->"
"""A source's page; a delivery path's too (``normalizers/<delivery>/fields.py``)."""
SOURCES_BEGIN = "<!-- sources: generated from normalizers/registry.py by `python -m normalizers.docs` -->"
END = "<!-- end of generated section -->"


class StalePage(ValueError):
    pass


def table(fields: tuple[Field, ...]) -> str:
    """The fields as a Markdown table: field, type, raw path, description."""
    rows = ["| field | type | from | meaning |", "|---|---|---|---|"]
    for item in fields:
        raw = f"`{item.raw}`" if item.raw else ""
        rows.append(f"| `{item.path}` | {item.kind} | {raw} | {item.description} |")
    return "\n".join(rows)


def sources_table(specs: tuple[SourceSpec, ...]) -> str:
    """The indices of docs/schema.md: one row per source, from its spec and fields."""
    rows = [
        "| source | index | `event.dataset` | `event.module` | `event.provider` |",
        "|---|---|---|---|---|",
    ]
    for spec in specs:
        described = {item.path: item.description for item in spec.fields}
        title = f"[{spec.title}](sources/{spec.name}.md)"
        provider = next(item for item in spec.fields if item.path == "event.provider")
        provider_text = f"`{provider.raw}`: {provider.description}" if provider.raw else provider.description
        module = described["event.module"]
        rows.append(f"| {title} | `siem-{spec.index}` | `{spec.dataset}` | {module} | {provider_text} |")
    return "\n".join(rows)


def _replaced(page: str, begin: str, content: str, where: str) -> str:
    start = page.find(begin)
    end = page.find(END, start)
    if start < 0 or end < 0:
        raise StalePage(f"{where} has no section between {begin!r} and {END!r}")
    return page[: start + len(begin)] + "\n" + content + "\n" + page[end:]


def render(page: str, spec: SourceSpec | DeliverySpec) -> str:
    """``page`` with its generated section rewritten from ``spec.fields`` (a delivery path's
    page: its provenance fields)."""
    return _replaced(page, BEGIN.format(name=spec.name), table(spec.fields), f"docs/sources/{spec.name}.md")


def render_schema(page: str) -> str:
    """docs/schema.md with its table of indices rewritten from the registry."""
    return _replaced(page, SOURCES_BEGIN, sources_table(SPECS), "docs/schema.md")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m normalizers.docs", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report the pages that are not up to date")
    args = parser.parse_args(argv)
    pages: list[tuple[Path, Callable[[str], str]]] = [
        *((DOCS / f"{spec.name}.md", partial(render, spec=spec)) for spec in SPECS),
        *((DOCS / f"{found.name}.md", partial(render, spec=found)) for found in DELIVERY_SPECS),
        (ROOT / "schema.md", render_schema),
    ]
    stale = []
    for path, rewrite in pages:
        page = path.read_text(encoding="utf-8")
        try:
            rendered = rewrite(page)
        except StalePage as error:
            print(error, file=sys.stderr)
            return 1
        if rendered == page:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_text(rendered, encoding="utf-8")
    if stale:
        verb = "stale" if args.check else "rewritten"
        print(f"{verb}: {', '.join(stale)}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
