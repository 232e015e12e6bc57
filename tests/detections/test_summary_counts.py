"""An alert's one-line "What" counts the calls of the events it keeps, and says so when the
alert matched more events than it keeps (detections.matches.MAX_SAMPLES)."""

from __future__ import annotations

from typing import Any

from detections.matches import MAX_SAMPLES
from detections.summary import compact


def _call(number: int) -> dict[str, Any]:
    return {
        "event": {
            "provider": "secretsmanager.amazonaws.com",
            "action": "GetSecretValue",
            "outcome": "success",
        },
        "event.id": str(number),
    }


def test_a_sample_of_the_events_says_it_is_a_sample() -> None:
    # The Stratus detonation's burst: 12 GetSecretValue calls in the alert, 10 kept.
    summary = compact(
        [_call(n) for n in range(MAX_SAMPLES)], 12, "2024-07-31T12:36:48Z", "2024-07-31T12:36:50Z"
    )
    assert summary.when == "2024-07-31T12:36:48Z to 2024-07-31T12:36:50Z (12 events)"
    assert summary.what == (
        f"secretsmanager.amazonaws.com GetSecretValue (success) x{MAX_SAMPLES} (in the first {MAX_SAMPLES} of 12 events)"
    )


def test_every_event_kept_is_counted_as_it_is() -> None:
    summary = compact([_call(n) for n in range(3)], 3, "2024-07-31T12:36:48Z", "2024-07-31T12:36:48Z")
    assert summary.what == "secretsmanager.amazonaws.com GetSecretValue (success) x3"
