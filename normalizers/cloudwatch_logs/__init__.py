"""CloudWatch Logs subscription payloads through Firehose: a delivery path for CloudTrail records
and VPC flow lines (docs/sources/cloudwatch_logs.md).

- :mod:`~normalizers.cloudwatch_logs.delivery`: recognition, the sources it carries, its fields;
- :mod:`~normalizers.cloudwatch_logs.normalize`: payloads -> each log event's record, routed;
- :mod:`~normalizers.framing.cloudwatch_logs`: the payloads of an object (shared framing).
"""
