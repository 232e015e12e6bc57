"""The 12 recorded Stratus Red Team detonations (../shared/samples/cloudtrail/stratus-red-team):
normalized by the real normalizer and indexed on the embedded engine as ``siem rules test``
does, every enabled rule runs on each; the technique must raise an alert from a rule whose
``techniques`` names it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from detections.catalogue import TECHNIQUES
from detections.rules import RULE_DIRS, load_rules
from detections.search import Sources
from detections.testing import INGESTED, index_and_wait, matches
from normalizers import DeadLetter, Origin, normalize_object

pytestmark = pytest.mark.integration
RULES = load_rules(RULE_DIRS)
SAMPLES = "samples/cloudtrail/stratus-red-team"
RECORDED = sorted(
    path.stem for path in (Path(__file__).resolve().parents[3] / "shared" / SAMPLES).glob("aws.*.json")
)


def test_the_twelve_recordings_are_catalogue_techniques() -> None:
    if not RECORDED:
        pytest.skip(f"../shared/{SAMPLES} not found")
    assert len(RECORDED) == 12
    assert set(RECORDED) <= set(TECHNIQUES)


@pytest.mark.parametrize("technique", RECORDED)
def test_each_recorded_technique_raises_an_alert_from_its_rule(
    siem: OpenSearch, shared_dir: Path, technique: str
) -> None:
    raw = (shared_dir / SAMPLES / f"{technique}.json").read_bytes()
    items = list(normalize_object(io.BytesIO(raw), Origin(object=technique, ingested=INGESTED), "cloudtrail"))
    assert not [item for item in items if isinstance(item, DeadLetter)]
    sources = Sources("siem-", "-stratus")
    index_and_wait(siem, sources.index("cloudtrail"), items)

    alerting = {rule.id: rule.techniques for rule in RULES if matches(siem, rule, sources)}

    own = [rule_id for rule_id, techniques in alerting.items() if technique in techniques]
    assert own, f"no rule for {technique} alerts; alerting: {sorted(alerting)}"
