"""The fields definitions: well-formed, rendered into the docs, and true to the documents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers import docs as generated_docs
from normalizers.delivery import DeliverySpec
from normalizers.ecs.fields import ECS_FIELDS, FINDING_FIELDS
from normalizers.fields import KINDS, Field, raw_names
from normalizers.pipeline import NormalizedObject
from normalizers.registry import DELIVERY_SPECS, SPECS
from normalizers.registry import spec as source_spec
from normalizers.spec import SourceSpec
from normalizers.vpcflow.formats import parse_formats
from tests.conftest import GOLDEN, golden_input

SHARED = {item.path: item for item in (*ECS_FIELDS, *FINDING_FIELDS)}
DELIVERY_OBJECTS = tuple(f"aws.{delivery.name}." for delivery in DELIVERY_SPECS)
SPEC_IDS = [spec.name for spec in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_a_definition_is_well_formed(spec: SourceSpec) -> None:
    paths = [item.path for item in spec.fields]
    assert len(paths) == len(set(paths)), "a path defined twice"
    raw_names(spec.fields)  # raises when two fields claim one raw path
    for item in spec.fields:
        assert item.kind in KINDS, item.path
        description = item.description
        assert description and "\n" not in description and "|" not in description, item.path
        shared = SHARED.get(item.path)
        if shared is not None:
            assert item.kind == shared.kind, f"{item.path}: the shared schema says {shared.kind}"
        else:
            # A source's own fields live in its own object (Elastic's aws.<dataset> names);
            # a delivery path's provenance, in the delivery's (normalizers/delivery.py).
            assert item.path.startswith((spec.dataset + ".", *DELIVERY_OBJECTS)), item.path


@pytest.mark.parametrize("delivery", DELIVERY_SPECS, ids=lambda d: d.name)
def test_every_source_a_delivery_carries_defines_its_provenance_fields(delivery: DeliverySpec) -> None:
    assert delivery.fields and all(item.path.startswith(f"aws.{delivery.name}.") for item in delivery.fields)
    for source in delivery.carries:
        paths = {item.path for item in source_spec(source).fields}
        assert {item.path for item in delivery.fields} <= paths, f"normalizers/{source}/spec.py"


def test_the_shared_definitions_are_well_formed() -> None:
    paths = [item.path for item in (*ECS_FIELDS, *FINDING_FIELDS)]
    assert len(paths) == len(set(paths))
    assert all(item.kind in KINDS and item.description for item in (*ECS_FIELDS, *FINDING_FIELDS))


@pytest.mark.parametrize("spec", (*SPECS, *DELIVERY_SPECS), ids=lambda s: s.name)
def test_the_docs_field_table_is_generated_from_the_definition(spec: SourceSpec | DeliverySpec) -> None:
    page = (generated_docs.DOCS / f"{spec.name}.md").read_text(encoding="utf-8")
    assert generated_docs.render(page, spec) == page, "run: python -m normalizers.docs"


def test_the_schema_table_of_indices_is_generated_from_the_registry() -> None:
    page = (generated_docs.ROOT / "schema.md").read_text(encoding="utf-8")
    assert generated_docs.render_schema(page) == page, "run: python -m normalizers.docs"
    assert all(f"`siem-{spec.index}`" in page and f"`{spec.dataset}`" in page for spec in SPECS)


def test_the_generator_rewrites_only_its_section() -> None:
    spec = SPECS[0]
    begin = generated_docs.BEGIN.format(name=spec.name)
    page = f"# Title\n\nhand-written\n\n{begin}\n| stale |\n{generated_docs.END}\n\nmore\n"
    rendered = generated_docs.render(page, spec)
    assert rendered.startswith(f"# Title\n\nhand-written\n\n{begin}\n| field | type | from | meaning |\n")
    assert rendered.endswith(f"\n{generated_docs.END}\n\nmore\n") and "| stale |" not in rendered
    with pytest.raises(generated_docs.StalePage):
        generated_docs.render("# no section\n", spec)


def _leaves(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{prefix}{key}.")]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, prefix)]
    return [prefix.rstrip(".")]


def _undefined(document: dict[str, Any], fields: tuple[Field, ...]) -> set[str]:
    defined = {item.path for item in fields}
    opaque = tuple(f"{item.path}." for item in fields if item.kind in ("flat_object", "geo_point"))
    return {leaf for leaf in _leaves(document) if leaf not in defined and not leaf.startswith(opaque)}


def _documents(spec: SourceSpec, paths: list[Path]) -> list[dict[str, Any]]:
    documents = []
    for path in paths:
        for keep in (False, True):
            with path.open("rb") as handle:
                origin = Origin(object=str(path), ingested="2026-01-01T00:00:00Z", keep_original=keep)
                documents += [
                    item
                    for item in normalize_object(handle, origin, spec.name)
                    if not isinstance(item, DeadLetter)
                ]
    return documents


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_field_a_golden_document_holds_is_defined(spec: SourceSpec) -> None:
    """The docs' table lists every field the source writes (a flat_object's inside excepted)."""
    cases = sorted(
        p
        for p in (GOLDEN / spec.name).glob("*/input*")
        if not (p.parent / "case.json").exists()
        or json.loads((p.parent / "case.json").read_text()).get("source", "auto") in ("auto", spec.name)
    )
    documents = _documents(spec, cases)
    assert documents
    undefined = set().union(*(_undefined(document, spec.fields) for document in documents))
    assert not undefined, f"not in normalizers/{spec.name}/fields.py: {sorted(undefined)}"


def test_every_field_a_sample_document_holds_is_defined(shared_dir: Path) -> None:
    samples = sorted(
        p for p in (shared_dir / "samples").rglob("*") if p.suffix in (".json", ".jsonl", ".parquet")
    )
    undefined: dict[str, set[str]] = {}
    for path in samples:
        with path.open("rb") as handle:
            origin = Origin(object=str(path), ingested="x", keep_original=True)
            for spec, document in _sourced(normalize_object(handle, origin)):
                undefined.setdefault(spec.name, set()).update(_undefined(document, spec.fields))
    assert not any(undefined.values()), undefined


def _sourced(normalized: NormalizedObject) -> Iterator[tuple[SourceSpec, dict[str, Any]]]:
    """Each document with its source, read as it comes (as the loader picks its index): a
    flow document has no ``event.dataset`` (a constant of its index)."""
    for item in normalized:
        if not isinstance(item, DeadLetter):
            yield source_spec(str(normalized.outcome.source)), item


@pytest.mark.parametrize("delivery", DELIVERY_SPECS, ids=lambda d: d.name)
def test_every_field_a_delivery_golden_document_holds_is_defined_by_its_source(
    delivery: DeliverySpec,
) -> None:
    """A delivery path's documents are its sources' documents: their fields definitions (the
    provenance fields included) hold every field."""
    documents: list[tuple[SourceSpec, dict[str, Any]]] = []
    for path in sorted((GOLDEN / delivery.name).glob("*/input*")):
        case = path.parent / "case.json"
        config = json.loads(case.read_text()) if case.exists() else {}
        formats = parse_formats(config.get("flow_formats", {}))
        for keep in (False, True):
            with golden_input(path) as handle:
                origin = Origin(str(path), "2026-01-01T00:00:00Z", keep_original=keep, flow_formats=formats)
                documents += _sourced(normalize_object(handle, origin))
    assert documents
    undefined = {leaf for spec, document in documents for leaf in _undefined(document, spec.fields)}
    assert not undefined, sorted(undefined)
