"""One structured JSON log line per object, and CloudWatch Embedded Metric Format metrics.

The log line and the metrics are written to stdout, where Lambda sends them to CloudWatch
Logs; CloudWatch extracts the EMF metrics from the log stream, so no API call is made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from ingest.processor import ObjectResult

NAMESPACE = "Siem/Ingest"
SERVICE = "siem-ingest"

logger = Logger(service=SERVICE)


def log_object(result: ObjectResult) -> None:
    """``{"message": "object processed", "key", "source", "records", "indexed", ...}``."""
    fields = result.log_fields()
    if result.status in ("failed", "incomplete"):
        logger.warning("object not finished", extra=fields)
    else:
        logger.info("object processed", extra=fields)


_COUNTS = {
    "Records": "records",
    "Indexed": "indexed",
    "DeadLettered": "dead_lettered",
    # Apart from Records, which counts each record once over an object's runs: re-read, skipped.
    "AlreadyAcknowledged": "already_acknowledged",
    "BulkRetries": "retries",
    "BulkRequests": "requests",
}


def emit_metrics(results: Iterable[ObjectResult], namespace: str = NAMESPACE) -> None:
    """One EMF document per source (dimension ``source``), summing the invocation's objects."""
    by_source: dict[str, list[ObjectResult]] = defaultdict(list)
    for result in results:
        by_source[result.source or "unknown"].append(result)
    for source, group in sorted(by_source.items()):
        metrics = EphemeralMetrics(namespace=namespace, service=SERVICE)
        metrics.add_dimension(name="source", value=source)
        metrics.add_metric(name="Objects", unit=MetricUnit.Count, value=len(group))
        metrics.add_metric(
            name="ObjectsNotFinished",
            unit=MetricUnit.Count,
            value=sum(r.status in ("failed", "incomplete") for r in group),
        )
        metrics.add_metric(
            name="ObjectsSkipped",
            unit=MetricUnit.Count,
            value=sum(r.status == "skipped" for r in group),  # no records of ours: log line says why
        )
        metrics.add_metric(
            name="ObjectsBusy",
            unit=MetricUnit.Count,
            # Another invocation holds its lease (a duplicate delivery): retried, not failed.
            value=sum(r.status == "busy" for r in group),
        )
        for metric, attribute in _COUNTS.items():
            metrics.add_metric(
                name=metric, unit=MetricUnit.Count, value=sum(getattr(r, attribute) for r in group)
            )
        for result in group:
            metrics.add_metric(name="ObjectDuration", unit=MetricUnit.Milliseconds, value=result.duration_ms)
        metrics.flush_metrics()
