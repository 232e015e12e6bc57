"""What a document must carry for an index created under an older template (pure functions).

A source's documents leave some fields to their index template (``SourceSpec.left_to_index``:
``constant_keyword`` constants, field aliases, ``copy_to`` targets). An index's mapping never
changes, so an index created before the template held them (the 0.2.0 ``siem-cloudtrail``, where
``event.dataset`` is a ``keyword``) would not find lean documents by those fields
(``event.dataset:aws.cloudtrail``, ``related.ip``). :func:`backfill` compares what the source
leaves to its index with the live index's mapping and returns what the documents for that
index must write themselves; an index created by the current template needs nothing
(docs/ingest.md, "An index created under an older template").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from normalizers.spec import LeftToIndex

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Backfill:
    """The fields to write into each document bound for one index."""

    constants: tuple[tuple[Path, str], ...] = ()
    """(field, value): a constant the index does not map as ``constant_keyword``."""
    aliases: tuple[tuple[Path, Path], ...] = ()
    """(field, the field it equals): an alias the index does not map as an alias."""
    copies: tuple[tuple[Path, Path], ...] = ()
    """(field, target): a ``copy_to`` the index lacks; the field's values join the target's list."""

    def __bool__(self) -> bool:
        return bool(self.constants or self.aliases or self.copies)

    def merged(self, other: Backfill) -> Backfill:
        """What documents need for both (an alias or pattern naming several indices)."""
        return Backfill(
            tuple(dict.fromkeys(self.constants + other.constants)),
            tuple(dict.fromkeys(self.aliases + other.aliases)),
            tuple(dict.fromkeys(self.copies + other.copies)),
        )

    def fields(self) -> list[str]:
        """The dotted fields it writes (for log lines)."""
        written = [path for path, _ in self.constants] + [path for path, _ in self.aliases]
        written += list(dict.fromkeys(target for _, target in self.copies))
        return [".".join(path) for path in written]

    def fill(self, document: dict[str, Any]) -> None:
        """Write the fields into ``document`` (in place), as documents did before the template
        held them: a field the document already has is left as it is."""
        for path, value in self.constants:
            _set_default(document, path, value)
        for path, target in self.aliases:
            value = _get(document, target)
            if value is not None:
                _set_default(document, path, value)
        for path, target in self.copies:
            value = _get(document, path)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            existing = _get(document, target)
            if existing is None:
                _set_default(document, target, list(dict.fromkeys(values)))
            elif isinstance(existing, list):
                existing.extend(item for item in values if item not in existing)


def live_fields(properties: Mapping[str, Any], prefix: str = "") -> dict[str, Mapping[str, Any]]:
    """An index mapping's ``properties`` flattened to ``{dotted path: field mapping}``."""
    out: dict[str, Mapping[str, Any]] = {}
    for name, spec in properties.items():
        if not isinstance(spec, Mapping):
            continue
        path = f"{prefix}{name}"
        inner = spec.get("properties")
        if isinstance(inner, Mapping):
            out.update(live_fields(inner, f"{path}."))
        else:
            out[path] = spec
    return out


def backfill(left: LeftToIndex, live: Mapping[str, Mapping[str, Any]]) -> Backfill:
    """What documents for an index mapped as ``live`` (from :func:`live_fields`) must write of
    what the source leaves to its index: each constant the index does not map as a
    ``constant_keyword``, each alias it does not map as an alias, each ``copy_to`` it lacks."""
    constants = tuple(
        (_split(path), value)
        for path, value in left.constants.items()
        if live.get(path, {}).get("type") != "constant_keyword"
    )
    aliases = tuple(
        (_split(path), _split(target))
        for path, target in left.aliases.items()
        if live.get(path, {}).get("type") != "alias"
    )
    copies = tuple(
        (_split(path), _split(target))
        for path, target in left.copies.items()
        if target not in _as_list(live.get(path, {}).get("copy_to"))
    )
    return Backfill(constants, aliases, copies)


def unknown_index_backfill(left: LeftToIndex) -> Backfill:
    """What documents write for an index whose mapping is not known (it could not be read, or
    the index does not exist yet and the template that will create it may be an older one):
    every constant and every ``copy_to`` target, which any mapping accepts (a
    ``constant_keyword`` takes its own value; a target takes values given beside its copies),
    so no document loses a match. Never the aliases: an index that maps them refuses a value
    written to an alias, so they are written only into an index known to lack them."""
    full = backfill(left, {})
    return Backfill(full.constants, (), full.copies)


def _split(path: str) -> Path:
    return tuple(path.split("."))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _get(document: Mapping[str, Any], path: Path) -> Any:
    value: Any = document
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _set_default(document: dict[str, Any], path: Path, value: Any) -> None:
    parent = document
    for part in path[:-1]:
        child = parent.get(part)
        if not isinstance(child, dict):
            if child is not None:
                return  # a scalar where an object belongs: the document's own, left alone
            child = parent[part] = {}
        parent = child
    parent.setdefault(path[-1], value)
