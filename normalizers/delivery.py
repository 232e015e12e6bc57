"""Delivery paths: containers whose records are the sources' own records, in another wrapping.

A source (``normalizers/<source>/spec.py``) is a kind of record and its index. A delivery
path is a way those records reach the bucket that is not the service's own: CloudWatch Logs
subscription payloads forwarded by Firehose (CloudTrail records and flow lines inside
``logEvents``), Amazon Security Lake's OCSF Parquet (CloudTrail, VPC flows and Security Hub
findings as OCSF classes). Its reader unwraps the container and hands each record to the
mapper of the source it belongs to, so the documents are the sources' documents, in the
sources' indices, under the same pivot contract; what the container adds is kept as
provenance fields under ``aws.<delivery>.*`` (:attr:`DeliverySpec.fields`), which the
sources that it carries include in their own fields definitions.

One object may hold records of several sources (a Firehose stream fed by the subscription
filters of a CloudTrail and a flow log group): a delivery's reader yields each item with the
name of its source (:class:`Routed`), and the object pipeline reports it
(``ObjectOutcome.source`` is the source of the item last yielded).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from normalizers.base import Item, Origin, Skipped
from normalizers.fields import Field
from normalizers.spec import Recognition


class Routed(NamedTuple):
    """One item of a delivery's object and the source whose index it belongs to."""

    source: str
    """A source's name, or ``unknown`` for a dead letter of the container itself."""
    item: Item


RoutedNormalizer = Callable[[BinaryIO, Origin], Iterator[Routed | Skipped]]


@dataclass(frozen=True, slots=True)
class DeliverySpec:
    """One delivery path: how its objects are recognized, what they carry, its reader."""

    name: str
    """``cloudwatch_logs``: ``normalizers/<name>/``, ``docs/sources/<name>.md``,
    ``tests/golden/<name>/``, ``aws.<name>.*`` provenance fields."""
    title: str
    recognition: Recognition
    """JSON markers (``json_keys``) or a Parquet schema (``parquet``); the other members unused."""
    carries: tuple[str, ...]
    """The sources whose records it holds; each includes :attr:`fields` in its own definition."""
    fields: tuple[Field, ...]
    """The provenance fields it adds to those sources' documents."""
    load: Callable[[], RoutedNormalizer]


def reader_in(module: str) -> Callable[[], RoutedNormalizer]:
    """A :attr:`DeliverySpec.load` for the ``normalize`` of ``module``, imported on first call."""

    def load() -> RoutedNormalizer:
        normalize: RoutedNormalizer = importlib.import_module(module).normalize
        return normalize

    return load
