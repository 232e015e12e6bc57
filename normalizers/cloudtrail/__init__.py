"""CloudTrail -> ECS documents (field by field: docs/sources/cloudtrail.md).

- :mod:`~normalizers.cloudtrail.spec`: recognition, framing, index, dataset;
- :mod:`~normalizers.cloudtrail.normalize`: the entry point;
- :mod:`~normalizers.cloudtrail.mapping`: one record -> one document;
- :mod:`~normalizers.cloudtrail.actor`: ``userIdentity`` -> the actor contract;
- :mod:`~normalizers.cloudtrail.categorize` and :mod:`~normalizers.cloudtrail.tables`:
  ``event.category``/``event.type``, and the tables they read.
"""
