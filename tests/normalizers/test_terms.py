"""Values too long to be one indexed term are cut, only in the fields that index them so."""

from __future__ import annotations

import copy

import orjson

from normalizers.terms import (
    KEPT_PATH_BYTES,
    KEPT_TERM_BYTES,
    MAX_TERM_BYTES,
    cut_immense_values,
    term_fields,
)

FIELD = "aws.cloudtrail.request_parameters"


def _document(parameters: object, **extra: object) -> dict[str, object]:
    return {
        "event": {"id": "e", "original": "{raw}"},
        "aws": {"cloudtrail": {"request_parameters": parameters, "event_version": "1.08"}},
        **extra,
    }


def test_a_document_with_no_term_over_the_limit_is_left_as_it_is() -> None:
    near = "a" * (MAX_TERM_BYTES - len(f"{FIELD}.key="))  # its term is exactly at the limit
    assert cut_immense_values(_document({"key": near}, message="m" * 50_000), "record 0") is None


def test_a_long_value_is_cut_to_its_first_bytes_and_the_cut_recorded_without_changing_the_input() -> None:
    long = "x" * 40_000
    document = _document({"a": {"b": long, "c": ["short", long]}, "d": 1})
    before = copy.deepcopy(document)
    cut = cut_immense_values(document, "record 7")
    assert document == before  # pure: the caller's sub-objects may be shared
    assert cut is not None
    parameters = cut["aws"]["cloudtrail"]["request_parameters"]  # type: ignore[index]
    kept = KEPT_TERM_BYTES - len(f"{FIELD}.a.b=")
    assert parameters == {"a": {"b": "x" * kept, "c": ["short", "x" * kept]}, "d": 1}  # a.c: as long a path
    assert cut["aws"]["cloudtrail"]["event_version"] == "1.08"  # type: ignore[index]
    assert cut["event"] == document["event"]  # event.original holds the raw record
    assert cut["siem"] == {
        "cut": {
            "fields": [f"{FIELD}.a.b", f"{FIELD}.a.c"],
            "bytes": 2 * (40_000 - kept),
            "position": "record 7",
        }
    }


def test_a_multibyte_value_is_cut_on_a_character_boundary() -> None:
    for char in ("é", "€", "𝄞"):  # 2, 3 and 4 bytes
        value = char * (40_000 // len(char.encode()))
        cut = cut_immense_values(_document({"k": value}), "record 0")
        assert cut is not None
        kept = cut["aws"]["cloudtrail"]["request_parameters"]["k"]  # type: ignore[index]
        assert set(kept) == {char}
        room = KEPT_TERM_BYTES - len(f"{FIELD}.k=")
        assert room - len(char.encode()) < len(kept.encode()) <= room
        orjson.dumps(cut)  # valid text throughout


def test_only_fields_indexed_as_whole_terms_are_cut() -> None:
    long = "x" * 40_000
    document = {"message": long, "user_agent": {"original": long}, "labels": {"k": long}}
    cut = cut_immense_values(document, "record 0")
    assert cut is not None
    assert cut["message"] is long and cut["user_agent"]["original"] is long  # type: ignore[index]
    assert cut["siem"]["cut"]["fields"] == ["labels.k"]  # type: ignore[index]
    assert "labels" in term_fields() and FIELD in term_fields()


def test_a_scalar_flat_object_value_is_cut_too() -> None:
    cut = cut_immense_values(_document("y" * 40_000), "record 0")
    assert cut is not None
    assert cut["siem"]["cut"]["fields"] == [FIELD]  # type: ignore[index]


def test_a_key_too_long_for_its_path_is_cut_and_of_two_keys_cut_alike_the_first_kept() -> None:
    key = "k" * 40_000
    document = _document({key + "1": "first", key + "2": "second", "short": "kept"})
    cut = cut_immense_values(document, "record 3")
    assert cut is not None
    parameters = cut["aws"]["cloudtrail"]["request_parameters"]  # type: ignore[index]
    kept = "k" * (KEPT_PATH_BYTES - len(f"{FIELD}."))
    assert parameters == {kept: "first", "short": "kept"}
    assert cut["siem"]["cut"]["fields"] == [f"{FIELD}.{kept}"]  # type: ignore[index]
    removed = 2 * (40_001 - len(kept)) + len(kept) + len('"second"')  # the second key and its value
    assert cut["siem"]["cut"]["bytes"] == removed  # type: ignore[index]


def test_a_field_below_an_array_of_objects_is_cut_in_each_object() -> None:
    # Security Hub's resources are an array: aws.securityhub_findings.resources.details.
    resources = [{"type": "AwsS3Bucket", "details": {"policy": "p" * 40_000}}, {"type": "Other"}]
    cut = cut_immense_values({"aws": {"securityhub_findings": {"resources": resources}}}, "record 0")
    assert cut is not None
    kept = cut["aws"]["securityhub_findings"]["resources"]  # type: ignore[index]
    assert len(kept[0]["details"]["policy"]) < 16_384 and kept[1] is resources[1]
    assert cut["siem"]["cut"]["fields"] == ["aws.securityhub_findings.resources.details.policy"]  # type: ignore[index]
