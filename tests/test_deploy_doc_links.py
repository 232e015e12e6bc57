"""The deployment documents' links to sections (``#anchor``, ``other.md#anchor``) and files
resolve: a renamed heading must not leave a platform team on a dead link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", "CHANGELOG.md", "docs/deploy.md", "docs/runbooks.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text())
    found = {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}
    return found | set(re.findall(r'<a id="([^"]+)"', text))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_links_resolve(document: str) -> None:
    source = ROOT / document
    broken = []
    for target in LINK.findall(FENCE.sub("", source.read_text())):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        path = (source.parent / file_part).resolve() if file_part else source
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert not broken, f"{document}: {broken}"


def test_the_slug_rule() -> None:
    assert slug(" Organization prerequisites, in order") == "organization-prerequisites-in-order"
    assert (
        slug(" The operator role: backfills, replays, redrives")
        == "the-operator-role-backfills-replays-redrives"
    )
    assert slug(" Index templates: new indices only") == "index-templates-new-indices-only"
