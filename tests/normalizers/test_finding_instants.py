"""One instant, one text: a finding update has one ``event.id`` (``<id>@<@timestamp>``) whatever
path delivered it (docs/schema.md, "Time").

OCSF gives each time twice: ``modified_time``, epoch milliseconds (``timestamp_t``), and, with
the ``datetime`` profile, ``modified_time_dt``, RFC 3339 text (``datetime_t``). Security Hub's
"Findings Imported V2" events carry both (``"2026-12-01T10:20:00.000Z"``); a Security Lake row
may carry the milliseconds alone. The finding is that of
``tests/golden/securityhub/findings-imported-v2`` (written by hand from botocore's model and
the OCSF classes).
"""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest

from demo.records.securitylake import parquet_from_rows
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.ecs.timestamps import epoch_millis_timestamp, epoch_timestamp, timestamp
from tests.conftest import GOLDEN

EVENT = json.loads((GOLDEN / "securityhub" / "findings-imported-v2" / "input").read_bytes())
DETECTION = EVENT["detail"]["findings"][0]
LAKE_KEY = "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet"


def _documents(body: bytes, key: str) -> list[dict[str, Any]]:
    items = list(normalize_object(io.BytesIO(body), Origin(key, "2026-01-01T00:00:00Z")))
    assert not [item for item in items if isinstance(item, DeadLetter)]
    return items


def _without_datetime_profile(value: Any) -> Any:
    """The finding as a row without OCSF's ``datetime`` profile: no ``*_dt`` member."""
    if isinstance(value, dict):
        return {k: _without_datetime_profile(v) for k, v in value.items() if not k.endswith("_dt")}
    if isinstance(value, list):
        return [_without_datetime_profile(item) for item in value]
    return value


def _event(finding: dict[str, Any]) -> bytes:
    event = copy.deepcopy(EVENT)
    event["detail"]["findings"] = [finding]
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("millis", "text"),
    [
        (1796120400000, "2026-12-01T10:20:00.000Z"),  # as the golden event gives it
        (1796120400120, "2026-12-01T10:20:00.120Z"),
        (1796120400007, "2026-12-01T10:20:00.007Z"),
    ],
)
def test_a_v2_event_and_a_security_lake_row_of_one_update_have_one_event_id(millis: int, text: str) -> None:
    finding = copy.deepcopy(DETECTION)
    finding["finding_info"].update(modified_time=millis, modified_time_dt=text)
    finding.update(time=millis, time_dt=text)
    [from_event] = _documents(_event(finding), "securityhub/2026/12/01/10/stream-1")
    [from_lake] = _documents(parquet_from_rows([_without_datetime_profile(finding)]), LAKE_KEY)

    assert from_lake["event"]["id"] == from_event["event"]["id"]
    assert from_lake["@timestamp"] == from_event["@timestamp"]
    assert from_event["event"]["id"] == f"{DETECTION['finding_info']['uid']}@{from_event['@timestamp']}"


@pytest.mark.parametrize(
    "given",
    [
        "2026-12-01T10:20:00Z",
        "2026-12-01T10:20:00.000Z",
        "2026-12-01T10:20:00.000000Z",
        "2026-12-01T10:20:00.0004Z",  # below a millisecond: a date field holds milliseconds
        "2026-12-01T12:20:00+02:00",
        "2026-12-01 10:20:00.000",  # GuardDuty's export form, read as UTC
        1796120400,
        1796120400.0,
    ],
)
def test_every_form_of_a_whole_second_is_one_text(given: Any) -> None:
    assert timestamp(given) == "2026-12-01T10:20:00Z"


@pytest.mark.parametrize(
    "given",
    [
        "2026-12-01T10:20:00.12Z",
        "2026-12-01T10:20:00.120Z",
        "2026-12-01T10:20:00.120999Z",
        "2026-12-01T11:20:00.12+01:00",
        1796120400.12,
    ],
)
def test_every_form_of_an_instant_with_milliseconds_is_one_text(given: Any) -> None:
    assert timestamp(given) == "2026-12-01T10:20:00.120Z"


def test_epoch_numbers_keep_the_digits_written() -> None:
    # 1714557600.123 is 1714557600.12299990654... as a float: still .123, never .122.
    assert epoch_timestamp(1714557600.123) == "2024-05-01T10:00:00.123Z"
    assert epoch_millis_timestamp(1714557600123) == epoch_millis_timestamp(1714557600123.0)
    assert epoch_millis_timestamp(1714557600123) == "2024-05-01T10:00:00.123Z"


@pytest.mark.parametrize("millis", [float("inf"), float("nan"), 1e308, -1])
def test_epoch_milliseconds_out_of_range_are_refused(millis: float) -> None:
    with pytest.raises(ValueError):
        epoch_millis_timestamp(millis)


@pytest.mark.parametrize(
    "given",
    [
        "2026-12-01T10:20:60Z",  # RFC 3339 allows a leap second; a date field does not
        "2026-12-01T10:20:5Z",
        "2026-12-01T10:20:\u0660\u0665Z",  # Arabic-Indic digits: not ASCII ones
        "2026-12-01T10:20:05z",
    ],
)
def test_a_time_of_a_minute_already_seen_is_still_checked_whole(given: str) -> None:
    # Once a minute has passed the full check, its other seconds are checked by their last
    # characters alone: a malformed second must still be refused there.
    assert timestamp("2026-12-01T10:20:00Z") == "2026-12-01T10:20:00Z"
    assert timestamp("2026-12-01T10:20:59Z") == "2026-12-01T10:20:59Z"
    with pytest.raises(ValueError):
        timestamp(given)


@pytest.mark.parametrize(
    "given",
    [
        "2026-12-01T10:20:05.\u0661\u0662\u0663Z",  # Arabic-Indic digits in the fraction
        "\u0662\u0660\u0662\u0666-12-01T10:20:05Z",  # and in the year
        "2026-12-01T10:20:05.\uff11Z",  # a fullwidth digit
    ],
)
def test_digits_other_than_ascii_are_refused(given: str) -> None:
    # A date field reads ASCII digits only: such a time must be dead-lettered by the normalizer,
    # never passed on for the engine to refuse the whole document.
    with pytest.raises(ValueError):
        timestamp(given)
