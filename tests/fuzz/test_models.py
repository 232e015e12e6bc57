"""Findings (and configuration items) generated from the AWS API models
(:mod:`tests.fuzz.models`) through the whole path: recognized in every container, normalized
(no dead letter: they are valid findings), each document fitting its index template
(:mod:`tests.fuzz.conformance`), the addresses they name in ``related.ip``, a sample indexed
into the embedded engine through the Serverless guard, and a maximal finding with lists of
150 and long strings costing a document proportionate to it.

Profiles (``HYPOTHESIS_PROFILE``, as in :mod:`tests.fuzz.test_fuzz`): ``ci`` (``make test``),
:data:`RANDOM_FINDINGS` seeded records per source; ``long`` (``make fuzz``), 5000.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from opensearchpy import OpenSearch

from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.limits import DEFAULT_LIMITS
from normalizers.terms import term_fields
from opensearch_assets.fields import leaf_fields
from opensearch_assets.templates import TOTAL_FIELDS_LIMIT, index_fields, install_templates
from tests.assets.indexing import PREFIX, index_documents
from tests.fuzz.conformance import violations
from tests.fuzz.harness import check_object, containers
from tests.fuzz.models import Generator, list_paths

SOURCES = ["guardduty", "securityhub", "config"]
FINDINGS = SOURCES[:2]
WRAPPERS = {"securityhub": "Findings", "config": "configurationItems"}
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
RANDOM_FINDINGS = 5000 if LONG else 250
ADDRESSED_FINDINGS = 2000 if LONG else 100
"""Findings per source whose addresses are checked (nearly every member present)."""
INDEXED = 25
LONG_LISTS = 1000 if LONG else 150
"""Items of each outermost list of the large finding (while a budget of values lasts)."""
"""Random findings per source indexed into the engine, besides the maximal ones."""


def _object(source: str, finding: dict[str, Any]) -> bytes:
    """A record as its source delivers it: a line of GuardDuty's S3 export; Security Hub's
    ``{"Findings": [...]}`` (what ``GetFindings`` and the EventBridge events' detail hold);
    Config's ``{"configurationItems": [...]}`` (a history file, or what the API returns)."""
    wrapper = WRAPPERS.get(source)
    return json.dumps({wrapper: [finding]} if wrapper else finding).encode()


def _document(source: str, finding: dict[str, Any]) -> dict[str, Any]:
    """The finding's one document (the harness's invariants hold), fitting its template."""
    items = check_object(_object(source, finding), source, records=1)
    document: dict[str, Any] = items[0]
    problems = violations(document, source)
    assert not problems, problems[:10]
    return document


def _generators(source: str) -> Iterator[Generator]:
    yield Generator(source, maximal=True)
    if source == "guardduty":
        yield Generator(source, maximal=True, api_names=True)  # `aws guardduty get-findings`
    for seed in range(RANDOM_FINDINGS):
        yield Generator(source, seed=seed, api_names=source == "guardduty" and seed % 4 == 0)


_FINDING_FIELDS = (
    "source.ip",
    "related.ip",
    "event.start",
    "process.name",
    "container.name",
    "threat.software.name",
)
MAXIMAL_FIELDS = {
    "guardduty": _FINDING_FIELDS,
    "securityhub": _FINDING_FIELDS,
    "config": (
        "aws.config.resource.arn",
        "aws.config.relationships",
        "aws.config.configuration",
        "aws.config.tags",
    ),
}
"""What the mapping makes of a maximal finding's members, for each source (a few of many)."""


@pytest.mark.parametrize("source", SOURCES)
def test_maximal_finding_becomes_one_document_that_fits_the_template(source: str) -> None:
    document = _document(source, Generator(source, maximal=True).finding())
    missing = [field for field in MAXIMAL_FIELDS[source] if not _get(document, field)]
    assert not missing, missing


def _get(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


@pytest.mark.parametrize("source", SOURCES)
def test_random_findings_become_one_document_each_that_fits_the_template(source: str) -> None:
    kinds = set()
    for generator in _generators(source):
        document = _document(source, generator.finding())
        kinds.add(document["event"].get("kind"))
    # Security Hub's threats and posture results both come (the others' kind is their index's
    # constant, or always "event").
    assert kinds == {"guardduty": {None}, "securityhub": {"alert", "state"}, "config": {"event"}}[source]


def test_guardduty_api_shape_makes_the_export_shapes_document() -> None:
    """``aws guardduty get-findings`` (member names) and the S3 export (wire names) of one
    finding: the same document, flat objects included (``api_shape.py``'s tables)."""
    for seed in [-1, *range(60)]:
        kwargs: dict[str, Any] = {"maximal": True} if seed < 0 else {"seed": seed}
        exported = _document("guardduty", Generator("guardduty", **kwargs).finding())
        listed = _document("guardduty", Generator("guardduty", api_names=True, **kwargs).finding())
        assert listed == exported, seed


@pytest.mark.parametrize("source", SOURCES)
def test_generated_records_in_every_container_become_one_document_each(source: str) -> None:
    """Recognized from their content in every container the harness knows (JSON lines,
    Firehose's concatenation, arrays, wrappers, EventBridge events, SNS notifications of them,
    Config snapshots), GuardDuty's in either shape, six to an object."""
    records = [
        json.dumps(Generator(source, seed=seed, api_names=source == "guardduty" and seed % 2 == 1).finding())
        for seed in range(36)
    ]
    for container in containers(source):
        bare_only = container.bare_only and source == "guardduty"  # an envelope holds the export's shape
        usable = [record for number, record in enumerate(records) if not (bare_only and number % 2)]
        for start in range(0, len(usable), 6):
            batch = [record.encode() for record in usable[start : start + 6]]
            check_object(container.wrap(source, batch), source, records=len(batch))


# Where a finding names an address that must be searchable in `related.ip` (the ones the
# source's docs list); an address elsewhere (a resource's details) stays in its flat object.
RELATED_ADDRESSES = {
    "guardduty": re.compile(
        r"service\.action\.\w+\.(?:\w+IpDetails|portProbeDetails\.\[\]\.\w+IpDetails)\.ipAddressV[46]"
        r"|service\.action\.\w+\.sourceIPs\.\[\]"
        r"|resource\.instanceDetails\.networkInterfaces\.\[\]\.(?:privateIpAddress|publicIp|ipv6Addresses\.\[\])"
        r"|service\.detection\.sequence\.endpoints\.\[\]\.ip"
        r"|service\.detection\.sequence\.resources\.\[\]\.data\.ec2NetworkInterface\."
        r"(?:publicIp|ipv6Addresses\.\[\]|privateIpAddresses\.\[\]\.privateIpAddress)"
    ),
    "securityhub": re.compile(
        r"Action\.\w+\.(?:\w+IpDetails|PortProbeDetails\.\[\]\.\w+IpDetails)\.IpAddressV[46]"
        r"|Resources\.\[\]\.Details\.AwsEc2Instance\.IpV[46]Addresses\.\[\]"
        r"|Resources\.\[\]\.Details\.AwsEc2NetworkInterface\.(?:PublicIp|PrivateIpAddresses\.\[\]\.PrivateIpAddress"
        r"|IpV6Addresses\.\[\]\.IpV6Address)"
        r"|Network\.(?:Source|Destination)IpV[46]"
        r"|Detection\.Sequence\.Endpoints\.\[\]\.Ip"
        r"|ThreatIntelIndicators\.\[\]\.Value"
    ),
}


ADDRESSED_RESOURCES = ("AwsEc2Instance", "AwsEc2NetworkInterface")


def _addresses(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, address)`` of every string of ``value`` that is an IP address."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _addresses(item, f"{path}{key}.")
    elif isinstance(value, list):
        for item in value:
            yield from _addresses(item, f"{path}[].")
    elif isinstance(value, str):
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return
        yield path.rstrip("."), value


@pytest.mark.parametrize("source", FINDINGS)
def test_addresses_a_finding_names_are_related(source: str) -> None:
    """Each address an action or an instance's interfaces name is in ``related.ip``, so that
    a search for the address finds the finding (whichever of v4 and v6 the finding has)."""
    checked = set()
    for seed in range(ADDRESSED_FINDINGS):
        generator = Generator(source, seed=seed, presence=0.9, budget=5_000)
        finding = generator.finding()
        if source == "securityhub":  # among hundreds of resource types, the ones with addresses
            finding["Resources"] += [
                {"Type": kind, "Id": f"{kind}-{seed}", "Details": {kind: generator.finding(f"{kind}Details")}}
                for kind in ADDRESSED_RESOURCES
            ]
        related = set(_document(source, finding).get("related", {}).get("ip", []))
        for path, address in _addresses(finding):
            if RELATED_ADDRESSES[source].fullmatch(path):
                assert ipaddress.ip_address(address).compressed in related, (seed, path, address)
                checked.add(path)
    assert len(checked) >= 10, checked  # the generator did write them


@pytest.mark.parametrize("source", SOURCES)
def test_the_generator_is_deterministic_and_seeds_differ(source: str) -> None:
    assert Generator(source, seed=7).finding() == Generator(source, seed=7).finding()
    assert Generator(source, seed=7).finding() != Generator(source, seed=8).finding()


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(item) for item in value.values())
    if isinstance(value, list):
        return sum(_leaves(item) for item in value)
    return 1


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("stress", ["long lists", "long strings"])
def test_a_large_finding_costs_a_document_proportionate_to_it(source: str, stress: str) -> None:
    """Every member, lists of :data:`LONG_LISTS` (as long as a budget of values lasts) or every text 1 KiB:
    the document is about the finding's size (its details are kept whole), and what the
    mapping derives from lists (ECS fields, ``related.*``) is read to their first 100 entries."""
    kwargs: dict[str, Any] = (
        {"list_items": LONG_LISTS, "budget": 20_000} if stress == "long lists" else {"long_strings": True}
    )
    finding = Generator(source, maximal=True, **kwargs).finding()
    body = _object(source, finding)
    assert len(body) < DEFAULT_LIMITS.max_record_bytes  # else a documented dead letter
    document = _document(source, finding)
    size = len(json.dumps(document).encode())
    assert size < 1.25 * len(body) + 64 * 1024, (size, len(body))
    derived = {key: value for key, value in document.items() if key not in ("aws", "event")}
    assert _leaves(derived) <= 12 * LIST_LIMIT, _leaves(derived)


@pytest.mark.integration
def test_generated_findings_index_without_errors_and_fields_stay_bounded(engine: OpenSearch) -> None:
    """The maximal findings and a sample of random ones, bulk-indexed through the Serverless
    guard: no item error, and no mapped field beyond the template's (``dynamic: false``)."""
    install_templates(engine, PREFIX)
    documents = []
    for source in SOURCES:
        generators = [Generator(source, maximal=True)]
        generators += [Generator(source, seed=seed) for seed in range(INDEXED)]
        documents += [(source, _document(source, generator.finding())) for generator in generators]
    errors = index_documents(engine, documents)
    assert errors == [], errors[:3]
    for source in SOURCES:
        index = f"{PREFIX}{source}"
        mapping = engine.indices.get_mapping(index=index)[index]["mappings"]
        mapped = leaf_fields(mapping["properties"])
        assert len(mapped) == len(index_fields(source)) < TOTAL_FIELDS_LIMIT, len(mapped)
        # Each document with an address is found by it (the ip field took every one).
        addressed = [doc for name, doc in documents if name == source and _get(doc, "related.ip")]
        query = {"exists": {"field": "related.ip"}}
        assert engine.count(index=index, body={"query": query})["count"] == len(addressed)
        assert addressed or source == "config"


KEPT_WHOLE = {
    "guardduty": (),
    "securityhub": (
        "aws.securityhub_findings.types",
        "aws.securityhub_findings.compliance.related_requirements",
        "aws.securityhub_findings.compliance.associated_standards",
        "aws.securityhub_findings.compliance.status_reasons",
    ),
    "config": ("aws.config.related_events", "aws.config.relationships"),
}
"""Lists the document keeps as the record gives them (mapped fields, not flat objects): the
record's own values, as long as it holds them, not something derived from them."""
INFLATED = 1000 if LONG else 2 * LIST_LIMIT + 1
"""Entries given to each list: more than twice the bound, so that a list read whole shows."""


def _derived_lists(document: dict[str, Any], source: str, prefix: str = "") -> Iterator[tuple[str, int]]:
    """``(path, length)`` of every list the document derives from the record: not in a flat
    object (the record's own objects, kept whole) nor in :data:`KEPT_WHOLE`."""
    for key, value in document.items():
        path = f"{prefix}{key}"
        if path in term_fields() or path in KEPT_WHOLE[source]:
            continue
        if isinstance(value, dict):
            yield from _derived_lists(value, source, f"{path}.")
        elif isinstance(value, list):
            yield path, len(value)
            for item in value:
                if isinstance(item, dict):
                    yield from _derived_lists(item, source, f"{path}.")


@pytest.mark.parametrize("source", SOURCES)
def test_every_list_of_a_record_is_read_to_a_bound(source: str) -> None:
    """Each list of the model, one at a time, given :data:`INFLATED` distinct entries in a
    maximal record: each list the document derives (``related.*``, ECS fields, summaries)
    holds at most :data:`LIST_LIMIT` values more than the maximal record's, however deep the
    list lies (the addresses of each of 1,000 interfaces, the users of each of 1,000 actors).
    The record's own objects stay whole in their flat objects."""
    generator = Generator(source, maximal=True)
    finding = generator.finding()
    base = dict(_derived_lists(_document(source, finding), source))
    too_large, grown = [], []
    for path in list_paths(source, finding):
        items = Generator(source, maximal=True, seed=1, distinct=True).items(path, INFLATED)
        inflated = path.replaced(finding, items)
        if len(_object(source, inflated)) > DEFAULT_LIMITS.max_record_bytes:
            too_large.append(str(path))  # a dead letter (see the hand-made test for these)
            continue
        lengths = _derived_lists(_document(source, inflated), source)
        grown += [(str(path), field, n) for field, n in lengths if n > base.get(field, 0) + LIST_LIMIT]
    assert not grown, grown
    assert too_large == {"securityhub": ["Resources"]}.get(source, []), too_large
