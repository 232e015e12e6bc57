"""The Lambda entry point, ``ingest.handler.lambda_handler``.

Configured by environment variables (docs/ingest.md). For SQS events it answers with
partial-batch failures, so one object that fails (or runs out of time) is retried alone and
never re-drives the others of its batch; the SQS event source mapping must enable
``ReportBatchItemFailures``. Direct invocations (S3, SNS, EventBridge) raise when an object
fails, so Lambda's own retry policy applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.config import from_env
from ingest.events import Message, ObjectRef, parse_event
from ingest.ledger import LeaseHeld
from ingest.observability import emit_metrics, log_object, logger
from ingest.processor import ObjectResult, process_object
from ingest.reader import ObjectGone, ObjectOverwritten, open_s3
from ingest.runtime import Runtime, build_runtime
from ingest.unreadable import LetterReason, dead_letter_unreadable, gone_reason, overwritten_reason
from ingest.writer import Deadline
from normalizers.layouts import read_key

_runtime: Runtime | None = None


class IngestFailed(RuntimeError):
    """A direct (non-SQS) invocation could not finish every object; Lambda will retry it."""


def configure(runtime: Runtime | None) -> None:
    """Use ``runtime`` instead of one built from the environment (tests, the demo)."""
    global _runtime
    _runtime = runtime


def _current_runtime() -> Runtime:
    global _runtime
    if _runtime is None:  # built once per Lambda container, reused by warm invocations
        _runtime = build_runtime(from_env())
    return _runtime


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, context, _current_runtime())


@dataclass(slots=True)
class _Invocation:
    runtime: Runtime
    owner: str
    deadline: Deadline
    results: list[ObjectResult] = field(default_factory=list)

    def count(self, result: ObjectResult) -> None:
        """Keep ``result`` and print its metrics now, not at the end of the invocation: an
        invocation killed outright (its timeout, out of memory) prints nothing more, and only
        the object it was on goes uncounted."""
        self.results.append(result)
        emit_metrics(result)


def handle(event: dict[str, Any], context: Any, runtime: Runtime) -> dict[str, Any]:
    settings = runtime.services.settings
    invocation = _Invocation(
        runtime,
        owner=str(getattr(context, "aws_request_id", "local")),
        deadline=Deadline(lambda: context.get_remaining_time_in_millis() / 1000, settings.deadline_margin),
    )
    messages = parse_event(event)
    failed = [message for message in messages if not _process_message_safely(message, invocation)]
    if messages and messages[0].message_id is not None:
        return {"batchItemFailures": [{"itemIdentifier": message.message_id} for message in failed]}
    if failed:
        raise IngestFailed(f"{sum(r.status != 'done' for r in invocation.results)} object(s) not finished")
    return {"objects": len(invocation.results)}


def _process_message_safely(message: Message, invocation: _Invocation) -> bool:
    """Whatever goes wrong with one message fails that message, never the whole batch."""
    try:
        return _process_message(message, invocation)
    except Exception:
        logger.exception("message failed", extra={"message_id": message.message_id})
        return False


def _process_message(message: Message, invocation: _Invocation) -> bool:
    """True when every object of the message is finished (so SQS may delete it)."""
    if message.error:
        logger.error(
            "message not understood", extra={"message_id": message.message_id, "error": message.error}
        )
        return False
    for reason in message.ignored:
        logger.info("notification ignored", extra={"message_id": message.message_id, "reason": reason})
    for ref in message.objects:
        if invocation.deadline.expired():
            return False  # leave the rest for a fresh invocation
        if not _process_ref(ref, invocation):
            return False
    return True


def _process_ref(ref: ObjectRef, invocation: _Invocation) -> bool:
    services = invocation.runtime.services
    try:
        opened = open_s3(invocation.runtime.s3, ref)
    except ObjectGone:
        return _report(_notified_version_unreadable(ref, invocation, "gone", gone_reason), invocation)
    except ObjectOverwritten:
        return _report(
            _notified_version_unreadable(ref, invocation, "overwritten", overwritten_reason), invocation
        )
    except Exception as error:  # no access, no bucket, throttled: SQS retries, then its DLQ keeps it
        logger.exception("object not readable", extra={"key": ref.url})
        invocation.count(ObjectResult(ref.url, status="failed", error=f"{type(error).__name__}: {error}"))
        return False
    # Filled as the object goes: when it fails, what the ledger acknowledged before is counted.
    result = ObjectResult(opened.identity.location, opened.identity.version)
    try:
        process_object(opened, services, invocation.owner, invocation.deadline, result=result)
    except LeaseHeld as error:
        logger.info("object busy elsewhere", extra={"key": ref.url, "reason": str(error)})
        # Nothing read, so the metrics' source is the one its key's layout names, if any.
        result.source, result.status, result.error = read_key(ref.key).source, "busy", str(error)
        invocation.count(result)  # counted in ObjectsBusy: the message is retried later
        return False
    except Exception as error:
        logger.exception("object failed", extra={"key": ref.url})
        result.status, result.error = "failed", f"{type(error).__name__}: {error}"
    finally:
        opened.close()
    log_object(result)
    invocation.count(result)
    return result.status not in ("failed", "incomplete")


def _report(result: ObjectResult, invocation: _Invocation) -> bool:
    log_object(result)
    invocation.count(result)
    return result.status != "failed"


def _notified_version_unreadable(
    ref: ObjectRef, invocation: _Invocation, status: str, why: LetterReason
) -> ObjectResult:
    """The notified version was deleted or overwritten before this delivery read it: one dead
    letter unless an earlier delivery finished it (:mod:`ingest.unreadable`)."""
    return dead_letter_unreadable(ref, invocation.runtime.services, invocation.deadline, status, why)
