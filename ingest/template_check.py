"""Never write into an index no index template covers (docs/ingest.md, "Index templates").

Without a template, the first document creates the index with dynamic mappings
(``event.action`` becomes ``text``) and aggregations and finding lookups fail on it for good:
an index's mapping cannot be changed afterwards. So before the first write to an index, the
writer asks whether an index template matches its name, with ``GET _index_template`` (a
read Serverless supports; see ../shared/reference/opensearch-serverless.md). A covered index
is remembered for the life of the process (one Lambda container); an uncovered one is asked
again next time, so installing the templates heals the pipeline without a restart.
"""

from __future__ import annotations

import fnmatch
import threading
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

INSTALL_HINT = (
    "install the index templates first (the CDK asset installer, `siem assets install`, "
    "or `siem ingest --install-templates`)"
)


class IndexTemplateCheck:
    """Which indices an index template covers, asked once per index and process."""

    def __init__(self, client: OpenSearch) -> None:
        self._client = client
        self._covered: set[str] = set()
        self._lock = threading.Lock()

    def problem(self, index: str) -> str | None:
        """``None`` when a template covers ``index``, else why it may not be written (also when
        the templates cannot be read: an unreachable engine, a missing permission)."""
        with self._lock:
            if index in self._covered:
                return None
            try:
                templates = self._templates()
            except TransportError as error:
                if error.status_code in (401, 403):  # said like the writer's refusals: the CLI stops on them
                    return f"index templates request refused: {error.status_code} {error.error}"
                return f"could not read the index templates for {index!r}: {type(error).__name__}: {error}"
            except Exception as error:
                return f"could not read the index templates for {index!r}: {type(error).__name__}: {error}"
            if not any(_matches(template, index) for template in templates):
                return f"no index template covers index {index!r}: {INSTALL_HINT}"
            self._covered.add(index)
            return None

    def _templates(self) -> list[Any]:
        try:
            answer = self._client.indices.get_index_template()
        except NotFoundError:  # no template at all
            return []
        templates = answer.get("index_templates") if isinstance(answer, dict) else None
        return templates if isinstance(templates, list) else []


def _matches(template: Any, index: str) -> bool:
    body = template.get("index_template") if isinstance(template, dict) else None
    patterns = body.get("index_patterns") if isinstance(body, dict) else None
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list):
        return False
    return any(isinstance(pattern, str) and fnmatch.fnmatchcase(index, pattern) for pattern in patterns)
