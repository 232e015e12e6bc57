"""The one list of sources. Everything that needs to know the sources reads it from here.

Adding a source is one name in :data:`SOURCES` and its folder ``normalizers/<name>/`` with a
``spec.py`` defining ``SPEC`` (docs/sources/README.md, "Adding a source").
"""

from __future__ import annotations

import importlib

from normalizers.base import Normalizer
from normalizers.delivery import DeliverySpec
from normalizers.spec import SourceSpec

SOURCES: tuple[str, ...] = ("cloudtrail", "vpcflow", "guardduty", "securityhub", "config")
"""Every source's name, in the order detection breaks ties in."""

DELIVERIES: tuple[str, ...] = ("cloudwatch_logs", "securitylake", "firehose_errors")
"""Delivery paths (normalizers/delivery.py): containers of the sources' records. Each is a
folder ``normalizers/<name>/`` with a ``delivery.py`` defining ``DELIVERY``."""


def _spec(name: str) -> SourceSpec:
    spec: SourceSpec = importlib.import_module(f"normalizers.{name}.spec").SPEC
    if spec.name != name:
        raise ValueError(f"normalizers/{name}/spec.py defines the spec of {spec.name!r}")
    if spec.index != name:  # the ingest path names an object's index after its source
        raise ValueError(f"{name}: the index suffix must be the source's name, not {spec.index!r}")
    return spec


SPECS: tuple[SourceSpec, ...] = tuple(_spec(name) for name in SOURCES)
_BY_NAME = {spec.name: spec for spec in SPECS}


def spec(name: str) -> SourceSpec:
    """The spec of the source called ``name``; ``KeyError`` for an unknown one."""
    return _BY_NAME[name]


def source_of_index(index: str) -> SourceSpec | None:
    """The source whose documents ``index`` holds (``siem-cloudtrail``, ``logs-cloudtrail-000001``):
    the last ``-``-separated part of its name that names a source (the ingest path names an
    index after its source); ``None`` for another index."""
    names = [part for part in index.split("-") if part in _BY_NAME]
    return _BY_NAME[names[-1]] if names else None


def normalizer(name: str) -> Normalizer:
    """The normalizer of the source called ``name``, imported on first use."""
    return _BY_NAME[name].load()


def _delivery(name: str) -> DeliverySpec:
    found: DeliverySpec = importlib.import_module(f"normalizers.{name}.delivery").DELIVERY
    if found.name != name or name in _BY_NAME:
        raise ValueError(f"normalizers/{name}/delivery.py: a delivery named {found.name!r}")
    return found


DELIVERY_SPECS: tuple[DeliverySpec, ...] = tuple(_delivery(name) for name in DELIVERIES)
_DELIVERY_BY_NAME = {found.name: found for found in DELIVERY_SPECS}


def delivery(name: str) -> DeliverySpec:
    """The delivery path called ``name``; ``KeyError`` for an unknown one."""
    return _DELIVERY_BY_NAME[name]


def is_delivery(name: str) -> bool:
    return name in _DELIVERY_BY_NAME
