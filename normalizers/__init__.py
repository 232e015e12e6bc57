"""Pure normalizers: raw AWS log objects -> ECS documents (docs/schema.md)."""

from normalizers.base import DeadLetter, Document, Item, Origin
from normalizers.pipeline import NormalizedObject, ObjectOutcome, normalize_object
from normalizers.registry import SOURCES

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
