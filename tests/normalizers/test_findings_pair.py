"""One GuardDuty finding, native and as imported into Security Hub, names the same actor.

The pairs are in the golden cases: guardduty/export-gzip-jsonl record 0 and
securityhub/firehose-envelopes record 0 finding 0 (an access key); guardduty/
lambda-ecs-s3-malware record 0 and securityhub/lambda-workload-role (a Lambda function),
hand-made from the AWS docs and botocore's models (see their SOURCE.md). Pivoting on the
principal, the key or the role must find both documents.
"""

from __future__ import annotations

from typing import Any

from normalizers import DeadLetter, Document, Origin, normalize_object
from normalizers.registry import spec
from tests.conftest import GOLDEN


def _first_document(relative: str) -> Document:
    case = GOLDEN / relative
    (path,) = case.glob("input*")
    with path.open("rb") as handle:
        items = list(normalize_object(handle, Origin(str(path), "2026-01-01T00:00:00Z")))
    document = items[0]
    assert not isinstance(document, DeadLetter), document
    return document


def _identity(document: Document, source: str) -> dict[str, Any]:
    identity: dict[str, Any] = document["aws"][source]["user_identity"]
    return identity


def test_native_and_imported_guardduty_finding_name_the_same_actor() -> None:
    native = _first_document("guardduty/export-gzip-jsonl")
    imported = _first_document("securityhub/firehose-envelopes")
    assert native["aws"]["guardduty"]["id"] in imported["aws"]["securityhub_findings"]["id"]

    assert native["user"] == imported["user"]
    assert native["user"]["name"] == "attacker-session"
    assert native["related"]["user"] == imported["related"]["user"]
    assert "ASIAQEXAMPLEKEY12345" in native["related"]["user"]
    native_identity = _identity(native, "guardduty")
    imported_identity = _identity(imported, "securityhub_findings")
    assert native_identity["access_key_id"] == imported_identity["access_key_id"] == "ASIAQEXAMPLEKEY12345"
    assert native_identity == imported_identity


def test_native_and_imported_guardduty_finding_share_the_pivot_fields() -> None:
    native = _first_document("guardduty/export-gzip-jsonl")
    imported = _first_document("securityhub/firehose-envelopes")
    for field in ("source", "@timestamp"):
        assert native[field] == imported[field], field
    assert native["cloud"]["account"] == imported["cloud"]["account"]
    # Security Hub filled Normalized from the label (MEDIUM -> 40); Original is GuardDuty's 5.
    assert imported["aws"]["securityhub_findings"]["severity"] == {
        "label": "MEDIUM",
        "normalized": 40,
        "original": "5",
    }
    assert native["event"]["severity"] == imported["event"]["severity"] == 50
    assert (
        native["aws"]["guardduty"]["severity"]["label"]
        == imported["aws"]["securityhub_findings"]["severity"]["label"]
    )
    # Every GuardDuty finding is an alert: a constant of its index, in the imported document.
    assert "kind" not in native["event"]
    assert spec("guardduty").left_to_index.constants["event.kind"] == imported["event"]["kind"] == "alert"


def test_native_and_imported_lambda_finding_pivot_to_the_same_role() -> None:
    native = _first_document("guardduty/lambda-ecs-s3-malware")
    imported = _first_document("securityhub/lambda-workload-role")
    assert native["aws"]["guardduty"]["id"] in imported["aws"]["securityhub_findings"]["id"]

    assert native["related"]["user"] == imported["related"]["user"] == ["payments-exec"]
    assert "user" not in native and "user" not in imported
    for field in ("source", "destination", "network", "@timestamp"):
        assert native[field] == imported[field], field
    assert native["related"]["ip"] == imported["related"]["ip"]
    assert native["event"]["severity"] == imported["event"]["severity"] == 80
