"""Sliding-window arithmetic (detections.sliding): triggers, episodes, chains, bounds.

Seconds are small integers here; the runner feeds epoch seconds. Every expected value is
worked out by hand from the definitions in the module's docstring.
"""

from __future__ import annotations

from collections import Counter

from detections.sliding import Point, chains, episode_starts, merge, triggers, window_bounds

W = 600  # a 10-minute window


def events(*seconds: int) -> list[Point]:
    return merge(Point(second, 1) for second in seconds)


def test_a_burst_straddling_two_epoch_buckets_is_caught() -> None:
    # 10 events from 595 to 604: five in [0, 600), five in [600, 1200). Fixed 10-minute
    # buckets would count 5 and 5; the sliding window ending at 604 holds all 10.
    found = triggers(events(*range(595, 605)), W, 10, distinct=False)
    assert [(trigger.second, trigger.first, trigger.measure) for trigger in found] == [(604, 595, 10)]


def test_the_window_holds_events_less_than_w_apart() -> None:
    # (t - W, t]: an event exactly W before t has left the window.
    assert not triggers(events(0, 600), W, 2, distinct=False)
    assert [trigger.second for trigger in triggers(events(1, 600), W, 2, distinct=False)] == [600]


def test_events_of_one_second_count_together_whatever_their_order() -> None:
    tied = merge([Point(100, 1), Point(50, 1), Point(100, 3)])
    assert [(point.second, point.count) for point in tied] == [(50, 1), (100, 4)]
    assert [trigger.second for trigger in triggers(tied, W, 5, distinct=False)] == [100]


def test_distinct_counts_values_not_events() -> None:
    # One secret read 30 times, then four others: 5 distinct values at second 40.
    points = merge(
        [Point(second, 1, Counter({"prod/db": 1})) for second in range(30)]
        + [Point(30 + n, 1, Counter({f"prod/other-{n}": 1})) for n in range(1, 5)]
    )
    assert [trigger.measure for trigger in triggers(points, W, 5, distinct=True)] == [5]
    assert not triggers(points, W, 6, distinct=True)


def test_a_value_leaving_the_window_no_longer_counts() -> None:
    points = merge([Point(0, 1, Counter({"a": 1})), Point(700, 1, Counter({"b": 1}))])
    assert not triggers(points, W, 2, distinct=True)


def test_a_burst_that_keeps_qualifying_is_one_episode() -> None:
    # Triggers every minute for three hours, suppression one hour: one episode.
    assert episode_starts(range(0, 3 * 3600, 60), 3600) == [0]


def test_a_quiet_gap_longer_than_the_suppression_starts_a_new_episode() -> None:
    assert episode_starts([10, 20, 3621, 3622, 7300], 3600) == [10, 3621, 7300]
    assert episode_starts([10, 3610], 3600) == [10]  # exactly the suppression apart: same episode


def test_overlapping_runs_find_the_same_episode_start() -> None:
    # Run 1 saw the burst's triggers up to 700, run 2 (overlapping) also those after: both
    # report 604 as the start, so both compute the same alert id.
    burst = list(range(595, 605)) + list(range(640, 700, 5))
    run_one = [trigger.second for trigger in triggers(events(*burst[:14]), W, 10, distinct=False)]
    run_two = [trigger.second for trigger in triggers(events(*burst), W, 10, distinct=False)]
    assert episode_starts(run_one, 3600) == episode_starts(run_two, 3600) == [604]


def test_a_late_event_moving_the_trigger_earlier_keeps_the_episode_in_its_bucket() -> None:
    # Ten events at 1000-1009 trigger at 1009; a late event at 990 makes 1008 the first trigger.
    before = triggers(events(*range(1000, 1010)), W, 10, distinct=False)
    after = triggers(events(990, *range(1000, 1010)), W, 10, distinct=False)
    assert (before[0].second, after[0].second) == (1009, 1008)
    # Keyed on the 1-hour bucket of the start, both give the bucket starting at 0.
    assert {start - start % 3600 for start in episode_starts([t.second for t in after], 3600)} == {0}


def test_window_bounds_sum_a_bucket_and_the_one_before() -> None:
    assert window_bounds({0: 6, 600: 5, 1800: 9}, 600) == {0: 6, 600: 11, 1800: 9}


def test_a_chain_takes_each_next_step_at_or_after_the_previous() -> None:
    # Finding at 100, IAM writes at 90 (before: not a continuation) and 400.
    assert chains([[100], [90, 400]], 3600) == [(100, 400)]
    # Ties: both steps in the same second are in order.
    assert chains([[100], [100]], 3600) == [(100, 100)]


def test_a_chain_longer_than_maxspan_is_no_chain() -> None:
    assert chains([[0], [3601]], 3600) == []
    assert chains([[0], [3600]], 3600) == [(0, 3600)]


def test_each_first_step_starts_its_earliest_chain() -> None:
    assert chains([[0, 50, 5000], [10, 60], [20, 70, 5010]], 3600) == [(0, 10, 20), (50, 60, 70)]


def test_only_first_steps_completing_a_chain_are_checked() -> None:
    asked: list[int] = []

    def new_address(second: int) -> bool:
        asked.append(second)
        return second != 0

    assert chains([[0, 10, 9000], [5, 20]], 3600, new_address) == [(10, 20)]
    assert asked == [0, 10]  # 9000 has no second step after it: never looked up
