"""Pure normalizers: raw AWS log objects -> ECS documents (docs/schema.md)."""

from normalizers.base import SOURCES, DeadLetter, Document, Item, Origin
from normalizers.pipeline import NormalizedObject, ObjectOutcome, normalize_object

__all__ = [
    "SOURCES",
    "DeadLetter",
    "Document",
    "Item",
    "NormalizedObject",
    "ObjectOutcome",
    "Origin",
    "normalize_object",
]
