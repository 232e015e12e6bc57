"""The demo's objects that come by a delivery path (demo/delivery_events.py): each is read by its
path, holds what the ground truth says, and its documents go to their source."""

from __future__ import annotations

from pathlib import Path

from demo import Incident
from normalizers import DeadLetter, Origin, normalize_object


def test_each_delivery_path_has_an_object_read_by_it(incident: Incident, demo_dir: Path) -> None:
    delivered = [obj for obj in incident.objects if obj.delivery]
    assert {obj.delivery for obj in delivered} == {"cloudwatch_logs", "securitylake"}
    for obj in delivered:
        with (demo_dir / obj.key).open("rb") as handle:
            normalized = normalize_object(handle, Origin(obj.key, "2026-03-14T12:00:00Z"))
            items = list(normalized)
        outcome = normalized.outcome
        assert outcome.delivery == obj.delivery and outcome.source == obj.source, obj.key
        assert len(items) == obj.records and not any(isinstance(item, DeadLetter) for item in items)
        assert all(item["aws"][obj.delivery] for item in items)
        assert all(item["cloud"]["account"]["id"] == incident.admin_account_id for item in items)
        # The subscription's control message is counted, never a record.
        expected = {"CloudWatch Logs CONTROL_MESSAGE": 1} if obj.delivery == "cloudwatch_logs" else {}
        assert outcome.skipped_records == expected
