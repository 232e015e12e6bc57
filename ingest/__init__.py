"""Ingest path: S3 objects -> normalizers -> OpenSearch, with a ledger and dead letters."""
