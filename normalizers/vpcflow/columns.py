"""Column-wise checks and conversions of flow log fields (``pyarrow.compute``): a value that
cannot be what the specification says makes its row a bad record, noted in ``problems``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from normalizers.ecs.address import parse_ip
from normalizers.ecs.timestamps import MAX_EPOCH_SECONDS
from normalizers.vpcflow.tables import INT64_MAX, NUMERIC_LIMITS

_DIGITS = r"^[0-9]{1,19}$"


_NO_INT64 = pa.scalar(None, pa.int64())


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"


_CANONICAL_IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"
"""An IPv4 address as ``ipaddress`` writes it (``parse_ip`` returns it unchanged)."""


def placeholders_to_null(column: pa.Array) -> pa.Array:
    """``-`` (and an empty value) means "no value"."""
    empty = pc.or_(pc.equal(column, "-"), pc.equal(column, ""))
    return pc.if_else(empty, pa.scalar(None, pa.string()), column)


def no_account_to_null(column: pa.Array) -> pa.Array:
    """``account-id`` is ``unknown`` on an interface an AWS service created (a VPC endpoint's,
    a Network Load Balancer's: flow-logs.md, "Available fields"): no account, like ``-``."""
    unknown = pc.fill_null(pc.equal(column, "unknown"), False)
    if not pc.any(unknown).as_py():
        return column
    return pc.if_else(unknown, pa.scalar(None, pa.string()), column)


def native_integers(name: str, values: pa.Array, problems: dict[int, str]) -> pa.Array:
    """Validate a Parquet integer column as ``text_integers`` validates its text.

    A negative value is what the text format would call non-numeric (``-1`` is not digits):
    the reason quotes it the same way.
    """
    limit = NUMERIC_LIMITS[name]
    if _within(values, 0, limit):
        return values  # the common case: one pass over the column
    negative = pc.less(values, 0)
    _note(problems, negative, lambda i: f"invalid record: non-numeric {name} {str(values[i].as_py())!r}")
    too_big = pc.greater(values, limit)
    _note(problems, too_big, lambda i: f"invalid record: {name} {values[i].as_py()} out of range")
    return pc.if_else(pc.or_(negative, too_big), _NO_INT64, values)


def _within(values: pa.Array, low: int, high: int) -> bool:
    """Every non-null value is in ``[low, high]`` (true of a column of nulls)."""
    extremes = pc.min_max(values)
    smallest, largest = extremes["min"].as_py(), extremes["max"].as_py()
    return smallest is None or (smallest >= low and largest <= high)


def text_integers(name: str, column: pa.Array, problems: dict[int, str]) -> pa.Array:
    """Validate a numeric field: non-numeric or out-of-range values make the row bad."""
    present = pc.and_(pc.not_equal(column, "-"), pc.is_valid(column))
    numeric = pc.match_substring_regex(column, _DIGITS)
    bad = pc.and_kleene(present, pc.invert(numeric))
    _note(problems, bad, lambda i: f"invalid record: non-numeric {name} {column[i].as_py()!r}")
    fits = _fits_int64(column, numeric)
    _note(
        problems,
        pc.and_(numeric, pc.invert(fits)),
        lambda i: f"invalid record: {name} {column[i].as_py()} out of range",
    )
    values = pc.if_else(fits, column, pa.scalar(None, pa.string())).cast(pa.int64())
    too_big = pc.greater(values, NUMERIC_LIMITS[name])
    _note(problems, too_big, lambda i: f"invalid record: {name} {values[i].as_py()} out of range")
    return pc.if_else(too_big, pa.scalar(None, pa.int64()), values)


def _fits_int64(column: pa.Array, numeric: pa.Array) -> pa.Array:
    """Digit strings that cast to int64 without overflow (19 digits compare as text)."""
    longest = pc.equal(pc.utf8_length(column), 19)
    over = pc.and_(longest, pc.greater(column, str(INT64_MAX)))
    return pc.fill_null(pc.and_(numeric, pc.invert(over)), False)


def _note(problems: dict[int, str], mask: pa.Array, reason: Callable[[int], str]) -> None:
    """Record why the rows selected by ``mask`` are bad (the first reason found wins)."""
    if not pc.any(mask).as_py():
        return
    for index in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
        problems.setdefault(index, reason(index))


def mapped(column: pa.Array, mapping: Callable[[Any], Any], kind: pa.DataType) -> pa.Array:
    """Apply a Python function to each distinct value only (flow logs repeat values a lot)."""
    encoded = column.dictionary_encode()
    translated = pa.array([mapping(value) for value in encoded.dictionary.to_pylist()], kind)
    return translated.take(encoded.indices)


def ip_addresses(column: pa.Array) -> pa.Array:
    """``parse_ip`` of each value: the canonical address, or null when it is not one.

    A dotted quad without leading zeros is already canonical: RE2 recognizes those on the
    whole column, and only the other values (IPv6, invalid text) go through Python.
    """
    canonical = pc.fill_null(pc.match_substring_regex(column, _CANONICAL_IPV4), False)
    if pc.all(canonical).as_py():
        return column
    others = mapped(pc.if_else(canonical, pa.scalar(None, pa.string()), column), parse_ip, pa.string())
    return pc.if_else(canonical, column, others)


def text_start(column: pa.Array | None, problems: dict[int, str], length: int) -> pa.Array:
    """``start`` is ``@timestamp``: a row without a valid one cannot be indexed."""
    if column is None:
        for index in range(length):
            problems.setdefault(index, "missing field: start")
        return pa.nulls(length, pa.int64())
    missing = pc.or_(pc.equal(column, "-"), pc.is_null(column))
    _note(problems, missing, lambda i: "missing field: start")
    numeric = pc.fill_null(
        pc.and_(pc.match_substring_regex(column, _DIGITS), pc.less(pc.utf8_length(column), 19)), False
    )
    seconds = pc.if_else(numeric, column, pa.scalar(None, pa.string())).cast(pa.int64())
    valid = pc.fill_null(pc.less(seconds, MAX_EPOCH_SECONDS), False)
    _note(problems, pc.invert(valid), lambda i: f"unparseable timestamp: start {column[i].as_py()!r}")
    return pc.if_else(valid, seconds, pa.scalar(None, pa.int64()))


def native_start(seconds: pa.Array, problems: dict[int, str]) -> pa.Array:
    """``text_start`` for a Parquet integer column: null is a missing start."""
    if seconds.null_count:
        _note(problems, pc.is_null(seconds), lambda i: "missing field: start")
    if _within(seconds, 0, MAX_EPOCH_SECONDS - 1):
        return seconds
    invalid = pc.or_(pc.less(seconds, 0), pc.greater_equal(seconds, MAX_EPOCH_SECONDS))
    _note(problems, invalid, lambda i: f"unparseable timestamp: start {str(seconds[i].as_py())!r}")
    return pc.if_else(invalid, _NO_INT64, seconds)
