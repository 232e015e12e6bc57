"""Does a document fit its index template? What the engine would refuse (a 400) or leave unmapped.

Each leaf of the document must be a mapped field of the index (or lie under a ``flat_object``
or a ``geo_point`` the template declares: :func:`tests.assets.test_templates._unmapped_paths`'s
rule) and hold a value of a compatible type: any scalar in a ``keyword`` (the engine indexes
its text), a number in a numeric field, a date the ``date`` field parses, an address in an
``ip`` field, an object in a ``flat_object``. An object where the template has a leaf, or a
leaf where it has an object, is a mapping conflict too.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from normalizers.ecs.timestamps import timestamp
from opensearch_assets.templates import index_fields

_INTEGERS = {"long": 2**63, "integer": 2**31, "short": 2**15, "byte": 2**7}
_FLOAT_MAX = {"float": 3.4028234663852886e38, "half_float": 65504.0}
"""The largest finite value of OpenSearch's 32- and 16-bit floats: a number beyond it parses to
infinity, which the engine refuses ("supports only finite values")."""
_FLOATS = {"float", "double", "half_float", "scaled_float"}
_WHOLE = ("flat_object", "geo_point")
_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z\Z")


@cache
def _fields(index: str) -> tuple[dict[str, dict[str, Any]], tuple[str, ...], frozenset[str]]:
    fields = index_fields(index)
    whole = tuple(f"{path}." for path, spec in fields.items() if spec["type"] in _WHOLE)
    objects = frozenset(path.rsplit(".", n)[0] for path in fields for n in range(1, path.count(".") + 1))
    return fields, whole, objects


def violations(document: dict[str, Any], index: str) -> list[str]:
    """Every way ``document`` does not fit index ``index``'s template; empty when it fits."""
    fields, whole, objects = _fields(index)
    out = []
    for path, value in _leaves(document):
        spec = fields.get(path)
        if spec is None:
            if path.startswith(whole):
                continue
            if path in objects:
                out.append(f"{path}: {value!r:.80} where the template has an object")
            elif (above := _mapped_above(path, fields)) is not None:
                out.append(f"{above} ({fields[above]['type']}): an object where the template has a leaf")
            else:
                out.append(f"{path}: not mapped")
            continue
        problem = _incompatible(spec["type"], value)
        if problem:
            out.append(f"{path} ({spec['type']}): {problem}: {value!r:.80}")
    return out


def _mapped_above(path: str, fields: dict[str, dict[str, Any]]) -> str | None:
    """The mapped leaf field ``path`` lies under, if any: an object given to a ``keyword``
    fails the document ("failed to parse field"), where ``dynamic: false`` leaves a path under
    no mapped field unindexed."""
    parts = path.split(".")
    return next(
        (above for n in range(len(parts) - 1, 0, -1) if (above := ".".join(parts[:n])) in fields), None
    )


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, value)`` of every leaf; a list's items at the list's path; an object
    the template keeps whole (flat_object, geo_point) is one leaf."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, prefix)
    else:
        yield prefix[:-1], value  # an empty key's path is its object's path and a dot


def _incompatible(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind in ("keyword", "text", "wildcard", "match_only_text", "constant_keyword"):
        return None if isinstance(value, str | int | float | bool) else "not a scalar"
    if kind in _INTEGERS:
        number = _number(value)
        if number is None:
            return "not a number"
        return None if -_INTEGERS[kind] <= number < _INTEGERS[kind] else "out of range"
    if kind in _FLOATS:
        number = _number(value)
        if number is None or not math.isfinite(number):
            return "not a finite number"
        return None if abs(number) <= _FLOAT_MAX.get(kind, math.inf) else "out of range"
    if kind == "boolean":
        return None if isinstance(value, bool) or value in ("true", "false", "") else "not a boolean"
    if kind == "date":
        return None if _date(value) else "not a date"
    if kind == "ip":
        try:
            ipaddress.ip_address(value if isinstance(value, str) else "-")
        except ValueError:
            return "not an address"
        # Python takes an IPv6 scope (fe80::1%eth0); the engine's address parser does not (memory).
        return "an address with a scope" if "%" in value else None
    if kind in _WHOLE:
        return "a scalar where an object is kept whole"
    return f"type {kind} not checked"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)  # the engine coerces numeric text
        except ValueError:
            return None
    return None


def _date(value: Any) -> bool:
    """Epoch milliseconds, or a time as the normalizers write every one (RFC 3339 UTC): a
    source's own text copied into a ``date`` field (an offset, nine digits) is a defect even
    where the engine would parse it, since the same instant would then be two texts."""
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    if not _RFC3339_UTC.match(value):
        return False
    try:
        timestamp(value)
    except ValueError:
        return False
    return True
