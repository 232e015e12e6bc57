"""Enrichment of normalized documents: account names and OUs, IP context, user agents.

Layer: above ``normalizers``, below ``ingest``, ``detections`` and ``investigation``. Fields,
data sources, licences and configuration: docs/enrichment.md.

    enricher = Enricher.from_settings(EnrichmentSettings.from_env())  # once per container
    enricher.enrich(document)  # each normalized document, in place
"""

from enrichment.accounts import Account, AccountDirectory
from enrichment.enrich import Enricher, EnrichmentSettings

__all__ = ["Account", "AccountDirectory", "Enricher", "EnrichmentSettings"]
