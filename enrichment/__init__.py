"""Enrichment of normalized documents: account names and OUs, IP context, user agents.

Layer: above ``normalizers`` (it may use their helpers), below ``ingest``, ``detections`` and
``investigation``. Fields and sources: docs/enrichment.md.
"""
