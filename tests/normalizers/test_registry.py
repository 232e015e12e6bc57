"""The one list of sources: every unit registered, every consumer reading the registry."""

from __future__ import annotations

import ast
from pathlib import Path

from normalizers import SOURCES
from normalizers.registry import DELIVERIES, DELIVERY_SPECS, SPECS, delivery, normalizer, spec
from tests.conftest import GOLDEN, PROJECT

PACKAGES = (
    "normalizers",
    "ingest",
    "detections",
    "investigation",
    "opensearch_assets",
    "infra",
    "demo",
    "benchmarks",
)


def test_every_unit_folder_is_a_registered_source_with_its_golden_cases_and_docs_page() -> None:
    units = sorted(path.parent.name for path in (PROJECT / "normalizers").glob("*/spec.py"))
    assert units == sorted(SOURCES)
    for name in SOURCES:
        assert spec(name).name == name and spec(name).index == name
        assert callable(normalizer(name))
        assert (GOLDEN / name).is_dir(), f"tests/golden/{name}/"
        assert (PROJECT / "docs" / "sources" / f"{name}.md").is_file(), f"docs/sources/{name}.md"
    assert [item.name for item in SPECS] == list(SOURCES)


def test_every_delivery_folder_is_registered_with_its_golden_cases_and_docs() -> None:
    units = sorted(path.parent.name for path in (PROJECT / "normalizers").glob("*/delivery.py"))
    assert units == sorted(DELIVERIES) and not set(units) & set(SOURCES)
    for name in DELIVERIES:
        found = delivery(name)
        assert found.name == name and callable(found.load())
        assert found.carries and set(found.carries) <= set(SOURCES)
        assert (GOLDEN / name).is_dir(), f"tests/golden/{name}/"
        assert (PROJECT / "docs" / "sources" / f"{name}.md").is_file(), f"docs/sources/{name}.md"
    assert [item.name for item in DELIVERY_SPECS] == list(DELIVERIES)


def _source_lists(path: Path) -> list[int]:
    """Lines holding a literal list, tuple, set or dict (keys) that names three sources or more."""
    names = set(SOURCES)
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements = node.elts
        elif isinstance(node, ast.Dict):
            elements = [key for key in node.keys if key is not None]
        else:
            continue
        strings = [e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        named = {value for value in strings if value in names}
        # Three or more sources and nothing else: a list of AWS services that merely includes
        # "cloudtrail" or "guardduty" among others is not a list of our sources.
        if len(named) >= 3 and len(named) == len(strings):
            lines.append(node.lineno)
    return lines


def test_the_list_of_sources_is_written_once() -> None:
    """Infra, assets, demo, investigation, detections and the CLI read the registry: adding a
    source touches none of them (docs/sources/README.md, "Adding a source")."""
    found = {
        str(path.relative_to(PROJECT)): lines
        for package in PACKAGES
        for path in sorted((PROJECT / package).rglob("*.py"))
        if (lines := _source_lists(path))
    }
    assert list(found) == ["normalizers/registry.py"] and len(found["normalizers/registry.py"]) == 1, found
