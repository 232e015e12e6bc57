"""Read values out of nested ECS documents by dotted path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def values(document: Any, path: str) -> list[Any]:
    """Every scalar at ``path`` (``a.b.c``), looking through lists at any level.

    Also accepts documents whose keys are already dotted (``{"a.b": ...}``), as
    ``_source`` filtering and some writers produce.
    """
    return [value for value in _walk(document, path.split(".")) if value is not None and value != ""]


def first(document: Any, path: str) -> Any:
    found = values(document, path)
    return found[0] if found else None


def obj(document: Any, path: str) -> dict[str, Any]:
    """The object at ``path`` (the first, if a list holds several), else ``{}``."""
    found = objects(document, path)
    return found[0] if found else {}


def objects(document: Any, path: str) -> list[dict[str, Any]]:
    """Every object at ``path``, looking through lists at any level."""
    return [node for node in _walk(document, path.split("."), objects=True) if isinstance(node, dict)]


def text(document: Any, path: str) -> str | None:
    value = first(document, path)
    return None if value is None else str(value)


def _walk(node: Any, parts: list[str], objects: bool = False) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, parts, objects)
        return
    if not parts:
        if objects or not isinstance(node, dict):
            yield node
        return
    if not isinstance(node, dict):
        return
    for size in range(len(parts), 0, -1):
        key = ".".join(parts[:size])
        if key in node:
            yield from _walk(node[key], parts[size:], objects)


_SESSION_TYPES = ("AssumedRole", "FederatedUser")


def identity_of(document: Any, block: str = "aws.cloudtrail") -> dict[str, Any]:
    """``<block>.user_identity`` with the principal id, session name and user name put back.

    Documents keep those in ``user.id`` and ``user.name`` only (docs/schema.md), so that
    no byte is stored twice; the chain logic reads them beside the rest.
    """
    identity = dict(obj(document, f"{block}.user_identity"))
    if not identity:
        return identity
    principal = text(document, "user.id")
    if principal:
        identity.setdefault("principal_id", principal)
    name = text(document, "user.name")
    if name and identity.get("type") in _SESSION_TYPES:
        identity.setdefault("session_name", name)
    elif name and identity.get("type") != "Root":
        identity.setdefault("user_name", name)
    return identity
