"""OpenSearch assets: index templates, Dashboards saved objects and their installer (docs/assets.md)."""
