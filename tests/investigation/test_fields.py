"""Every field name the investigation queries is one the fields definitions define."""

from __future__ import annotations

import investigation.fields as f
from enrichment.fields import enrichment_fields
from normalizers.ecs.fields import ECS_FIELDS
from normalizers.registry import SPECS

DEFINED = {item.path: item for item in ECS_FIELDS} | {
    item.path: item for spec in SPECS for item in spec.fields
}
ENRICHMENT = enrichment_fields()
"""The fields enrichment adds at ingest (docs/enrichment.md), mapped in every index."""


def _known(name: str) -> bool:
    """A defined field, its text field's ``.keyword``, an object of defined fields, or a path
    inside a flat_object field."""
    if name in DEFINED or name in ENRICHMENT:
        return True
    base, _, sub = name.rpartition(".")
    if sub == "keyword" and DEFINED.get(base) is not None and DEFINED[base].kind == "text":
        return True
    if any(path.startswith(name + ".") for path in DEFINED):
        return True
    return any(name.startswith(path + ".") for path, item in DEFINED.items() if item.kind == "flat_object")


def test_every_field_constant_is_defined() -> None:
    constants = {key: value for key, value in vars(f).items() if key.isupper() and isinstance(value, str)}
    names = [*constants.values(), *f.FINDING_ID_FIELDS]
    assert len(constants) > 20
    unknown = sorted(name for name in names if not _known(name))
    assert not unknown, f"not in any fields definition: {unknown}"


def test_the_check_has_teeth() -> None:
    assert _known("user_agent.original.keyword") and _known("aws.cloudtrail.user_identity")
    assert _known("aws.cloudtrail.response_elements.credentials.accessKeyId")
    assert not _known("aws.cloudtrail.user_identity.nope") and not _known("event.action.keyword")
