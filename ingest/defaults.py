"""Defaults of the ingest settings that the deployment must agree with.

``infra/config.py`` checks the function timeout against them (a bulk request must fit before
the deadline margin). No imports, so infra reads them without loading the ingest path.
"""

REQUEST_TIMEOUT_SECONDS = 30.0
"""Seconds one bulk request may take (``REQUEST_TIMEOUT``)."""
DEADLINE_MARGIN_SECONDS = 10.0
"""Seconds kept free before the Lambda's deadline to save progress and answer
(``DEADLINE_MARGIN_SECONDS``)."""
