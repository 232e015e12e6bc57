"""GuardDuty findings -> ECS documents (field by field: docs/sources/guardduty.md).

- :mod:`~normalizers.guardduty.spec`: recognition, framing, index, dataset;
- :mod:`~normalizers.guardduty.normalize`: the entry point;
- :mod:`~normalizers.guardduty.mapping`: one finding -> one document;
- :mod:`~normalizers.guardduty.api_shape`: the CLI/SDK shape renamed to the export's;
- :mod:`~normalizers.guardduty.actor`: who acted (an access key, a Kubernetes or database user);
- :mod:`~normalizers.guardduty.host`: the EC2 instance and the runtime process;
- :mod:`~normalizers.guardduty.tables`: objects kept whole, the API's renames.
"""
