"""The ``siem`` command line: the top layer, beside the Lambda handlers.

``siem_cli.main`` builds the parser from one module per subcommand; each is a thin adapter
that parses its options into the library's settings and calls ingest, detections,
investigation or opensearch_assets. ``siem_cli.demo`` is ``make demo``. Nothing here is
shipped in the Lambda bundles (infra/bundling.py).
"""
