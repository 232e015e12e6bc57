"""VPC Flow Logs (text or Parquet, VPC or transit gateway) -> ECS documents (docs/sources/vpcflow.md).

- :mod:`~normalizers.vpcflow.spec`: recognition (text header, Parquet schema), index, dataset;
- :mod:`~normalizers.vpcflow.normalize`: the entry point (text or Parquet);
- :mod:`~normalizers.vpcflow.header` and :mod:`~normalizers.vpcflow.text`: text flow logs;
- :mod:`~normalizers.vpcflow.parquet`: Parquet flow logs;
- :mod:`~normalizers.vpcflow.columns`: column-wise checks and conversions;
- :mod:`~normalizers.vpcflow.mapping`: a batch's fields, column by column;
- :mod:`~normalizers.vpcflow.template`: the compiled per-layout document builder;
- :mod:`~normalizers.vpcflow.batch`: one batch -> documents and dead letters;
- :mod:`~normalizers.vpcflow.arrow`: Arrow -> Python lists, fast;
- :mod:`~normalizers.vpcflow.tables`: the fields of each version and the mapping's tables.
"""
