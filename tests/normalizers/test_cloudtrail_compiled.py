"""The builders compiled per record shape (normalizers/cloudtrail/compiled.py) against the
generic mapping: the same items (documents, dead letters and their reasons) for every golden
input, every public sample, the benchmark generator's records and records with each member
given another type; and bounded work for files of ever new shapes."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cloudtrail import generated_records
from normalizers import DeadLetter, Item, Origin, normalize_object
from normalizers.cloudtrail import compiled, mapping
from normalizers.cloudtrail import normalize as cloudtrail_normalize
from normalizers.cloudtrail.actor import ActorCache, identity_parties
from normalizers.ecs import timestamps
from tests.conftest import GOLDEN, golden_input
from tests.records import cloudtrail_record

ORIGIN = Origin(object="test-object", ingested="2026-01-01T00:00:00.000Z")
KEEP_ORIGINAL = Origin(object="test-object", ingested="2026-01-01T00:00:00.000Z", keep_original=True)

OTHER_VALUES: tuple[Any, ...] = (None, "", "true", "x", 0, 1.5, True, False, [], ["x"], {}, {"a": 1})
"""What a hostile or broken record may hold in place of any member."""


class _GenericOnly:
    """Stands in for CompiledBuilders: every record through mapping.build_document."""

    identity_parties = staticmethod(identity_parties)

    def build(self, record: dict[str, Any], raw: bytes, origin: Origin, actors: ActorCache) -> Any:
        return mapping.build_document(record, raw, None, origin, actors)


def _comparable(items: list[Item]) -> list[Any]:
    return [
        ("dead", item.reason, item.position, item.raw) if isinstance(item, DeadLetter) else item
        for item in items
    ]


def _both_ways(data: bytes, origin: Origin, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """The items of one object through the compiled builders, then through the generic path."""
    fast = _comparable(list(normalize_object(io.BytesIO(data), origin, "cloudtrail")))
    with monkeypatch.context() as patch:
        patch.setattr(cloudtrail_normalize, "CompiledBuilders", _GenericOnly)
        generic = _comparable(list(normalize_object(io.BytesIO(data), origin, "cloudtrail")))
    return fast, generic


def _log_file(records: list[Any]) -> bytes:
    return json.dumps({"Records": records}).encode()


def _golden_cloudtrail_inputs() -> list[Path]:
    return sorted(path for path in (GOLDEN / "cloudtrail").glob("*/input*"))


@pytest.mark.parametrize("path", _golden_cloudtrail_inputs(), ids=lambda p: p.parent.name)
def test_golden_inputs_give_the_same_items(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with golden_input(path) as handle:
        data = handle.read()
    for origin in (ORIGIN, KEEP_ORIGINAL):
        fast, generic = _both_ways(data, origin, monkeypatch)
        assert fast == generic


def _sample_records(shared: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((shared / "samples" / "cloudtrail").rglob("*.json")):
        value = json.loads(path.read_text())
        items = value.get("Records", []) if isinstance(value, dict) else value
        records.extend(item for item in items if isinstance(item, dict))
    return records


def test_public_samples_give_the_same_documents(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _sample_records(shared_dir)
    assert len(records) > 100
    fast, generic = _both_ways(_log_file(records), KEEP_ORIGINAL, monkeypatch)
    assert fast == generic
    assert not any(isinstance(item, tuple) for item in fast)  # real records: no dead letter


def _generator_records(shared: Path, count: int) -> list[dict[str, Any]]:
    records = generated_records(count, seed=11, generator=shared / "bench" / "gen_cloudtrail.py")
    if records is None:
        pytest.skip("../shared/bench/gen_cloudtrail.py not found")
    return records


def test_benchmark_records_give_the_same_documents(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, generic = _both_ways(_log_file(_generator_records(shared_dir, 2000)), ORIGIN, monkeypatch)
    assert fast == generic


def _variants(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The record with one member (top level, in ``userIdentity`` or its session's objects)
    given each other value, or removed."""
    for key in record:
        yield {k: v for k, v in record.items() if k != key}
        for value in OTHER_VALUES:
            yield {**record, key: value}
    identity = record.get("userIdentity")
    if isinstance(identity, dict):
        for changed in _object_variants(identity):
            yield {**record, "userIdentity": changed}
        session = identity.get("sessionContext")
        if isinstance(session, dict):
            for changed in _object_variants(session):
                yield {**record, "userIdentity": {**identity, "sessionContext": changed}}
            for key in ("sessionIssuer", "attributes", "webIdFederationData"):
                block = session.get(key)
                for changed in _object_variants(block) if isinstance(block, dict) else ():
                    yield {
                        **record,
                        "userIdentity": {**identity, "sessionContext": {**session, key: changed}},
                    }


def _object_variants(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in value:
        yield {k: v for k, v in value.items() if k != key}
        for other in OTHER_VALUES:
            yield {**value, key: other}


def test_members_of_other_types_give_the_same_items(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compiled builder meeting what it does not expect leaves the record to the generic
    path: the same document, or the same dead letter with the same reason."""
    monkeypatch.setattr(compiled, "COMPILES_PER_OBJECT", 100_000)  # every variant's shape compiled
    monkeypatch.setattr(compiled, "MAX_SHAPES", 100_000)
    records = _sample_records(shared_dir)
    picked = records[:: max(1, len(records) // 12)]
    variants = [variant for record in picked for variant in _variants(record)]
    fast, generic = _both_ways(_log_file(variants), KEEP_ORIGINAL, monkeypatch)
    assert fast == generic
    assert any(isinstance(item, tuple) for item in fast)  # some variants are dead letters
    assert any(isinstance(item, dict) for item in fast)


def test_compiled_identities_give_the_same_actor(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sample identity, and each with one member (nested ones too) of another value:
    the same actor, or the same error, whoever signed in."""
    monkeypatch.setattr(compiled, "COMPILES_PER_OBJECT", 100_000)
    monkeypatch.setattr(compiled, "MAX_SHAPES", 100_000)
    builders = compiled.CompiledBuilders()
    records = _sample_records(shared_dir) + _generator_records(shared_dir, 300)
    identities = [
        record["userIdentity"] for record in records if isinstance(record.get("userIdentity"), dict)
    ]
    variants = [
        variant["userIdentity"]
        for record in records[:: max(1, len(records) // 12)]
        for variant in _variants(record)
        if "userIdentity" in variant
    ]
    for identity in identities + variants:
        for signed_in_as in (None, "alice"):
            assert _outcome(builders.identity_parties, identity, signed_in_as) == _outcome(
                identity_parties, identity, signed_in_as
            )


def _outcome(
    build: Callable[[dict[str, Any], str | None], Any], identity: Any, signed_in_as: str | None
) -> Any:
    if not isinstance(identity, dict):
        return None
    try:
        return build(identity, signed_in_as)
    except Exception as error:  # the same error both ways
        return repr(error)


def test_ever_new_shapes_compile_a_bounded_number_of_builders(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose every record has a shape of its own (an extra member) compiles at most
    COMPILES_PER_OBJECT builders, keeps at most MAX_SHAPES, and maps every record."""
    monkeypatch.setattr(compiled, "_BUILDERS", {})
    compilations: list[compiled.Shape] = []
    real = compiled.compile_builder

    def counted(shape: compiled.Shape) -> compiled.Builder | None:
        compilations.append(shape)
        return real(shape)

    monkeypatch.setattr(compiled, "compile_builder", counted)
    record = _sample_records(shared_dir)[0]
    records = [{**record, f"extra{index}": index} for index in range(compiled.MAX_SHAPES * 2)]
    fast, generic = _both_ways(_log_file(records), ORIGIN, monkeypatch)
    assert fast == generic
    assert len(fast) == len(records) and all(isinstance(item, dict) for item in fast)
    assert len(compilations) == compiled.COMPILES_PER_OBJECT
    assert len(compiled._BUILDERS) <= compiled.MAX_SHAPES


def test_a_builder_guessed_by_the_number_of_members_maps_only_records_of_its_own_shape(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records of two shapes with as many members, taking turns: the builder of one must not
    map the other. The first has a member the mapping ignores and a user agent; the second
    has neither but an error: through the first's builder it would be a success without its
    error code (every member it reads but one that it looks up with ``get``, which the second
    lacks)."""
    monkeypatch.setattr(compiled, "_BUILDERS", {})
    monkeypatch.setattr(compiled, "_BY_SIZE", {})
    record = next(r for r in _sample_records(shared_dir) if "userAgent" in r and "errorCode" not in r)
    ignored = {**record, "addendumNote": "x"}
    failed = {k: v for k, v in record.items() if k != "userAgent"}
    failed |= {"errorCode": "AccessDenied", "errorMessage": "denied"}
    assert len(ignored) == len(failed)
    fast, generic = _both_ways(_log_file([ignored, failed] * 3 + [failed, ignored] * 3), ORIGIN, monkeypatch)
    assert fast == generic
    assert [document["event"]["outcome"] for document in fast] == ["success", "failure"] * 3 + [
        "failure",
        "success",
    ] * 3


def test_an_object_stops_guessing_builders_by_size_after_wrong_guesses(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records of two shapes with as many members, taking turns, would each pay a failed
    guess: an object guesses no more after WRONG_GUESSES of them."""
    guesses: list[int] = []

    class Counted(dict[int, compiled.Builder]):
        def get(self, size: int, default: Any = None) -> Any:
            guesses.append(size)
            return super().get(size, default)

    monkeypatch.setattr(compiled, "_BY_SIZE", Counted())
    record = _sample_records(shared_dir)[0]
    records = [{**record, f"extra{index % 2}": index} for index in range(4 * compiled.WRONG_GUESSES)]
    builders, actors = compiled.CompiledBuilders(), ActorCache()
    for item in records:
        assert builders.build(item, b"{}", ORIGIN, actors) == mapping.build_document(
            item, b"{}", None, ORIGIN
        )
    assert len(guesses) == compiled.WRONG_GUESSES + 1  # the first record's, then one per wrong guess


def test_a_record_with_too_many_members_is_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "_BUILDERS", {})
    record = {
        "eventVersion": "1.08",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "eventID": "00000000-0000-4000-8000-000000000000",
        **{f"member{index}": index for index in range(compiled.MAX_KEYS)},
    }
    fast, generic = _both_ways(gzip.compress(_log_file([record])), ORIGIN, monkeypatch)
    assert fast == generic
    assert fast[0]["event"]["action"] == "GetObject"
    assert compiled._BUILDERS == {}


def test_in_scope_of_of_other_types_gives_the_same_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """``userIdentity.inScopeOf`` (read beside the actor, by both paths) and each of its
    members of another value: the same documents or dead letters; a member that is no string
    makes the record invalid, as any ``userIdentity`` string does."""
    path = GOLDEN / "cloudtrail" / "service-in-scope-of" / "input.json"
    [record] = json.loads(path.read_text())["Records"]
    identity = record["userIdentity"]
    variants = [{**record, "userIdentity": {**identity, "inScopeOf": other}} for other in OTHER_VALUES]
    variants += [
        {**record, "userIdentity": {**identity, "inScopeOf": changed}}
        for changed in _object_variants(identity["inScopeOf"])
    ]
    fast, generic = _both_ways(_log_file(variants), ORIGIN, monkeypatch)
    assert fast == generic
    reasons = {item[1].split(":", 1)[0] for item in fast if isinstance(item, tuple)}
    assert reasons == {"invalid record"}
    scopes = [
        item["aws"]["cloudtrail"]["user_identity"].get("in_scope_of")
        for item in fast
        if isinstance(item, dict)
    ]
    assert None in scopes  # inScopeOf null or {}: no in_scope_of
    # Without issuerType (or with it null or ""), the other three members stay.
    assert {
        "source_arn": "arn:aws:lambda:us-east-1:123456789012:function:my-function",
        "source_account": "123456789012",
        "credentials_issued_to": "arn:aws:iam::123456789012:role/my-function-role",
    } in scopes


def test_outcomes_written_out_match_the_generic_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The builders write event (outcome, id, category) out: an error code, a sign-in's
    {"ConsoleLogin": "Failure"} in responseElements, a sign-in service event's
    {"CredentialVerification": "Failure"} in serviceEventDetails are failures; a record
    without eventID gets its content's id."""
    base = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "userName": "alice"},
        "eventTime": "2026-11-01T00:00:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "eventID": "0b2ed0c5-8f3a-4c2b-9d4e-6a1f2e3d4c5b",
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": "111122223333",
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({"responseElements": {"ConsoleLogin": "Failure"}}, "failure"),
        ({"responseElements": {"ConsoleLogin": "Success"}}, "success"),
        ({"errorCode": "AccessDenied", "responseElements": None}, "failure"),
        ({"errorCode": "", "responseElements": {"ConsoleLogin": "Success"}}, "success"),
        (
            {
                "eventName": "CredentialVerification",
                "eventType": "AwsServiceEvent",
                "serviceEventDetails": {"CredentialVerification": "Failure"},
            },
            "failure",
        ),
        (
            {"eventName": "CredentialVerification", "serviceEventDetails": {"CredentialType": "PASSWORD"}},
            "success",
        ),
        ({"eventID": ""}, "success"),
        ({"eventID": None, "errorCode": "ThrottlingException"}, "failure"),
    ]
    records = [{**base, **change} for change, _ in cases]
    for origin in (ORIGIN, KEEP_ORIGINAL):
        fast, generic = _both_ways(_log_file(records), origin, monkeypatch)
        assert fast == generic
        assert [item["event"]["outcome"] for item in fast] == [outcome for _, outcome in cases]
    assert fast[0]["event"]["id"] == base["eventID"]
    assert fast[-1]["event"]["id"] != fast[-2]["event"]["id"]  # each one's content hashed
    assert fast[0]["event"]["category"] == ["authentication"]
    assert fast[0]["event"]["original"].startswith("{")


def test_web_identity_and_endpoint_members_of_other_types_give_the_same_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``webIdFederationData`` and its ``attributes`` (read beside the actor, by both paths),
    and a network activity event's ``errorCode``/``eventType`` of other values: the same
    documents or dead letters."""
    web_path = GOLDEN / "cloudtrail" / "web-identity-federation" / "input.json"
    web = json.loads(web_path.read_text())["Records"][0]
    identity, session = web["userIdentity"], web["userIdentity"]["sessionContext"]
    federation = session["webIdFederationData"]
    blocks = [*OTHER_VALUES, *_object_variants(federation)]
    blocks += [{**federation, "attributes": other} for other in OTHER_VALUES]
    blocks += [
        {**federation, "attributes": changed} for changed in _object_variants(federation["attributes"])
    ]
    variants = [
        {**web, "userIdentity": {**identity, "sessionContext": {**session, "webIdFederationData": block}}}
        for block in blocks
    ]
    # beside sessionContext, as identity_members also reads it
    variants.append({**web, "userIdentity": {**identity, "webIdFederationData": federation}})
    endpoint_path = GOLDEN / "cloudtrail" / "network-activity" / "input.json"
    for record in json.loads(endpoint_path.read_text())["Records"]:
        variants += [{**record, "errorCode": other} for other in (*OTHER_VALUES, "VpceAccessDenied")]
        variants += [{**record, "eventType": other} for other in OTHER_VALUES]
    fast, generic = _both_ways(_log_file(variants), ORIGIN, monkeypatch)
    assert fast == generic
    documents = [item for item in fast if isinstance(item, dict)]
    assert any(isinstance(item, tuple) for item in fast)  # attributes that are no object
    assert any(
        "web_id_federation_data" in item["aws"]["cloudtrail"]["user_identity"].get("session_context", {})
        for item in documents
    )
    assert {tuple(item["event"]["type"]) for item in documents} >= {("denied",), ("allowed",)}


def test_tls_details_and_addendum_members_of_other_types_give_the_same_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The builders write ``tlsDetails`` and ``addendum`` out: a member of another type
    than the string the record contents describe makes the record invalid both ways."""
    path = GOLDEN / "cloudtrail" / "record-contents-1-08" / "input.json"
    record = json.loads(path.read_text())["Records"][1]  # with both blocks
    variants = []
    for key in ("tlsDetails", "addendum"):
        variants += [{**record, key: other} for other in OTHER_VALUES]
        variants += [{**record, key: changed} for changed in _object_variants(record[key])]
    fast, generic = _both_ways(_log_file(variants), ORIGIN, monkeypatch)
    assert fast == generic
    reasons = {item[1].split(":", 1)[0] for item in fast if isinstance(item, tuple)}
    assert reasons == {"invalid record"}
    documents = [item for item in fast if isinstance(item, dict)]
    assert all(
        isinstance(value, str)
        for document in documents
        for key in ("tls_details", "addendum")
        for value in document["aws"]["cloudtrail"].get(key, {}).values()
    )


def test_operations_that_differ_in_one_member_get_their_own_categories_and_targets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The builders look each operation up once per record (its categories, types and target
    rows): records of one shape whose operations differ only in the service, the name,
    eventType, readOnly or a VPC endpoint's denial each get their own, as by the generic path,
    in a table that stays within MAX_OPERATIONS (here 2: it starts again, again and again)."""
    monkeypatch.setattr(compiled, "MAX_OPERATIONS", 2)
    monkeypatch.setattr(compiled, "_OPERATIONS", {})
    monkeypatch.setattr(compiled, "_BUILDERS", {})
    sizes: list[int] = []
    real = compiled.operation_of

    def recorded(key: compiled.OperationKey) -> compiled.Operation:
        operation = real(key)
        sizes.append(len(compiled._OPERATIONS))
        return operation

    monkeypatch.setattr(compiled, "operation_of", recorded)
    base = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "userName": "alice"},
        "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "StopInstances",
        "awsRegion": "us-east-1",
        "errorCode": "",
        "requestParameters": {"instanceId": "i-0123456789abcdef0", "userName": "bob"},
        "readOnly": False,
        "eventType": "AwsApiCall",
        "eventID": "00000000-0000-4000-8000-000000000000",
    }
    variants = [
        base,
        {**base, "eventSource": "iam.amazonaws.com"},  # other targets: user.target.name
        {**base, "eventName": "DescribeInstances"},
        {**base, "readOnly": True},
        {**base, "eventType": "AwsVpceEvent"},
        {**base, "eventType": "AwsVpceEvent", "errorCode": "VpceAccessDenied"},
        {**base, "eventType": "AwsVpceEvent", "errorCode": "AccessDenied"},
    ]
    records = variants * 3 + variants[::-1]
    fast, generic = _both_ways(_log_file(records), ORIGIN, monkeypatch)
    assert fast == generic
    assert len({(json.dumps(item["event"]["type"]), json.dumps(item.get("related"))) for item in fast}) >= 5
    assert fast[1]["user"]["target"] == {"name": "bob"} and "target" not in fast[0].get("user", {})
    assert fast[4]["event"]["type"] == ["allowed"] and fast[5]["event"]["type"] == ["denied"]
    assert sizes and max(sizes) <= 2


def test_a_long_original_event_id_is_cut_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """addendum.originalEventID is written as an event.id is (searchable_id) by the compiled
    builder and by the generic path alike."""
    original = "x" * 2000
    record = cloudtrail_record(
        0,
        "DescribeInstances",
        eventSource="ec2.amazonaws.com",
        eventID="updated",
        addendum={"reason": "UPDATED_DATA", "originalEventID": original},
    )
    fast, generic = _both_ways(_log_file([record]), ORIGIN, monkeypatch)
    assert fast == generic
    (document,) = fast
    assert document["aws"]["cloudtrail"]["addendum"]["original_event_id"] == mapping.searchable_id(original)
    assert document["aws"]["cloudtrail"]["addendum"]["original_event_id"] != original


def _role_session(number: int) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{number}:i-0123456789abcdef{number % 10}",
        "arn": f"arn:aws:sts::111122223333:assumed-role/Admin/i-0123456789abcdef{number % 10}",
        "accountId": "111122223333",
        "accessKeyId": f"ASIAEXAMPLE{number}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROAEXAMPLE{number}",
                "arn": "arn:aws:iam::111122223333:role/Admin",
                "accountId": "111122223333",
                "userName": "Admin",
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def test_an_identity_builder_guessed_by_size_builds_only_identities_of_its_own_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Identities with as many members (and as many in ``sessionContext``) in other shapes,
    taking turns with a role session: each gets its own actor, as the generic path builds it
    (a null or absent issuer, attributes or web identity where the other has one, another
    member of the same count, members in another order, an issuer that is no object)."""
    monkeypatch.setattr(compiled, "_IDENTITY_BUILDERS", {})
    monkeypatch.setattr(compiled, "_IDENTITY_BY_SIZE", {})
    session = _role_session(1)
    context = session["sessionContext"]
    others: list[dict[str, Any]] = [
        {**session, "sessionContext": {**context, "sessionIssuer": None}},
        {**session, "sessionContext": {**context, "sessionIssuer": {**context["sessionIssuer"], "x": 1}}},
        {**session, "sessionContext": {**context, "sessionIssuer": "Admin"}},
        {**session, "sessionContext": {**context, "attributes": {"mfaAuthenticated": "true", "x": "y"}}},
        {**session, "sessionContext": {**context, "attributes": None}},
        {**session, "sessionContext": {**context, "webIdFederationData": {"federatedProvider": "cognito"}}},
        {
            **{k: v for k, v in session.items() if k != "accessKeyId"},
            "userName": "alice",
            "sessionContext": {k: v for k, v in reversed(context.items()) if k != "attributes"}
            | {"sourceIdentity": "alice"},
        },
        dict(reversed(session.items())),
        {**{k: v for k, v in session.items() if k != "sessionContext"}, "sessionContext": None},
        {**{k: v for k, v in session.items() if k != "sessionContext"}, "userName": "bob"},
    ]
    builders = compiled.CompiledBuilders()
    size = compiled.identity_size(session)
    assert sum(compiled.identity_size(other) == size for other in others) == len(others) - 2
    for other in others:
        for identity in (session, other, other, session):
            for signed_in_as in (None, "alice"):
                assert _outcome(builders.identity_parties, identity, signed_in_as) == _outcome(
                    identity_parties, identity, signed_in_as
                )


def test_an_identity_of_a_shape_seen_before_is_built_without_its_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Identities that never repeat (each record's own session) but keep their shape: the
    builder last picked for their size builds them, their shape is not computed again."""
    monkeypatch.setattr(compiled, "_IDENTITY_BY_SIZE", {})
    shapes: list[Any] = []
    real = compiled.identity_shape

    def counted(identity: dict[str, Any]) -> Any:
        shapes.append(real(identity))
        return shapes[-1]

    monkeypatch.setattr(compiled, "identity_shape", counted)
    builders = compiled.CompiledBuilders()
    for number in range(10):
        identity = _role_session(number)
        assert builders.identity_parties(identity) == identity_parties(identity)
    assert len(shapes) == 1
    assert builders.identity_parties(_role_session(3))[3] == ("i-0123456789abcdef3",)


def test_a_time_of_the_minute_last_seen_is_taken_without_a_call_and_any_other_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A compiled builder takes a record's whole second of the minute ``timestamp`` last saw as
    it is, without calling it (a frame per record); any other time (another minute, a fraction,
    a second that no minute has, no text) goes through ``timestamp``, and the items are the
    generic path's."""
    calls: list[Any] = []
    real = mapping.timestamp

    def counted(value: Any) -> str:
        calls.append(value)
        return real(value)

    monkeypatch.setattr(mapping, "timestamp", counted)
    monkeypatch.setattr(compiled, "_BUILDERS", {})  # compiled again, with the counted timestamp
    monkeypatch.setattr(compiled, "_BY_SIZE", {})
    monkeypatch.setattr(timestamps, "_last_minute", "?" * 21)  # no minute seen yet
    times = ["2026-11-01T10:20:30Z", "2026-11-01T10:20:31Z", "2026-11-01T10:20:59Z"]
    checked = ["2026-11-01T10:21:00Z", "2026-11-01T10:21:00.5Z", "2026-11-01T10:21:60Z", 1793182860]
    records = [cloudtrail_record(number, eventTime=time) for number, time in enumerate(times + checked)]
    fast, generic = _both_ways(_log_file(records), ORIGIN, monkeypatch)
    assert fast == generic
    assert [item["@timestamp"] for item in fast[:3]] == times
    assert isinstance(fast[5], tuple) and fast[5][0] == "dead"  # 60 seconds: no such time
    compiled_calls = calls[: calls.index(times[0], 1)]  # before the generic path's own
    assert times[0] in compiled_calls  # the first sets the minute
    assert not set(times[1:]) & set(compiled_calls)
    assert set(checked) <= set(compiled_calls)
