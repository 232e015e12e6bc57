"""``benchmarks/paired.py`` and the inputs of the paired rounds: the order of a round's
measures, the summary of the rounds' ratios, and pieces that are the benchmark's own records
(the measurements themselves belong to ``make bench``)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import orjson
import pytest

from benchmarks import cloudtrail
from benchmarks.paired import paired_rounds, round_ratios, summary


def test_rounds_reverse_the_order_of_the_measures_every_other_round() -> None:
    calls: list[tuple[str, int]] = []

    def measure(name: str) -> Callable[[int], str]:
        def called(number: int) -> str:
            calls.append((name, number))
            return f"{name}{number}"

        return called

    results = paired_rounds(3, measure("a"), measure("b"), measure("c"))
    assert calls == [
        ("a", 0), ("b", 0), ("c", 0),
        ("c", 1), ("b", 1), ("a", 1),
        ("a", 2), ("b", 2), ("c", 2),
    ]  # fmt: skip
    assert results == [["a0", "a1", "a2"], ["b0", "b1", "b2"], ["c0", "c1", "c2"]]


def test_summary_is_the_median_of_the_rounds_ratios_with_quartiles_and_extremes() -> None:
    ratios = round_ratios([6.0, 1.0, 4.0, 3.0, 10.0], [10.0, 10.0, 10.0, 10.0, 10.0])
    assert ratios == [0.6, 0.1, 0.4, 0.3, 1.0]
    assert summary(ratios, "r") == {"r": 0.4, "r_spread": [0.1, 0.3, 0.6, 1.0], "r_rounds": 5}
    assert summary([0.5], "r") == {"r": 0.5, "r_spread": [0.5, 0.5, 0.5, 0.5], "r_rounds": 1}
    with pytest.raises(ValueError):
        summary([], "r")


def _records(compressed: bytes) -> list[object]:
    records: list[object] = orjson.loads(gzip.decompress(compressed))["Records"]
    return records


def test_pieces_cut_the_benchmark_file_into_its_own_records_in_order() -> None:
    pieces = cloudtrail.pieces(25, 10)
    assert pieces is not None and [len(_records(piece)) for piece in pieces] == [10, 10, 5]
    assert [record for piece in pieces for record in _records(piece)] == _records(cloudtrail.build_file(25))


def test_pieces_of_the_small_records_file_are_written_as_the_generator_writes_them() -> None:
    whole = cloudtrail.build_small_file(7)
    if whole is None:
        pytest.skip("../shared/bench/gen_cloudtrail.py is absent")
    pieces = cloudtrail.pieces(7, 3, small=True)
    assert pieces is not None and len(pieces) == 3
    items = json.loads(gzip.decompress(whole))["Records"]
    for number, piece in enumerate(pieces):  # the same serialization, a slice of the same records
        assert gzip.decompress(piece) == json.dumps({"Records": items[number * 3 : number * 3 + 3]}).encode()


def test_cpu_use_counts_the_page_faults_of_fresh_memory() -> None:
    # 64 MiB zero-filled: above any malloc mmap threshold, so fresh pages, each touched; at
    # least one fault per 2 MiB even where transparent huge pages back them.
    use = cloudtrail._cpu_use(lambda: bytearray(64 << 20))
    assert use.faults >= 32
    assert use.total == use.user + use.system > 0


def test_the_paired_rows_split_user_from_kernel_time_per_record() -> None:
    pieces = cloudtrail.pieces(200, 100)
    assert pieces is not None
    row = cloudtrail._paired(pieces, 4)
    assert row["paired_ratio_to_ceiling_rounds"] == row["paired_user_ratio_to_ceiling_rounds"] == 4
    assert row["paired_user_ratio_to_ceiling"] > 0
    assert row["path_page_faults_per_record"] >= 0 and row["ceiling_kernel_us_per_record"] >= 0
