"""Which term of a document Lucene would refuse under a mapping, as Serverless indexes it.

Used by :mod:`ingest.serverless_guard`: Lucene refuses a document holding one indexed term
longer than :data:`~normalizers.terms.MAX_TERM_BYTES` UTF-8 bytes. The terms a value becomes:

- ``keyword`` (and a ``keyword`` sub-field): the whole value, unless ``ignore_above`` (counted
  in UTF-16 code units, as Java does) leaves it unindexed, or it is neither indexed nor has
  doc values;
- ``flat_object``: for each leaf, the strictest of its sub-fields, ``_valueAndPath``:
  ``<field>.<key path>=<value>`` (``_path`` and ``_value`` are shorter); the OpenSearch
  versions that take ``ignore_above`` on it are not known to be Serverless's, so none is
  assumed;
- a ``copy_to`` target: the value again, under the target's mapping;
- ``text`` is split into words (the standard tokenizer cuts at 255 characters), other types
  are parsed into numbers, dates, addresses; an unmapped field (``dynamic: false``) is not
  indexed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from normalizers.terms import MAX_TERM_BYTES


@dataclass(frozen=True, slots=True)
class ImmenseTerm:
    field: str
    """The indexed field: ``aws.cloudtrail.request_parameters._valueAndPath``."""
    term: bytes


def immense_term(document: Mapping[str, Any], properties: Mapping[str, Any]) -> ImmenseTerm | None:
    """The first term of ``document`` over the limit under mapping ``properties``, if any."""
    return next(_immense(document, properties, properties, ""), None)


def lucene_error(found: ImmenseTerm) -> dict[str, Any]:
    """The error of a bulk item Lucene refused for ``found``, as OpenSearch words it."""
    length = len(found.term)
    cause = f"bytes can be at most {MAX_TERM_BYTES} in length; got {length}"
    return {
        "type": "illegal_argument_exception",
        "reason": (
            f'Document contains at least one immense term in field="{found.field}" (whose UTF8 '
            f"encoding is longer than the max length {MAX_TERM_BYTES}), all of which were skipped. "
            "Please correct the analyzer to not produce such terms. The prefix of the first "
            f"immense term is: '{list(found.term[:30])}...', original message: {cause}"
        ),
        "caused_by": {"type": "max_bytes_length_exceeded_exception", "reason": cause},
    }


def _immense(
    value: Any, properties: Mapping[str, Any], root: Mapping[str, Any], prefix: str
) -> Iterator[ImmenseTerm]:
    for item in _elements(value):
        if not isinstance(item, Mapping):
            continue
        for key, child in item.items():
            spec = properties.get(key)
            if isinstance(spec, Mapping):
                yield from _in_field(child, spec, root, f"{prefix}{key}")


def _in_field(
    value: Any, spec: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> Iterator[ImmenseTerm]:
    if spec.get("enabled") is False:
        return
    if "properties" in spec:
        yield from _immense(value, spec["properties"], root, f"{path}.")
        return
    kind = spec.get("type")
    if kind == "flat_object":
        for item in _elements(value):
            for key_path, leaf in _leaves(item, path):
                term = f"{key_path}={leaf}".encode("utf-8", "surrogatepass")
                if len(term) > MAX_TERM_BYTES:
                    yield ImmenseTerm(f"{path}._valueAndPath", term)
    elif kind == "keyword" and (spec.get("index", True) is not False or spec.get("doc_values", True)):
        limit = spec.get("ignore_above")
        for item in _elements(value):
            if not isinstance(item, str) or (limit is not None and _java_length(item) > limit):
                continue
            term = item.encode("utf-8", "surrogatepass")
            if len(term) > MAX_TERM_BYTES:
                yield ImmenseTerm(path, term)
    for name, sub in spec.get("fields", {}).items():
        yield from _in_field(value, sub, root, f"{path}.{name}")
    targets = spec.get("copy_to", ())
    for target in [targets] if isinstance(targets, str) else targets:
        target_spec = _spec_at(root, target)
        if target_spec is not None:
            yield from _in_field(value, target_spec, root, target)


def _elements(value: Any) -> Iterator[Any]:
    """A value's elements, arrays flattened (an array holds several values of one field)."""
    if isinstance(value, list):
        for item in value:
            yield from _elements(item)
    elif value is not None:
        yield value


def _leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(key path, value as text)`` of each leaf of a ``flat_object`` value."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _leaves(child, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    elif isinstance(value, bool):
        yield path, "true" if value else "false"
    elif value is not None:
        yield path, str(value)


def _spec_at(properties: Mapping[str, Any], dotted: str) -> Mapping[str, Any] | None:
    *parents, leaf = dotted.split(".")
    node: Any = properties
    for part in parents:
        node = node.get(part, {}).get("properties", {}) if isinstance(node, Mapping) else {}
    spec = node.get(leaf) if isinstance(node, Mapping) else None
    return spec if isinstance(spec, Mapping) else None


def _java_length(value: str) -> int:
    """The length Java counts for ``ignore_above``: UTF-16 code units."""
    return len(value) + sum(1 for char in value if ord(char) > 0xFFFF)
