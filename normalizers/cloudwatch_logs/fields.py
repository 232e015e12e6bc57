"""The provenance fields a CloudWatch Logs subscription payload adds to the documents of its records."""

from __future__ import annotations

from normalizers.fields import Field, field

FIELDS: tuple[Field, ...] = (
    field(
        "aws.cloudwatch_logs.owner",
        "keyword",
        "the account that owns the log group (CloudWatch Logs delivery only; `cloud.account.id` stays the record's)",
        "owner",
    ),
    field("aws.cloudwatch_logs.log_group", "keyword", "the log group the record was written to", "logGroup"),
    field(
        "aws.cloudwatch_logs.log_stream", "keyword", "the log stream the record was written to", "logStream"
    ),
)
