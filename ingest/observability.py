"""One structured JSON log line per object, and CloudWatch Embedded Metric Format metrics.

The log line and the metrics are written to stdout, where Lambda sends them to CloudWatch
Logs; CloudWatch extracts the EMF metrics from the log stream, so no API call is made.
"""

from __future__ import annotations

import sys

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


def emit_metrics(result: ObjectResult, namespace: str = NAMESPACE) -> None:
    """One EMF document for one object (dimension ``source``), printed as soon as the object is
    settled. Summed over documents, the counts are the invocation's; an invocation killed outright
    loses only the object it was on (docs/ingest.md, "Observability")."""
    metrics = EphemeralMetrics(namespace=namespace, service=SERVICE)
    metrics.add_dimension(name="source", value=result.source or "unknown")
    metrics.add_metric(name="Objects", unit=MetricUnit.Count, value=1)
    metrics.add_metric(
        name="ObjectsNotFinished", unit=MetricUnit.Count, value=int(result.status in ("failed", "incomplete"))
    )
    # No records of ours: the log line says why.
    metrics.add_metric(name="ObjectsSkipped", unit=MetricUnit.Count, value=int(result.status == "skipped"))
    # Another invocation holds its lease (a duplicate delivery): retried, not failed.
    metrics.add_metric(name="ObjectsBusy", unit=MetricUnit.Count, value=int(result.status == "busy"))
    for metric, attribute in _COUNTS.items():
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=getattr(result, attribute))
    metrics.add_metric(name="ObjectDuration", unit=MetricUnit.Milliseconds, value=result.duration_ms)
    metrics.flush_metrics()
    # Out now, whatever buffering stdout has: the process may be killed before the next object.
    sys.stdout.flush()
