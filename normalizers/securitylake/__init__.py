"""Amazon Security Lake's OCSF Parquet: a delivery path for CloudTrail records, VPC flows and
Security Hub findings (docs/sources/securitylake.md).

- :mod:`~normalizers.securitylake.delivery`: recognition (a Parquet schema), what it carries;
- :mod:`~normalizers.securitylake.classes`: which OCSF class goes to which source;
- :mod:`~normalizers.securitylake.values`: OCSF values (times, maps, ids) read once;
- :mod:`~normalizers.securitylake.api_activity`: API Activity (6003) -> a CloudTrail record;
- :mod:`~normalizers.securitylake.network_activity`: Network Activity (4001) -> flow log columns;
- :mod:`~normalizers.securitylake.findings`: findings (2001-2004) -> an ASFF finding;
- :mod:`~normalizers.securitylake.artifacts`: a finding's process, file, container, URL, HTTP
  request and data store evidences -> ECS fields;
- :mod:`~normalizers.securitylake.normalize`: row batches -> each row to its source's mapper.
"""
