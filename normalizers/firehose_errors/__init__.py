"""Firehose error output: the records a Firehose stream could not deliver, recovered and read as
the sources they are (docs/sources/firehose_errors.md).

- :mod:`~normalizers.firehose_errors.delivery`: recognition, the sources it carries, its fields;
- :mod:`~normalizers.firehose_errors.normalize`: error records -> each ``rawData``'s records, routed.
"""
