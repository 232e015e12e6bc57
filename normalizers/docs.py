"""Write the field table of each ``docs/sources/<source>.md`` from the source's fields definition.

    python -m normalizers.docs           # rewrite the generated section of every page
    python -m normalizers.docs --check   # exit 1 when a page is not what the definitions say

Each page holds one section between :data:`BEGIN` and :data:`END`; the rest of the page is
written by hand. A test runs the check, so a field added to ``normalizers/<source>/fields.py``
without ``python -m normalizers.docs`` fails the build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from normalizers.fields import Field
from normalizers.registry import SPECS
from normalizers.spec import SourceSpec

DOCS = Path(__file__).resolve().parent.parent / "docs" / "sources"
BEGIN = "<!-- fields: generated from normalizers/{name}/fields.py by `python -m normalizers.docs` -->"
END = "<!-- end of generated fields -->"


class StalePage(ValueError):
    pass


def table(fields: tuple[Field, ...]) -> str:
    """The fields as a Markdown table: field, type, raw path, description."""
    rows = ["| field | type | from | meaning |", "|---|---|---|---|"]
    for item in fields:
        raw = f"`{item.raw}`" if item.raw else ""
        rows.append(f"| `{item.path}` | {item.kind} | {raw} | {item.description} |")
    return "\n".join(rows)


def render(page: str, spec: SourceSpec) -> str:
    """``page`` with its generated section rewritten from ``spec.fields``."""
    begin = BEGIN.format(name=spec.name)
    start, end = page.find(begin), page.find(END)
    if start < 0 or end < start:
        raise StalePage(f"docs/sources/{spec.name}.md has no section between {begin!r} and {END!r}")
    return page[: start + len(begin)] + "\n" + table(spec.fields) + "\n" + page[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m normalizers.docs", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report the pages that are not up to date")
    args = parser.parse_args(argv)
    stale = []
    for spec in SPECS:
        path = DOCS / f"{spec.name}.md"
        page = path.read_text(encoding="utf-8")
        try:
            rendered = render(page, spec)
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
