"""A version of an object that can no longer be read: deleted, or overwritten in place.

The Lambda meets it when the version a notification names is gone before (or while) it is read;
``siem ingest`` when the version an earlier run began is gone before this run resumes it. Both
say so the same way: unless the ledger finished that version, one ``stage: read`` dead letter
(with what of it was indexed and dead-lettered before), counted as one record dead-lettered,
so that records = indexed + dead-lettered holds for the object.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from ingest.deadletters import UNKNOWN_SOURCE, DeadLetterBatch
from ingest.events import ObjectRef
from ingest.ledger import LeaseHeld, Progress
from ingest.processor import ObjectResult, Services, with_retries
from ingest.reader import notified_identity
from ingest.writer import Deadline

LOGGER = logging.getLogger(__name__)

LetterReason = Callable[[Progress | None], str]
"""Why the version could not be read, given what earlier reads of it did."""


def gone_reason(progress: Progress | None) -> str:
    return "object not found: deleted " + _how_far(progress, "before it was read")


def overwritten_reason(progress: Progress | None) -> str:
    return "overwritten " + _how_far(progress, "before read")


def _how_far(progress: Progress | None, untouched: str) -> str:
    if progress is not None and progress.indexed + progress.dead_lettered:
        return (
            f"part-way, after {progress.indexed} records were indexed "
            f"and {progress.dead_lettered} dead-lettered"
        )
    return untouched


def dead_letter_unreadable(
    ref: ObjectRef,
    services: Services,
    deadline: Deadline,
    status: str,
    why: LetterReason,
    settle_as: str | None = None,
) -> ObjectResult:
    """The version ``ref`` names was deleted or overwritten before it was read whole. When the
    ledger says it was finished, that is no loss (``already done``); otherwise one dead letter
    says so, and the result (``status``) counts it as one record dead-lettered.

    ``settle_as`` (an owner: ``siem ingest``'s run) also closes the version's ledger entry under
    that owner's lease, the dead letter counted in it: no later run reports it again, since no
    later run can read it. Raises :class:`LeaseHeld` when another run holds the entry. Without it
    (the Lambda), the ledger is left as it is: the notification is not delivered again once its
    message succeeded."""
    identity = notified_identity(ref)  # the ledger key the reads of that version used
    ledger, settings = services.ledger, services.settings

    def retrying(call: Callable[[], Any]) -> Any:
        return with_retries(call, settings, deadline)

    try:
        if settle_as is None:
            progress = retrying(lambda: ledger.progress(identity.ledger_key))
        else:
            remaining = deadline.remaining()
            lease = remaining + settings.deadline_margin if math.isfinite(remaining) else 3600.0
            progress = retrying(
                lambda: ledger.claim(identity.ledger_key, settle_as, lease, settings.chunk_size)
            )
        if progress is not None and progress.finished:
            return ObjectResult(ref.url, identity.version, status="already done")
        batch = DeadLetterBatch(identity, UNKNOWN_SOURCE, 0, 0, [_read_letter(ref, why(progress))])
        where = retrying(lambda: services.sink.write(batch))
        if settle_as is not None and progress is not None:
            chunk = progress.chunks_done
            retrying(lambda: ledger.ack_chunk(identity.ledger_key, settle_as, chunk, 0, 1))
            retrying(lambda: ledger.finish(identity.ledger_key, settle_as))
    except LeaseHeld:
        raise
    except Exception as error:  # this object only: retried by the next delivery or run
        LOGGER.exception("%s: the unreadable version could not be dead-lettered", ref.url)
        if settle_as is not None:
            ledger.release(identity.ledger_key, settle_as)
        return ObjectResult(
            ref.url, identity.version, status="failed", error=f"{type(error).__name__}: {error}"
        )
    return ObjectResult(
        ref.url, identity.version, status=status, records=1, dead_lettered=1, dead_letter_files=[where]
    )


def _read_letter(ref: ObjectRef, reason: str) -> dict[str, Any]:
    letter: dict[str, Any] = {
        "reason": reason,
        "source": UNKNOWN_SOURCE,
        "object": ref.url,
        "position": "object",
        "raw": "",
        "stage": "read",
    }
    if ref.version_id:
        letter["version_id"] = ref.version_id
    if ref.etag:
        letter["etag"] = ref.etag  # the unread version's: which bytes were lost
    return letter
