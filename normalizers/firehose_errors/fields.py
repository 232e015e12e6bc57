"""The provenance fields Firehose error output adds to the documents of the records it recovers."""

from __future__ import annotations

from normalizers.fields import Field, field

FIELDS: tuple[Field, ...] = (
    field(
        "aws.firehose_errors.recovered",
        "boolean",
        "`true` on every document recovered from Firehose error output (always present there): the "
        "record reached the bucket in an error record's `rawData`, not through the stream",
    ),
    field(
        "aws.firehose_errors.error_code",
        "keyword",
        "why Firehose could not deliver the record (`errorCode`, or `lastErrorCode` of a format "
        "conversion error; its first 2,048 characters)",
        "errorCode",
    ),
    field(
        "aws.firehose_errors.error_message",
        "text",
        "Firehose's message for that error (`errorMessage` or `lastErrorMessage`, its first 2,048 characters)",
        "errorMessage",
    ),
    field(
        "aws.firehose_errors.error_output_type",
        "keyword",
        "the error output type the object's key names (`processing-failed`...: the "
        "`!{firehose:error-output-type}` folder of the member stack's error prefix)",
    ),
    field("aws.firehose_errors.attempts_made", "long", "how many times Firehose tried", "attemptsMade"),
    field(
        "aws.firehose_errors.arrival_time",
        "date",
        "when the record reached Firehose (`arrivalTimestamp`, epoch milliseconds)",
        "arrivalTimestamp",
    ),
)
