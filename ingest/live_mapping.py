"""Ask each index once how it is mapped, so documents fit an index created under an older template.

Before the first write to an index, the processor asks for its live mapping (``GET
<index>/_mapping``: a read Serverless serves under the ``aoss:DescribeIndex`` permission, which
the ingest role holds on its indices) and compares it with what the source's documents leave to
their template (:mod:`ingest.legacy_fields`). An index the current template created needs
nothing: its documents stay lean. An older index gets, in each document, what its mapping
lacks. An index that does not exist yet is created by its template at the first write (an
older one, if the templates are installed after the code), so that chunk's documents carry the
constants and ``copy_to`` targets (:func:`~ingest.legacy_fields.unknown_index_backfill`) and the
index is asked again at the next chunk; a mapping that cannot be read (a missing permission, an
unreachable engine) gives the same, said in a log line, and is asked again too: a document
never loses a match to save bytes. An index read as current is kept so for the life of the
process (one Lambda container), as :mod:`ingest.template_check` does: a mapping only grows. An
older index is read again once :data:`RECHECK_SECONDS` have passed, so one that ``siem assets
install`` brought up to its template (its new constants, docs/assets.md) gets lean documents
from then on, even in a container that lives for hours. An older index is named in one
warning per process, which points at the upgrade notes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from ingest.legacy_fields import Backfill, backfill, live_fields, unknown_index_backfill
from normalizers.registry import SPECS
from normalizers.spec import LeftToIndex

LOGGER = logging.getLogger(__name__)
_LEFT: dict[str, LeftToIndex] = {spec.name: spec.left_to_index for spec in SPECS}
_WARNED: set[str] = set()
"""Indices said to be under an older template, once per process (a Lambda container or a
``siem ingest`` worker builds its runtime, and so its :class:`LiveMappings`, once; a process
that builds several says it once all the same). A warning: documents there carry bytes an
index of the current template does without, until the index is replaced."""
RECHECK_SECONDS = 600.0
"""How long an index read as older is taken as such before its mapping is read again (one
``GET <index>/_mapping`` per older index per ten minutes and process)."""


class LiveMappings:
    """Per index: what its documents must write back (``None``: nothing), asked once per process."""

    def __init__(self, client: OpenSearch, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._known: dict[str, tuple[Backfill | None, float]] = {}
        """Index -> what its documents write (``None``: nothing) and when its mapping was read."""
        self._lock = threading.Lock()

    def backfill(self, index: str, source: str) -> Backfill | None:
        """What documents of ``source`` bound for ``index`` must write themselves."""
        left = _LEFT.get(source)
        if left is None or not (left.constants or left.aliases or left.copies):
            return None
        with self._lock:
            if index in self._known:
                known, read_at = self._known[index]
                if known is None or self._clock() - read_at < RECHECK_SECONDS:
                    return known
            try:
                answer = self._client.indices.get_mapping(index=index)
            except NotFoundError:
                return unknown_index_backfill(left)  # the template the first write meets decides
            except Exception as error:
                full = unknown_index_backfill(left)
                LOGGER.warning(
                    "could not read the mapping of index %s (%s: %s): its documents carry %s in full",
                    index,
                    type(error).__name__,
                    error,
                    ", ".join(full.fields()),
                )
                return full
            mappings = list(answer.values()) if isinstance(answer, dict) else []
            if not mappings:
                LOGGER.warning("index %s: its mapping reads empty: its documents carry its constants", index)
                return unknown_index_backfill(left)
            needed = Backfill()
            for mapping in mappings:
                body = mapping.get("mappings") if isinstance(mapping, dict) else None
                properties = body.get("properties") if isinstance(body, dict) else None
                needed = needed.merged(backfill(left, live_fields(properties or {})))
            if needed and index not in _WARNED:
                _WARNED.add(index)
                LOGGER.warning(
                    "index %s was created under an older template: its documents carry %s "
                    "(CHANGELOG.md, upgrade notes; docs/ingest.md, "
                    '"An index created under an older template")',
                    index,
                    ", ".join(needed.fields()),
                )
            self._known[index] = (needed or None, self._clock())
            return needed or None
