"""Security Hub findings (ASFF) -> ECS documents (field by field: docs/sources/securityhub.md).

- :mod:`~normalizers.securityhub.spec`: recognition, framing, index, dataset;
- :mod:`~normalizers.securityhub.normalize`: the entry point;
- :mod:`~normalizers.securityhub.mapping`: one finding -> one document;
- :mod:`~normalizers.securityhub.classify`: product, severity, alert or state, outcome;
- :mod:`~normalizers.securityhub.resources`: resources, hosts, addresses;
- :mod:`~normalizers.securityhub.network`: ``Network`` and ``NetworkPath`` beside the action;
- :mod:`~normalizers.securityhub.actor`: the actor from IAM resources;
- :mod:`~normalizers.securityhub.tables`: the tables they read.
"""
